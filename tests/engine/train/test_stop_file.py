"""The stop file (``RUN/stop.request``): any process asks a run to stop; the loop sees it at
the next step, checkpoints and stops; a resume clears it and goes on. Several processes
(accelerate launch, gloo) stop together at one step, without hanging."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from engine.jobs import JobContext, run_job
from engine.jobs.events import Progress
from engine.remote.runs import STOP_FILE as REMOTE_STOP_FILE
from engine.train.loop import train_job
from engine.train.rundir import STOP_FILE, read_events, request_stop
from tests.engine.remote.conftest import REPO
from tests.engine.train.helpers import spec, write_dataset

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base(tiny_models):
    return tiny_models("qwen2")


def test_the_remote_client_writes_the_file_the_loop_reads():
    assert REMOTE_STOP_FILE == STOP_FILE


def test_stop_file_checkpoints_and_stops_then_resume_clears_it(base, tmp_path):
    data = write_dataset(tmp_path / "d.jsonl", n=8)
    run = tmp_path / "运行 stop"

    def sink(event):  # another process would write the file; here, after step 2
        if isinstance(event, Progress) and event.stage == "train" and event.done == 2:
            request_stop(run)

    outcome = run_job(
        train_job, spec(base, data, run, max_steps=6, save_steps=100), ctx=JobContext(sink)
    )
    assert outcome.status == "cancelled"
    stopped = [e for e in read_events(run) if e["event"] == "stopped"]
    assert [e["step"] for e in stopped] == [2]
    assert (run / "checkpoints" / "step-2" / "adapter_model.safetensors").is_file()
    assert (run / STOP_FILE).is_file()  # left for anyone to see until a resume
    resumed = run_job(train_job, spec(base, data, run, resume=True))
    assert resumed.ok, resumed.error
    assert not (run / STOP_FILE).exists()
    assert [e["step"] for e in read_events(run) if e["event"] == "step"] == [1, 2, 3, 4, 5, 6]


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_two_processes_stop_together_at_one_step(base, tmp_path):
    data = write_dataset(tmp_path / "d.jsonl", n=8)
    out = tmp_path / "两个 进程"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "engine", "train", "--base", str(base), "--data", str(data),
                             "--out", str(out), "--device", "cpu", "--processes", "2", "--max-steps", "5000",
                             "--batch-size", "2", "--grad-accum", "2", "--cutoff", "128", "--val-size", "0",
                             "--no-gradient-checkpointing", "--save-steps", "1000"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 240  # bounded
        while not any(e["event"] == "step" and e["step"] >= 2 for e in read_events(out)):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.3)
        proc.send_signal(signal.SIGINT)  # Ctrl-C: the CLI asks the ranks through the stop file
        _out, err = proc.communicate(timeout=120)  # all ranks agree and exit: no hang
    finally:
        _kill_tree(proc.pid)
    assert proc.returncode == 130, err.decode()
    assert b"stopped. Resume with: tuneforge train --resume" in err
    assert (out / STOP_FILE).is_file()
    events = read_events(out)
    (stopped,) = [e for e in events if e["event"] == "stopped"]
    steps = [e["step"] for e in events if e["event"] == "step"]
    assert stopped["step"] == steps[-1] and steps == list(range(1, steps[-1] + 1))
    assert (out / "checkpoints" / f"step-{stopped['step']}" / "adapter_model.safetensors").is_file()


def _kill_tree(pid: int) -> None:
    """The CLI and the launcher and ranks it started (they run in their own groups)."""
    psutil = pytest.importorskip("psutil")
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    for child in [*root.children(recursive=True), root]:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
