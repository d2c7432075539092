"""Plain functions the Fine-tune page runs in worker jobs (never on the GUI thread)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATASET_SUFFIXES = (".json", ".jsonl", ".csv", ".parquet")


def is_dataset_path(path: Path) -> bool:
    """A dataset file, or a LLaMA-Factory folder (with dataset_info.json)."""
    path = Path(path)
    if path.is_dir():
        return (path / "dataset_info.json").is_file()
    return path.suffix.lower() in DATASET_SUFFIXES and path.name != "dataset_info.json"


def dataset_names(folder: Path) -> list[str]:
    info = Path(folder) / "dataset_info.json"
    if not info.is_file():
        return []
    data = json.loads(info.read_text(encoding="utf-8"))
    return list(data) if isinstance(data, dict) else []


def read_line(file: Path, line: int) -> str:
    """Line ``line`` (1-based) of a text file, for an error's "show me"."""
    with open(file, encoding="utf-8", errors="replace") as handle:
        for number, text in enumerate(handle, 1):
            if number == line:
                return text.rstrip("\n")
    return ""


@dataclass(frozen=True, kw_only=True)
class CachedModel:
    repo_id: str
    path: Path
    size_gb: float


def cached_models() -> list[CachedModel]:
    """Models already in the Hugging Face cache (newest snapshot of each)."""
    try:
        from huggingface_hub import scan_cache_dir

        from engine.lora.resolve import hf_hub_cache

        # The folder is read now (HF_HUB_CACHE / HF_HOME as set by Settings), not the one
        # huggingface_hub remembered when it was first imported.
        info = scan_cache_dir(hf_hub_cache())
    except Exception:
        return []
    out = []
    for repo in info.repos:
        if repo.repo_type != "model" or not repo.revisions:
            continue
        rev = max(repo.revisions, key=lambda r: r.last_modified)
        if (Path(rev.snapshot_path) / "config.json").is_file():
            out.append(CachedModel(repo_id=repo.repo_id, path=Path(rev.snapshot_path),
                                   size_gb=round(repo.size_on_disk / 1e9, 2)))  # fmt: skip
    return sorted(out, key=lambda m: m.repo_id.lower())


def resolve_base(text: str) -> Path | None:
    """A local folder, or an HF id already in the cache → its folder; else None."""
    text = text.strip()
    if not text:
        return None
    if Path(text).is_dir():
        return Path(text)
    for model in cached_models():
        if model.repo_id == text:
            return model.path
    return None


def progress_bar_class(ctx: Any) -> Any:
    """A tqdm class that reports to ``ctx`` (files done of total) and stops on cancel
    (huggingface_hub keeps the finished files and resumes the rest next time)."""
    from tqdm.auto import tqdm

    class JobBar(tqdm):  # type: ignore[misc, type-arg]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = False
            kwargs["file"] = _Null()
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            out = super().update(n)
            if self.total:
                ctx.progress("download", float(self.n), float(self.total), unit="files")
            ctx.check_cancelled()
            return out

    return JobBar


class _Null:
    def write(self, _text: str) -> None:
        pass

    def flush(self) -> None:
        pass


def download_model(repo_id: str, ctx: Any) -> Path:
    """Download (or resume) a model from the Hub (the mirror from Settings via HF_ENDPOINT)."""
    from huggingface_hub import snapshot_download

    ctx.log(f"downloading {repo_id}…")
    path = snapshot_download(repo_id, tqdm_class=progress_bar_class(ctx),
                             allow_patterns=["*.json", "*.safetensors", "*.model", "*.txt",
                                             "*.jinja", "*.tiktoken"])  # fmt: skip
    return Path(path)
