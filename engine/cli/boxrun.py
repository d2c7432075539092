"""Entry point on the box: ``python -m engine.cli.boxrun [--hf-base ID] train ARGS…``.

Started detached (``setsid nohup``) by :func:`engine.remote.runs.submit`. A Hugging Face id
as the base is downloaded on the box first (``HF_ENDPOINT`` picks a mirror); then the local
``tuneforge train`` runs unchanged, writing the run folder the client tails. A download that
fails ends the run with a ``failed`` event in that folder (one line for the client, no
traceback, and never taken for a rebooted box).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    from engine.cli.main import main as cli_main

    if argv[:1] == ["--hf-base"]:
        repo_id, argv = argv[1], argv[2:]
        print(f"downloading {repo_id} on the box…", flush=True)
        try:
            path = download(repo_id)
        except Exception as exc:  # any hub, network or disk error: the run failed, say why
            message = f"cannot download {repo_id} on the box: {type(exc).__name__}: {exc}"
            print(f"error: {message}", file=sys.stderr, flush=True)
            _fail(argv, message)
            return 1
        argv = [*argv, "--base", path]
    return int(cli_main(argv))


def download(repo_id: str) -> str:
    import os

    from huggingface_hub import snapshot_download

    endpoint = os.environ.get("HF_ENDPOINT")
    print(f"from {endpoint or 'huggingface.co'}", flush=True)
    return str(snapshot_download(repo_id))


def _fail(argv: list[str], message: str) -> None:
    if "--out" not in argv:
        return
    run_dir = Path(argv[argv.index("--out") + 1])
    run_dir.mkdir(parents=True, exist_ok=True)
    record = {"event": "failed", "time": round(time.time(), 3), "step": 0, "message": message}
    with open(run_dir / "events.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
