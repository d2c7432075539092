"""Find the base model of an adapter: ``--base``, a local folder, a download cache, or a download.

Order: the explicit ``--base`` (a model folder, a Hugging Face cache repo folder, or a
repo id); else the adapter's ``base_model_name_or_path`` as a local folder (absolute,
or relative to the adapter or the working directory); else that repo id in the
Hugging Face cache (``HF_HUB_CACHE`` / ``HF_HOME`` respected) or the ModelScope cache
(``MODELSCOPE_CACHE``); else — only when the caller allows it — a download through
``huggingface_hub`` from ``HF_ENDPOINT`` (a mirror such as https://hf-mirror.com) or
huggingface.co, with progress reported to the job.

A path recorded on the training machine (``/root/autodl-tmp/Qwen/Qwen2.5-7B``,
``C:\\models\\…``) that does not exist here is turned into a repo id from its last two
parts, and HF / ModelScope cache paths (``models--Qwen--Qwen2.5-7B/snapshots/…``,
``Qwen2___5-7B``) are recognised.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from engine.errors import JobCancelled, ResourceError, TuneforgeError
from engine.jobs import JobContext
from engine.lora.adapter import AdapterInfo
from engine.lora.errors import AdapterError, BaseModelNotFoundError

REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
COMMIT = re.compile(r"^[0-9a-f]{40}$")
DOWNLOAD_PATTERNS = (
    "*.json", "*.safetensors", "tokenizer.model", "*.tiktoken", "*.txt", "*.jinja", "*.py",
)  # fmt: skip


def resolve_base(
    adapter: AdapterInfo, *, explicit_base: Path | str | None, allow_download: bool, ctx: JobContext
) -> Path:
    """The folder of the adapter's base model (config.json + safetensors)."""
    if explicit_base is not None:
        return _explicit(adapter, explicit_base, allow_download, ctx)
    recorded = adapter.base_model_name_or_path
    if not recorded:
        raise BaseModelNotFoundError(
            "the adapter does not record its base model (base_model_name_or_path is empty)",
            path=adapter.adapter_dir,
            field="base_model_name_or_path",
            hint="Pass the base model folder with --base.",
        )
    found = resolve_base_locally(
        recorded, adapter_dir=adapter.adapter_dir, revision=adapter.revision
    )
    if found is not None:
        ctx.log(f"base model: {found}")
        return found
    repo_ids = repo_id_candidates(recorded)
    if allow_download and repo_ids:
        return download_base(repo_ids[0], revision=adapter.revision, ctx=ctx)
    raise _not_found(adapter, recorded, repo_ids)


def resolve_base_locally(
    name: str, *, adapter_dir: Path | None = None, revision: str | None = None
) -> Path | None:
    """A local folder for a recorded base (path or repo id), or ``None``. Never downloads."""
    for candidate in _local_paths(name, adapter_dir):
        if is_model_folder(candidate):
            return candidate
        snapshot = _snapshot_of_cache_repo(candidate, revision)
        if snapshot is not None:
            return snapshot
    for repo_id in repo_id_candidates(name):
        found = find_in_caches(repo_id, revision=revision)
        if found is not None:
            return found
    return None


def repo_id_candidates(name: str) -> list[str]:
    """``org/name`` ids a recorded base may stand for (a repo id, or a path ending in one)."""
    text = name.strip()
    if REPO_ID.match(text) and not Path(text).is_absolute():
        return [text]
    parts = list((PureWindowsPath(text) if "\\" in text else PurePosixPath(text)).parts)
    found: list[str] = []
    for part in parts:  # …/models--Qwen--Qwen2.5-7B/snapshots/<hash>
        if part.startswith("models--") and part.count("--") >= 2:
            found.append(part.removeprefix("models--").replace("--", "/", 1))
    tail = [p for p in parts if p not in ("/", "\\") and not p.endswith((":", ":\\"))]
    if "snapshots" in tail:
        tail = tail[: tail.index("snapshots")]
    if len(tail) >= 2:
        org, repo = tail[-2], tail[-1].replace("___", ".")  # ModelScope writes "." as "___"
        candidate = f"{org}/{repo}"
        if REPO_ID.match(candidate) and not found:  # an HF cache path already said it
            found.append(candidate)
    return list(dict.fromkeys(found))


def hf_hub_cache() -> Path:
    """The Hugging Face hub cache folder, as huggingface_hub computes it."""
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(var):
            return Path(os.environ[var]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path("~/.cache"))
    return Path(xdg).expanduser() / "huggingface" / "hub"


def modelscope_caches() -> list[Path]:
    root = Path(os.environ.get("MODELSCOPE_CACHE") or "~/.cache/modelscope/hub").expanduser()
    return [root / "models", root]


def find_in_caches(repo_id: str, *, revision: str | None = None) -> Path | None:
    """A complete snapshot of ``repo_id`` in the HF cache, or its ModelScope copy."""
    org, _, name = repo_id.partition("/")
    snapshot = _snapshot_of_cache_repo(hf_hub_cache() / f"models--{org}--{name}", revision)
    if snapshot is not None:
        return snapshot
    for root in modelscope_caches():
        for folder in (root / org / name, root / org / name.replace(".", "___")):
            if is_model_folder(folder):
                return folder
    return None


def is_model_folder(path: Path) -> bool:
    """config.json plus complete safetensors weights (every indexed shard present)."""
    try:
        if not (path / "config.json").is_file():
            return False
        from engine.formats.safetensors import weight_files

        files = weight_files(path)
    except (OSError, ValueError, TuneforgeError):  # e.g. an index naming missing shards
        return False
    return bool(files) and all(f.is_file() for f in files)


def download_base(repo_id: str, *, revision: str | None, ctx: JobContext) -> Path:
    """Download a base model into the Hugging Face cache (``HF_ENDPOINT`` honoured)."""
    try:
        import huggingface_hub
    except ImportError as exc:  # a trimmed build without it
        raise ResourceError(
            "huggingface_hub is not installed, so the base model cannot be downloaded",
            hint=f"Download {repo_id} yourself and pass the folder with --base.",
        ) from exc
    endpoint = os.environ.get("HF_ENDPOINT") or None
    ctx.log(
        f"downloading {repo_id} from {endpoint or 'https://huggingface.co'} into {hf_hub_cache()}"
    )
    try:
        folder = huggingface_hub.snapshot_download(
            repo_id,
            revision=revision,
            endpoint=endpoint,
            cache_dir=hf_hub_cache(),
            allow_patterns=list(DOWNLOAD_PATTERNS),
            tqdm_class=_progress_bar_class(ctx),  # type: ignore[arg-type]
        )
    except JobCancelled:
        raise
    except Exception as exc:  # network, auth, missing repo: say which, keep it short
        raise BaseModelNotFoundError(
            f"could not download {repo_id}: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}",
            hint=_download_hint(repo_id, endpoint),
            repo_id=repo_id,
        ) from exc
    path = Path(folder)
    if not is_model_folder(path):
        raise BaseModelNotFoundError(
            f"{repo_id} was downloaded but holds no config.json + safetensors weights",
            path=path,
            hint="Only safetensors models can be used; download one and pass it with --base.",
        )
    return path


def _explicit(
    adapter: AdapterInfo, given: Path | str, allow_download: bool, ctx: JobContext
) -> Path:
    path = Path(given).expanduser()
    if path.is_dir():
        if is_model_folder(path):
            return path
        snapshot = _snapshot_of_cache_repo(path, adapter.revision)
        if snapshot is not None:
            return snapshot
        if (path / "adapter_config.json").is_file():
            raise AdapterError(
                "--base points at an adapter folder, not at a base model",
                path=path,
                hint="Pass the full model the adapter was trained on (config.json + *.safetensors).",
            )
        from engine.formats.safetensors import ModelWeights

        ModelWeights(path)  # raises the precise reason (pickles, LFS pointers, no weights)
        raise BaseModelNotFoundError(
            "the base folder has no config.json", path=path, hint="Pass the model folder itself."
        )
    text = str(given).replace("\\", "/")  # a repo id that went through Path on Windows
    if REPO_ID.match(text):
        found = find_in_caches(text, revision=adapter.revision)
        if found is not None:
            return found
        if allow_download:
            return download_base(text, revision=adapter.revision, ctx=ctx)
        raise _not_found(adapter, text, [text])
    raise BaseModelNotFoundError("base model folder not found", path=path, hint="Check the path.")


def _local_paths(name: str, adapter_dir: Path | None) -> list[Path]:
    raw = Path(name).expanduser()
    if raw.is_absolute():
        return [raw]
    out = []
    if adapter_dir is not None:
        out.append(Path(adapter_dir) / raw)
    out.append(Path.cwd() / raw)
    return out


def _snapshot_of_cache_repo(repo_dir: Path, revision: str | None) -> Path | None:
    """``models--org--name`` → its snapshot for ``revision`` (or main, or the newest)."""
    snapshots = repo_dir / "snapshots"
    if not snapshots.is_dir():
        return None
    wanted: list[Path] = []
    rev = revision or "main"
    if COMMIT.match(rev):
        wanted.append(snapshots / rev)
    ref = repo_dir / "refs" / rev
    if ref.is_file():
        wanted.append(snapshots / ref.read_text(encoding="utf-8").strip())
    if revision is None:
        others = sorted(snapshots.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
        wanted.extend(others)
    for snap in wanted:
        if is_model_folder(snap):
            return snap
    return None


def _not_found(adapter: AdapterInfo, recorded: str, repo_ids: list[str]) -> BaseModelNotFoundError:
    if repo_ids:
        endpoint = os.environ.get("HF_ENDPOINT")
        hint = (
            f"Pass the base model folder with --base, or allow downloading {repo_ids[0]} "
            f"(--download) from {endpoint or 'huggingface.co'}"
            + ("" if endpoint else "; in China set HF_ENDPOINT=https://hf-mirror.com first")
            + "."
        )
    else:
        hint = (
            f"{recorded!r} does not exist on this computer; pass the base model folder with --base."
        )
    return BaseModelNotFoundError(
        f"base model {recorded!r} was not found locally (looked in the adapter folder, the "
        f"working folder, {hf_hub_cache()} and the ModelScope cache)",
        path=adapter.adapter_dir,
        field="base_model_name_or_path",
        hint=hint,
        repo_id=repo_ids[0] if repo_ids else None,
    )


def _download_hint(repo_id: str, endpoint: str | None) -> str:
    base = f"Check the connection, or download {repo_id} yourself and pass it with --base."
    if not endpoint:
        base += " If huggingface.co is blocked, set HF_ENDPOINT=https://hf-mirror.com."
    return base + " Gated models (Llama, Gemma) need `huggingface-cli login` first."


def _progress_bar_class(ctx: JobContext) -> type:
    """A silent tqdm whose updates become ``ctx.progress`` events (and honour cancel)."""
    from tqdm.auto import tqdm

    class JobProgressBar(tqdm):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("name", None)
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self._tf_unit = kwargs.get("unit", "it")
            self._tf_desc = str(kwargs.get("desc") or "")

        def update(self, n: float | None = 1) -> bool | None:
            self.n += n or 0
            ctx.check_cancelled()
            if self._tf_desc.startswith("Downloading bytes"):
                return None  # network bytes; the on-disk bar below has the real total
            total = float(self.total or 0)
            if self._tf_unit == "B":
                ctx.progress("download", float(self.n), total, unit="B")
            else:
                ctx.progress("download files", float(self.n), total, unit="files")
            return None

    return JobProgressBar
