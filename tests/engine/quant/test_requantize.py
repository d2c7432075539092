"""``tuneforge quantize``: llama.cpp in a child process, per-tensor progress, cancel and
failures leave nothing behind, the CLI end to end (paths with spaces and Chinese)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import namedtuple
from pathlib import Path

import pytest

from engine.jobs import JobHandle, Progress, run_job
from engine.quant import FILE_TYPES
from engine.quant.errors import NotEnoughDiskError, QuantizeInputError
from engine.quant.requantize import QuantizeResult, QuantizeSpec, quantize_gguf
from tests.engine.quant.helpers import (
    SyntheticModel,
    llama_cpp_or_skip,
    llama_quantize,
    read_tensors,
    write_synthetic_gguf,
)

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    llama_cpp_or_skip()
    folder = tmp_path_factory.mktemp("投喂的 资料")
    return write_synthetic_gguf(
        folder / "我的 模型-bf16.gguf", SyntheticModel(n_layer=4, vocab=1000)
    )


def leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_output_is_exactly_llama_cpps_file_with_progress_per_tensor(
    source: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "输出 目录"
    out_dir.mkdir()
    final = out_dir / "我的 模型-Q4_K_M.gguf"
    events: list[object] = []
    outcome = run_job(
        quantize_gguf,
        QuantizeSpec(input_path=source, output_path=final, file_type="q4_k_m", threads=2),
        on_event=events.append,
    )
    assert outcome.ok, outcome.error
    result = outcome.result
    assert isinstance(result, QuantizeResult) and result.file_type == "Q4_K_M"
    assert result.output_bytes == final.stat().st_size

    reference = tmp_path / "reference.gguf"
    llama_quantize(source, reference, FILE_TYPES["Q4_K_M"].ftype)
    assert final.read_bytes() == reference.read_bytes()
    assert leftovers(out_dir, {final.name}) == []

    progress = [e for e in events if isinstance(e, Progress) and e.stage == "quantize"]
    n_tensors = len(read_tensors(source))
    assert progress[-1].done == progress[-1].total == n_tensors
    assert len({p.done for p in progress}) >= 3  # really per tensor, not just start/end


def test_already_quantized_input_is_refused(source: Path, tmp_path: Path) -> None:
    q8 = tmp_path / "q8.gguf"
    llama_quantize(source, q8, FILE_TYPES["Q8_0"].ftype)
    outcome = run_job(
        quantize_gguf,
        QuantizeSpec(input_path=q8, output_path=tmp_path / "x.gguf", file_type="Q4_K_M"),
    )
    assert isinstance(outcome.error, QuantizeInputError)
    assert "already quantized" in outcome.error.message and "tuneforge convert" in (
        outcome.error.hint or ""
    )
    assert not (tmp_path / "x.gguf").exists()


def test_not_a_gguf_and_same_path_are_refused(source: Path, tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 not a gguf")
    outcome = run_job(
        quantize_gguf,
        QuantizeSpec(input_path=fake, output_path=tmp_path / "o.gguf", file_type="Q8_0"),
    )
    assert isinstance(outcome.error, QuantizeInputError) and "not a GGUF" in outcome.error.message
    outcome = run_job(
        quantize_gguf, QuantizeSpec(input_path=source, output_path=source, file_type="Q8_0")
    )
    assert isinstance(outcome.error, QuantizeInputError) and "overwrite" in outcome.error.message


def test_not_enough_disk_stops_before_writing(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(
        "engine.quant.estimate.shutil.disk_usage", lambda p: usage(10**9, 10**9 - 1000, 1000)
    )
    final = tmp_path / "out.gguf"
    outcome = run_job(
        quantize_gguf, QuantizeSpec(input_path=source, output_path=final, file_type="Q4_K_M")
    )
    assert isinstance(outcome.error, NotEnoughDiskError)
    assert "needs about" in outcome.error.message
    assert leftovers(tmp_path, set()) == []


@pytest.mark.slow
def test_cancel_kills_the_child_and_leaves_nothing(tmp_path: Path) -> None:
    llama_cpp_or_skip()
    big = write_synthetic_gguf(
        tmp_path / "big bf16.gguf",
        SyntheticModel(n_layer=24, hidden=1024, ff=2816, vocab=8000, n_head=8),
    )
    out_dir = tmp_path / "取消"
    out_dir.mkdir()
    started = threading.Event()

    def on_event(event: object) -> None:
        if isinstance(event, Progress) and event.stage == "quantize" and event.done >= 2:
            started.set()

    spec = QuantizeSpec(
        input_path=big, output_path=out_dir / "m.gguf", file_type="Q4_K_M", threads=1
    )
    handle = JobHandle(quantize_gguf, spec, on_event).start()
    assert started.wait(120), "quantization never started"
    t0 = time.monotonic()
    handle.cancel()
    outcome = handle.wait(60)
    assert outcome is not None and outcome.status == "cancelled"
    assert time.monotonic() - t0 < 10
    assert leftovers(out_dir, set()) == []


def test_cli_quantize_and_list_types(source: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    out = tmp_path / "命令 行" / "out.gguf"
    run = subprocess.run(
        [sys.executable, "-m", "engine", "quantize", str(source), "-o", str(out), "--type", "q8_0", "-q"],
        cwd=REPO, capture_output=True, text=True, encoding="utf-8", env=env, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "wrote" in run.stdout and "Q8_0" in run.stdout
    assert {t.type.name for t in read_tensors(out).values()} == {"Q8_0", "F32"}

    bad = subprocess.run(
        [sys.executable, "-m", "engine", "quantize", str(source), "--type", "Q9"],
        cwd=REPO, capture_output=True, text=True, encoding="utf-8", env=env, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 1 and "Q4_K_M" in bad.stderr

    listing = subprocess.run(
        [sys.executable, "-m", "engine", "quantize", "--list-types"],
        cwd=REPO, capture_output=True, text=True, encoding="utf-8", env=env, timeout=120,
    )  # fmt: skip
    assert listing.returncode == 0 and "* Q4_K_M" in listing.stdout and "Q2_K" in listing.stdout


def test_default_output_name() -> None:
    from engine.cli.cmd_quantize import default_output

    assert default_output(Path("d/模型-bf16.gguf"), "Q4_K_M") == Path("d/模型-Q4_K_M.gguf")
    assert default_output(Path("d/model.gguf"), "Q8_0") == Path("d/model-Q8_0.gguf")
