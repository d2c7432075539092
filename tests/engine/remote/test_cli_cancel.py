"""Ctrl-C during `tuneforge train --on BOX`'s upload cancels through the job ctx: no run
starts, the ``.partial`` on the box stays for the next try, exit 130 with one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from engine.remote import Box, add_box
from tests.engine.remote.conftest import REPO

pytest.importorskip("torch")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX-only")
def test_ctrl_c_during_the_upload_starts_no_run_and_keeps_the_partial(
    sshd, box_python, tmp_path, app_home
):
    work = tmp_path / "box work 上传 'dir'"
    add_box(box=Box(name="gpu", host="127.0.0.1", port=sshd.port, user=sshd.user,
                    key_file=str(sshd.user_key), python=box_python, work_dir=str(work)))  # fmt: skip
    data = tmp_path / "数据.jsonl"
    data.write_text('{"instruction": "hi", "output": "hello"}\n', encoding="utf-8")
    base = tmp_path / "本地 base"
    base.mkdir()
    (base / "config.json").write_text("{}", encoding="utf-8")
    weights = os.urandom(12 << 20)
    (base / "model.safetensors").write_bytes(weights)
    env = {**os.environ, "PYTHONPATH": str(REPO), "TUNEFORGE_HOME": str(app_home),
           "TUNEFORGE_TEST_PROGRESS_DELAY": "0.3"}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "engine", "train", "--on", "gpu", "--upload-base",
                             str(base), "--data", str(data), "--out", str(tmp_path / "out"),
                             "--device", "cpu"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    partial = work / "models" / base.name / "model.safetensors.partial"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if partial.is_file() and partial.stat().st_size >= 1 << 20:
                break
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert "upload cancelled" in last and "resumes" in last, err
    assert not (work / "runs").exists()  # no run was started
    assert (1 << 20) <= partial.stat().st_size < len(weights)
    assert not (work / "models" / base.name / "model.safetensors").exists()
