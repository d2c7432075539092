"""The real thing, for CI: install a CPU training runtime from the package index into a temp
app-data folder, then train a tiny model through it, from the PyInstaller bundle when
``TUNEFORGE_TEST_BUNDLE`` names one (``installer/build.py --runtime-install`` does), else
from this checkout's CLI with ``TUNEFORGE_USE_RUNTIME=1``.

Off unless ``TUNEFORGE_TEST_RUNTIME_INSTALL=1``: it downloads torch (CPU, ~200 MB) and the
training stack (~100 MB more) and takes minutes. Where the packages come from is the usual
``TUNEFORGE_RUNTIME_INDEX_URL`` / ``_TORCH_INDEX_URL`` / ``_EXTRA_INDEX_URLS`` /
``_FIND_LINKS`` (uv does not read pip's config), e.g. on the dev box::

    TUNEFORGE_TEST_RUNTIME_INSTALL=1 TUNEFORGE_RUNTIME_INDEX_URL=file:///opt/pypi/simple \\
    TUNEFORGE_RUNTIME_TORCH_INDEX_URL=file:///opt/pypi-more/simple \\
    TUNEFORGE_RUNTIME_FIND_LINKS=/opt/wheels pytest -m slow tests/installer/test_runtime_install.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.runtime.lock import load_lock

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("TUNEFORGE_TEST_RUNTIME_INSTALL") != "1",
        reason="downloads torch: set TUNEFORGE_TEST_RUNTIME_INSTALL=1 (CI)",
    ),
]


def _cli() -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TUNEFORGE_HOME")}
    bundle = os.environ.get("TUNEFORGE_TEST_BUNDLE")
    if bundle:
        exe = "tuneforge-cli.exe" if os.name == "nt" else "tuneforge-cli"
        return [str(Path(bundle) / exe)], env
    env["PYTHONPATH"] = str(ROOT)
    env["TUNEFORGE_USE_RUNTIME"] = "1"  # this venv has torch: train through the runtime anyway
    return [sys.executable, "-m", "engine"], env


def _run(
    cmd: list[str], env: dict[str, str], timeout: int = 1800
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, encoding="utf-8",
                          errors="replace", timeout=timeout)  # fmt: skip
    print(proc.stdout[-4000:], proc.stderr[-4000:])
    return proc


def test_cpu_runtime_from_the_index_trains_a_tiny_model(tmp_path):
    from tests.engine.train.helpers import write_dataset
    from tests.fixtures.models import build_model

    cli, env = _cli()
    env["TUNEFORGE_HOME"] = str(tmp_path / "应用 data")
    installed = _run([*cli, "runtime", "install", "--cuda", "cpu"], env)
    assert installed.returncode == 0, installed.stderr[-3000:]
    status = json.loads(_run([*cli, "runtime", "status", "--json"], env).stdout)
    torch_version = load_lock().build("cpu").torch
    assert status["installed"] is True and status["cuda"] is None
    assert status["torch"].split("+")[0] == torch_version
    assert Path(status["path"]).is_relative_to(tmp_path)

    base = build_model("qwen2", tmp_path / "base model", dtype="float32")
    data = write_dataset(tmp_path / "data" / "train.jsonl", n=8)
    run = tmp_path / "训练 run"
    trained = _run([*cli, "train", "--base", str(base), "--data", str(data), "--out", str(run),
                    "--device", "cpu", "--max-steps", "2", "--batch-size", "2", "--grad-accum", "1",
                    "--cutoff", "128", "--val-size", "0", "--no-gradient-checkpointing"], env)  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-3000:]
    events = [
        json.loads(line) for line in (run / "events.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [e["step"] for e in events if e.get("event") == "step"][-1] == 2
    assert (run / "adapter" / "adapter_config.json").is_file()
