"""Tiny CPU training runs on a real sshd "box" (127.0.0.1), its runtime this test venv.

The work dir has spaces and Chinese characters; the run is detached, followed from a byte
offset, stopped, interrupted (as by a reboot) and resumed, and downloaded with hash checks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from engine.remote import Box, add_box, connect, follow, list_runs, status, stop, submit
from engine.train.rundir import read_events
from tests.engine.remote.conftest import REPO
from tests.engine.train.helpers import write_dataset

pytest.importorskip("torch")
pytestmark = pytest.mark.slow

TRAIN = ["--device", "cpu", "--batch-size", "4", "--grad-accum", "1", "--cutoff", "128",
         "--no-gradient-checkpointing", "--lr", "5e-3"]  # fmt: skip


@pytest.fixture(scope="module")
def base(tiny_models):
    return tiny_models("qwen2")


@pytest.fixture
def box(sshd, box_python, tmp_path):
    work = tmp_path / "box work 投喂 'dir'"
    add_box(box=Box(name="gpu", host="127.0.0.1", port=sshd.port, user=sshd.user,
                    key_file=str(sshd.user_key), python=box_python, work_dir=str(work)))  # fmt: skip
    return work


def _wait(predicate, seconds=120.0):
    deadline = time.monotonic() + seconds  # bounded
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_train_on_a_box_end_to_end(box, base, tmp_path, capsys):
    from engine.cli.main import main

    data = write_dataset(tmp_path / "我的 数据 'x'.jsonl", n=8)
    out = tmp_path / "本地 结果"
    rc = main(["train", "--on", "gpu", "--base", str(base), "--data", str(data), "--out", str(out),
               "--max-steps", "3", *TRAIN])  # fmt: skip
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    assert (out / "loss.png").is_file()
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["world_size"] == 1 and run["total_steps"] == 3
    steps = [e["step"] for e in read_events(out) if e["event"] == "step"]
    assert steps == [1, 2, 3]
    assert "training 8 examples for 3 steps on cpu" in captured.err
    assert f'tuneforge package "{out / "adapter"}"' in captured.out
    # the run folder on the box lies under the quoted work dir
    (run_dir,) = [p for p in (box / "runs").iterdir() if p.is_dir()]
    assert (run_dir / "adapter" / "adapter_model.safetensors").read_bytes() == (
        out / "adapter" / "adapter_model.safetensors").read_bytes()  # fmt: skip
    assert main(["remote", "runs", "gpu", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)["runs"]
    assert [(r["id"], r["status"], r["step"], r["dataset"]) for r in listed] == [
        (run_dir.name, "finished", 3, data.name)]  # fmt: skip
    assert set(listed[0]) == {"id", "status", "step", "base", "dataset", "started"}
    # check: no GPU here, disk and runtime reported
    assert main(["remote", "check", "gpu", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["gpus"] == [] and report["runtime"] == "0.1.0" and report["free_gb"] > 0


def test_client_killed_mid_run_then_attach_finishes_without_gaps(box, base, tmp_path, app_home):
    data = write_dataset(tmp_path / "d.jsonl", n=8)
    out = tmp_path / "out dir"
    env = {**os.environ, "PYTHONPATH": str(REPO), "TUNEFORGE_HOME": str(app_home)}
    # the client keeps no password here (key login), so a child process can connect too
    client = subprocess.Popen([sys.executable, "-m", "engine", "train", "--on", "gpu", "--base", str(base),
                               "--data", str(data), "--out", str(out), "--max-steps", "40", *TRAIN],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    state = out / ".tuneforge-remote.json"

    def saw_steps():
        return (
            state.is_file()
            and json.loads(state.read_text())["offset"] > 0
            and client.poll() is None
        )

    try:
        assert _wait(saw_steps), client.communicate(timeout=30)
    finally:
        client.kill()  # the client dies mid-run; the run on the box goes on
        client.wait()
    before = json.loads(state.read_text())
    run_id = before["run_id"]
    with connect("gpu") as conn:
        assert status(conn, run_id).status in ("running", "finished")
        remote_events = box / "runs" / run_id / "events.jsonl"
        seen: list[dict] = []
        head = remote_events.read_bytes()[: before["offset"]]
        seen += [json.loads(line) for line in head.splitlines()]
        final, offset = follow(
            conn, run_id, offset=before["offset"], on_record=seen.append, poll=0.2
        )
    assert final == "finished"
    assert offset == remote_events.stat().st_size
    assert seen == read_events(box / "runs" / run_id)  # nothing missed, nothing twice
    steps = [e["step"] for e in seen if e["event"] == "step"]
    assert steps == list(range(1, 41))
    # and through the CLI: attach from the saved offset downloads the finished run
    from engine.cli.main import main

    assert main(["remote", "attach", "gpu", run_id, "--out", str(out)]) == 0
    assert (out / "adapter" / "adapter_model.safetensors").is_file()


def test_stop_checkpoints_and_a_rebooted_box_resumes(box, base, tmp_path):
    from engine.cli.main import main

    data = write_dataset(tmp_path / "d.jsonl", n=8)
    with connect("gpu") as conn:
        run_id = submit(conn, train_args=["--max-steps", "5000", "--save-steps", "2", *TRAIN],
                        data=data, base=str(base))  # fmt: skip
        run_dir = box / "runs" / run_id
        assert _wait(lambda: any(e["event"] == "checkpoint" for e in read_events(run_dir)))
        assert stop(conn, run_id)
        assert _wait(lambda: status(conn, run_id).status == "stopped", 60)
        stopped_at = status(conn, run_id).step
        assert (run_dir / "checkpoints").is_dir()
        # a "reboot": the process is killed without warning
        from engine.remote.runs import resume

        resume(conn, run_id)
        assert _wait(lambda: status(conn, run_id).step > stopped_at + 2)
        pid = int((box / "runs" / f"{run_id}.pid").read_text())
        os.killpg(pid, signal.SIGKILL)
        assert _wait(lambda: status(conn, run_id).status == "interrupted", 30)
        assert [r.status for r in list_runs(conn)] == ["interrupted"]
        assert not stop(conn, run_id)  # nothing to stop
    out = tmp_path / "fetched"
    assert main(["remote", "fetch", "gpu", run_id, "--out", str(out)]) == 0
    assert (out / "events.jsonl").is_file() and (out / "run.json").is_file()


def test_stop_file_stops_a_two_process_run_on_the_box(box, base, tmp_path, capsys):
    from engine.cli.main import main
    from engine.remote.runs import STOP_FILE, _launcher_args

    data = write_dataset(tmp_path / "d.jsonl", n=8)
    with connect("gpu") as conn:
        run_id = submit(conn, train_args=["--processes", "2", "--max-steps", "5000", "--save-steps", "1000",
                                          "--val-size", "0", *TRAIN], data=data, base=str(base))  # fmt: skip
        run_dir = box / "runs" / run_id
        assert _wait(lambda: status(conn, run_id).step >= 2, 240)
    rc = main(["remote", "stop", "gpu", run_id, "--wait", "120"])
    out = capsys.readouterr().out
    assert rc == 0 and "stopped at step" in out, out
    assert (run_dir / STOP_FILE).is_file()  # the file stopped it, not the signal fallback
    assert "KeyboardInterrupt" not in (box / "runs" / f"{run_id}.log").read_text()
    assert json.loads((run_dir / "run.json").read_text())["world_size"] == 2
    (stopped,) = [e for e in read_events(run_dir) if e["event"] == "stopped"]
    assert (run_dir / "checkpoints" / f"step-{stopped['step']}").is_dir()
    with connect("gpu") as conn:
        assert status(conn, run_id).status == "stopped"
    # a resume starts as many ranks as the first start
    assert _launcher_args(["--max-steps", "9", "--processes", "2", "--lr", "1"]) == [
        "--processes",
        "2",
    ]
    assert _launcher_args(["--gpus", "all"]) == ["--gpus", "all"]
    assert _launcher_args(["--processes", "1"]) == []


def test_a_rebooted_box_shows_interrupted_and_attach_resumes_from_the_checkpoint(
    box, base, tmp_path, capsys
):
    from engine.cli.main import main

    data = write_dataset(tmp_path / "d.jsonl", n=8)
    with connect("gpu") as conn:
        run_id = submit(conn, train_args=["--max-steps", "24", "--save-steps", "3", *TRAIN], data=data,
                        base=str(base))  # fmt: skip
        run_dir = box / "runs" / run_id
        assert _wait(lambda: any(e["event"] == "checkpoint" for e in read_events(run_dir)))
        pid = int((box / "runs" / f"{run_id}.pid").read_text())
        os.killpg(pid, signal.SIGKILL)  # the box went down mid-run
        assert _wait(lambda: status(conn, run_id).status == "interrupted", 30)
    saved = max(e["step"] for e in read_events(run_dir) if e["event"] == "checkpoint")
    out = tmp_path / "attached"
    assert main(["remote", "attach", "gpu", run_id, "--out", str(out)]) == 0
    assert (
        "was interrupted (box rebooted?); resuming from its last checkpoint"
        in capsys.readouterr().err
    )
    events = read_events(run_dir)
    (resumed,) = [e for e in events if e["event"] == "resumed"]
    assert resumed["step"] == saved and resumed["checkpoint"] == f"step-{saved}"
    after = [e["step"] for e in events[events.index(resumed) :] if e["event"] == "step"]
    assert after == list(range(saved + 1, 25)) and events[-1]["event"] == "finished"
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
