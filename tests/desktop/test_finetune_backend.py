"""The Fine-tune page's worker functions: dataset kinds, the HF cache browser, the
download progress bridge (no network)."""

from __future__ import annotations

import pytest

from desktop import finetune_backend as fb
from engine.errors import JobCancelled
from engine.jobs import JobContext, Progress


def test_dataset_paths_are_files_of_known_kinds_or_llama_factory_folders(tmp_path):
    (tmp_path / "a.jsonl").write_text("{}\n")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "config.json").write_text("{}")
    lf = tmp_path / "数据 lf"
    lf.mkdir()
    (lf / "dataset_info.json").write_text('{"alpaca_zh": {}, "mine": {}}', encoding="utf-8")
    assert fb.is_dataset_path(tmp_path / "a.jsonl") and fb.is_dataset_path(lf)
    assert not fb.is_dataset_path(tmp_path / "model")
    assert not fb.is_dataset_path(tmp_path / "x.gguf")
    assert fb.dataset_names(lf) == ["alpaca_zh", "mine"]
    assert fb.read_line(tmp_path / "a.jsonl", 1) == "{}"


def test_the_hf_cache_browser_finds_downloaded_models(tmp_path, monkeypatch):
    cache = tmp_path / "hf cache"
    snap = cache / "models--Qwen--Qwen2.5-0.5B-Instruct" / "snapshots" / "abc123"
    snap.mkdir(parents=True)
    (snap / "config.json").write_text("{}")
    (cache / "models--Qwen--Qwen2.5-0.5B-Instruct" / "refs").mkdir()
    (cache / "models--Qwen--Qwen2.5-0.5B-Instruct" / "refs" / "main").write_text("abc123")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(cache))
    found = fb.cached_models()
    assert [m.repo_id for m in found] == ["Qwen/Qwen2.5-0.5B-Instruct"]
    assert found[0].path == snap
    assert fb.resolve_base("Qwen/Qwen2.5-0.5B-Instruct") == snap
    assert fb.resolve_base("Qwen/not-downloaded") is None
    assert fb.resolve_base(str(tmp_path)) == tmp_path


def test_download_progress_reaches_the_job_and_stops_on_cancel():
    events = []
    ctx = JobContext(events.append, min_interval=0)
    bar = fb.progress_bar_class(ctx)(total=3)
    bar.update(1)
    bar.update(1)
    assert [(e.done, e.total, e.unit) for e in events if isinstance(e, Progress)] == [
        (1, 3, "files"),
        (2, 3, "files"),
    ]
    ctx.cancel()
    with pytest.raises(JobCancelled):
        bar.update(1)
    bar.close()
