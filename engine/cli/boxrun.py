"""Entry point on the box: ``python -m engine.cli.boxrun [--hf-base ID] train ARGS…``.

Started detached (``setsid nohup``) by :func:`engine.remote.runs.submit`. A Hugging Face id
as the base is downloaded on the box first (``HF_ENDPOINT`` picks a mirror); then the local
``tuneforge train`` runs unchanged, writing the run folder the client tails.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    from engine.cli.main import main as cli_main

    if argv[:1] == ["--hf-base"]:
        from huggingface_hub import snapshot_download

        repo_id, argv = argv[1], argv[2:]
        print(f"downloading {repo_id} on the box…", flush=True)
        path = snapshot_download(repo_id)
        argv = [*argv, "--base", path]
    return int(cli_main(argv))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
