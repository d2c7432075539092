"""``tuneforge train --gpus all`` / ``--processes N`` from a Python without torch (the frozen
app): the GPUs are counted by the driver (here a stand-in ``nvidia-smi``), never by torch in
this process, and ``accelerate launch`` runs in the training runtime's Python.

The "app" is this checkout started with stand-in ``torch``/``accelerate``/``pynvml`` packages
that fail on import (ahead on PYTHONPATH, which a runtime child never inherits). The runtime
is a real venv at the default runtime place, made from the base Python with a ``.pth`` that
puts this checkout and the test venv's packages (real torch, accelerate) on its path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from engine import __version__
from engine.runtime import use
from engine.runtime.layout import RuntimeLayout
from engine.train.rundir import read_events
from tests.engine.train.helpers import write_dataset

pytest.importorskip("torch")
pytest.importorskip("accelerate")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="stand-in nvidia-smi is a shell script"),
]

ROOT = Path(__file__).resolve().parents[3]
BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)
NOT_HERE = "raise ImportError('{name} is not in this Python (the frozen app has no torch)')\n"
FAKE_SMI = """#!/bin/sh
case "$1" in
  --query-gpu=*) printf 'NVIDIA H200, 550.54.15, 143771\\nNVIDIA H200, 550.54.15, 143771\\n' ;;
  *) echo '| NVIDIA-SMI 550.54.15   Driver Version: 550.54.15   CUDA Version: 12.4 |' ;;
esac
"""
TRAIN = ["--device", "cpu", "--max-steps", "2", "--batch-size", "2", "--grad-accum", "2",
         "--cutoff", "128", "--no-gradient-checkpointing", "--val-size", "0"]  # fmt: skip


def _make_runtime(layout: RuntimeLayout) -> None:
    subprocess.run([BASE_PYTHON, "-m", "venv", "--without-pip", str(layout.venv)], check=True)
    site = next(layout.venv.glob("lib/python*/site-packages"))
    dev_site = sysconfig.get_paths()["purelib"]
    # this checkout first (its engine, not the editable install's), then the test venv's packages
    (site / "tuneforge_test_runtime.pth").write_text(
        f"{ROOT}\nimport site; site.addsitedir({dev_site!r})\n", encoding="utf-8"
    )
    layout.write_marker({"build": "cpu", "engine": __version__, "installer": "test"})


def _no_torch_app(tmp_path: Path) -> dict[str, str]:
    shadow = tmp_path / "no torch"
    for name in ("torch", "accelerate", "pynvml"):
        (shadow / name).mkdir(parents=True)
        (shadow / name / "__init__.py").write_text(NOT_HERE.format(name=name), encoding="utf-8")
    bin_dir = tmp_path / "driver bin"
    bin_dir.mkdir()
    smi = bin_dir / "nvidia-smi"
    smi.write_text(FAKE_SMI, encoding="utf-8")
    smi.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "CUDA_VISIBLE_DEVICES"}
    env.update(PYTHONPATH=f"{shadow}{os.pathsep}{ROOT}", PATH=f"{bin_dir}{os.pathsep}{env['PATH']}",
               PYTHONUTF8="1", **{use.FORCE_ENV: "1"})  # fmt: skip
    return env


def test_gpus_all_counts_with_the_driver_and_launches_in_the_runtime(
    runtime_home, tiny_models, tmp_path
):
    _make_runtime(RuntimeLayout.default())
    env = _no_torch_app(tmp_path)
    data = write_dataset(tmp_path / "数据 data.jsonl", n=8)
    out = tmp_path / "两个 进程 run"
    # the app's Python cannot import torch: a child of it (the old sys.executable launch)
    # or a torch GPU count here fails
    check = subprocess.run([sys.executable, "-c", "import torch"], env=env, capture_output=True)
    assert check.returncode != 0
    proc = subprocess.run(
        [sys.executable, "-m", "engine", "train", "--base", str(tiny_models("qwen2")),
         "--data", str(data), "--out", str(out), "--gpus", "all", *TRAIN],
        env=env, capture_output=True, text=True, encoding="utf-8", timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "starting 2 training processes" in proc.stderr + proc.stdout  # two GPUs reported
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["world_size"] == 2
    assert [e["step"] for e in read_events(out) if e["event"] == "step"] == [1, 2]
    assert (out / "adapter" / "adapter_model.safetensors").is_file()


def test_without_a_runtime_the_error_says_how_to_install_one(runtime_home, tmp_path):
    env = _no_torch_app(tmp_path)
    data = write_dataset(tmp_path / "d.jsonl", n=4)
    proc = subprocess.run(
        [sys.executable, "-m", "engine", "train", "--base", str(tmp_path), "--data", str(data),
         "--out", str(tmp_path / "run"), "--processes", "2", "--device", "cpu"],
        env=env, capture_output=True, text=True, encoding="utf-8", timeout=120,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "training runtime" in proc.stderr and "runtime install" in proc.stderr


def test_cuda_visible_devices_narrows_the_driver_count(monkeypatch, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    smi = bin_dir / "nvidia-smi"
    smi.write_text(FAKE_SMI, encoding="utf-8")
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setitem(sys.modules, "pynvml", None)  # NVML absent: nvidia-smi answers
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert use.visible_gpu_count() == 2
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert use.visible_gpu_count() == 1
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert use.visible_gpu_count() == 0
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,-1,1")
    assert use.visible_gpu_count() == 1
