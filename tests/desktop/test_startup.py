"""Launching the GUI: the window shows, and torch & co. are never imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = {"torch", "transformers", "peft", "accelerate", "llama_cpp", "numpy", "gguf", "requests"}


def test_launch_shows_the_window_without_heavy_imports(tmp_path):
    probe = (
        "import json, sys\n"
        "from desktop.app import main\n"
        "rc = main(['tuneforge-gui', '--exit-after-show'])\n"
        "print(json.dumps({'rc': rc, 'modules': sorted({m.split('.')[0] for m in sys.modules})}))\n"
    )
    env = {
        **os.environ,
        "TUNEFORGE_CONFIG_DIR": str(tmp_path / "配置"),
        "TUNEFORGE_PRINT_STARTUP": "1",
    }
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    lines = out.strip().splitlines()
    assert any(line.startswith("first paint after") for line in lines), out
    result = json.loads(lines[-1])
    assert result["rc"] == 0
    assert not set(result["modules"]) & HEAVY, sorted(set(result["modules"]) & HEAVY)
