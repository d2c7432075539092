"""Training on a remote box from the Fine-tune page, against a real OpenSSH server on 127.0.0.1
(the fixture tests/engine/remote uses): add a box with its fingerprint confirmed, test it, set
it up, remove it; a recorded event stream on the box followed over SSH, the app closed (the
run goes on), reopened (the chart continues where it left off), stopped; and one real tiny
CPU training on the box started from the page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from tests.desktop.test_finetune_page import recorded_stream, write_dataset
from tests.engine.remote import conftest as remote_fixtures
from tests.engine.remote.conftest import REPO, MemoryKeyring

sshd = remote_fixtures.sshd  # the real loopback OpenSSH server the engine tests use


@pytest.fixture(autouse=True)
def secrets(monkeypatch):
    from engine.remote import set_secret_store

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    set_secret_store(MemoryKeyring())
    yield
    set_secret_store(None)


@pytest.fixture(scope="module")
def box_python(tmp_path_factory) -> str:
    """The box's runtime is this test venv running this checkout's engine."""
    path = tmp_path_factory.mktemp("runtime") / "python"
    path.write_text(
        f'#!/bin/sh\nPYTHONPATH="{REPO}" TUNEFORGE_NO_SIGINT= exec "{sys.executable}" "$@"\n'
    )
    os.chmod(path, 0o755)
    return str(path)


def _fingerprint(pub: Path) -> str:
    out = subprocess.run(["ssh-keygen", "-lf", str(pub)], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    return out.split()[1]


def _page(qtbot, settings):
    from desktop.pages.finetune_page import FinetunePage
    from desktop.remote_backend import RemoteBackend

    page = FinetunePage(settings)
    page.remote_factory = lambda box, base=None: RemoteBackend(box, base=base, poll_seconds=0.2)
    qtbot.addWidget(page)
    page.show()
    return page


def test_add_test_set_up_and_remove_a_box(qtbot, settings, sshd, box_python, monkeypatch, tmp_path):
    from engine.remote import load_boxes
    from engine.remote.boxes import known_hosts_file, save_boxes

    page = _page(qtbot, settings)
    where = page.where
    assert where.combo.count() == 1 and where.selected() is None
    assert not where.test_button.isEnabled()
    shown: list[str] = []
    answer = [False]
    monkeypatch.setattr("desktop.pages.finetune_where.confirm",
                        lambda *a: shown.append(a[3]) or answer[0])  # fmt: skip

    def fill(dialog):
        dialog.name.setText("租的 gpu")
        dialog.host.setText("127.0.0.1")
        dialog.port.setValue(sshd.port)
        dialog.user.setText(sshd.user)
        dialog.key_file.setText(str(sshd.user_key))

    where.add_button.click()
    fill(where.dialog)
    qtbot.mouseClick(where.dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)  # fmt: skip
    # the user is shown the host key's real fingerprint; refusing saves nothing
    qtbot.waitUntil(lambda: "not trusted" in where.status.text.text(), timeout=20_000)
    assert _fingerprint(Path(str(sshd.host_key) + ".pub")) in shown[0]
    assert load_boxes() == {} and not known_hosts_file().exists()
    answer[0] = True
    fill(where.open_dialog(None))
    where.dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: where.combo.count() == 2, timeout=20_000)
    assert where.selected() == "租的 gpu" and "logging in works" in where.status.text.text()
    assert load_boxes()["租的 gpu"].key_file == str(sshd.user_key)
    assert known_hosts_file().is_file()
    assert page.options.gpu_text.isHidden()  # a box's GPUs, not this computer's, count now

    qtbot.mouseClick(where.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "GB free" in where.status.text.text(), timeout=30_000)
    assert "no NVIDIA GPU" in where.status.text.text()  # nvidia-smi is not on this box
    assert "runtime not set up yet" in where.status.text.text()

    # set up: a box with its own Python environment (here: this venv) is checked, and ready
    work = tmp_path / "box 工作 dir"
    box = load_boxes()["租的 gpu"]
    from dataclasses import replace

    save_boxes({box.name: replace(box, python=box_python, work_dir=str(work))})
    where.refresh(select=box.name)
    qtbot.waitUntil(lambda: where.selected_box() is not None and where.selected_box().python,
                    timeout=10_000)  # fmt: skip
    qtbot.mouseClick(where.setup_button, Qt.MouseButton.LeftButton)
    assert where.setup_bar.isVisible() and not where.add_button.isEnabled()
    qtbot.waitUntil(lambda: "runtime 0.1.0" in where.status.text.text(), timeout=120_000)
    assert json.loads((work / "runtime.json").read_text())["version"]
    assert where.setup_bar.isHidden() and where.add_button.isEnabled()

    # edit: the same name, another port is refused by the real server, the box is unchanged
    dialog = where.open_dialog(where.selected_box())
    assert dialog.name.isReadOnly() and dialog.port.value() == sshd.port
    dialog.port.setValue(9)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: where.status.property("notice") == "error", timeout=20_000)
    assert "cannot reach 127.0.0.1:9" in where.status.text.text()
    assert load_boxes()["租的 gpu"].port == sshd.port

    qtbot.mouseClick(where.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: where.combo.count() == 1, timeout=10_000)
    assert load_boxes() == {} and where.selected() is None


class FakeBoxRun:
    """A run on the box as the follower sees it: meta, pid (a live process whose command line
    names the run, in its own process group like ``setsid``), and a growing events.jsonl."""

    def __init__(self, work: Path, run_id: str = "20260101-120000-beef") -> None:
        self.run_id = run_id
        self.runs = work / "runs"
        (self.runs / run_id).mkdir(parents=True)
        (self.runs / f"{run_id}.meta.json").write_text(json.dumps(
            {"id": run_id, "base": "Qwen/Qwen2.5-0.5B", "dataset": "d.jsonl", "started": "now"}))  # fmt: skip
        self.proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)",
                                      "engine.cli.boxrun", run_id], start_new_session=True)  # fmt: skip
        (self.runs / f"{run_id}.pid").write_text(str(self.proc.pid))
        self.events = self.runs / run_id / "events.jsonl"

    def write(self, records: list[dict]) -> None:
        with open(self.events, "a", encoding="utf-8") as handle:
            handle.writelines(json.dumps(r) + "\n" for r in records)

    def finish(self) -> None:
        adapter = self.runs / self.run_id / "adapter"
        adapter.mkdir()
        (adapter / "adapter_config.json").write_text("{}")
        (self.runs / self.run_id / "run.json").write_text(json.dumps(
            {"spec": {"base": "/box/models/base", "data": "/box/data/d.jsonl"}, "total_steps": 20}))  # fmt: skip
        self.proc.kill()
        self.proc.wait(10)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def box_run(sshd, tmp_path):
    from engine.remote import Box, add_box

    work = tmp_path / "box work 投喂"
    add_box(box=Box(name="gpu", host="127.0.0.1", port=sshd.port, user=sshd.user,
                    key_file=str(sshd.user_key), work_dir=str(work)))  # fmt: skip
    run = FakeBoxRun(work)
    yield run
    run.close()


def _follow_again(settings, out: Path, run_id: str) -> None:
    """What the page remembers when it starts a run on a box (as submit would have left it)."""
    from engine.remote.display import save_state

    save_state(out, box="gpu", run_id=run_id, offset=0, total=0)
    (out / "run.json").write_text(json.dumps({"spec": {"base": "Qwen/Qwen2.5-0.5B",
                                  "data": "/home/me/d.jsonl"}, "total_steps": 0}))  # fmt: skip
    settings.update(remote_runs=[str(out)])


def test_a_box_run_goes_on_when_the_app_closes_and_is_reattached(make_window, qtbot, settings,
                                                                 box_run, monkeypatch):  # fmt: skip
    from desktop.remote_backend import RemoteBackend

    stream = recorded_stream(20)
    first, rest = stream[:12], stream[12:-1]  # started + steps 1..10 (+ eval), then the rest
    box_run.write(first)
    out = settings.output_dir() / "runs" / "on the box 运行"
    _follow_again(settings, out, box_run.run_id)

    def open_app():
        window = make_window(start=False)
        page = window.finetune_page
        page.remote_factory = lambda box, base=None: RemoteBackend(box, base=base, poll_seconds=0.2)
        page.start_background()
        return window, page

    window, page = open_app()
    qtbot.waitUntil(lambda: len(page.run_panel.chart.train) == 10, timeout=20_000)
    assert page.running_remotely and page.stop_button.isVisible()
    asked = []
    monkeypatch.setattr("desktop.main_window.confirm", lambda *a: asked.append(a) or True)
    window.close()
    assert asked == []  # a box run is not stopped by quitting: nothing to ask
    assert box_run.proc.poll() is None
    assert settings.values.remote_runs == [str(out)]

    box_run.write(rest)  # the run went on while the app was closed
    window, page = open_app()
    qtbot.waitUntil(lambda: len(page.run_panel.chart.train) == 20, timeout=20_000)
    assert [s for s, _ in page.run_panel.chart.train] == list(range(1, 21))
    assert [s for s, _ in page.run_panel.chart.eval] == [5, 10, 15, 20]
    assert page.run_panel.advice.isVisible()
    box_run.write(stream[-1:])
    box_run.finish()
    qtbot.waitUntil(lambda: page.mode == "finished", timeout=20_000)
    assert page.package_button.isVisible()
    assert (out / "adapter" / "adapter_config.json").is_file()
    assert settings.values.remote_runs == []
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["spec"]["base"] == "Qwen/Qwen2.5-0.5B"  # the user's names, not the box's
    assert record["remote"] == {
        "box": "gpu",
        "base": "/box/models/base",
        "data": "/box/data/d.jsonl",
    }
    table = page.runs.table
    qtbot.waitUntil(lambda: table.rowCount() == 1 and table.item(0, 1).text() == "finished",
                    timeout=10_000)  # fmt: skip
    assert table.item(0, 5).text() == "gpu" and table.item(0, 2).text() == "Qwen2.5-0.5B"


def test_stop_stops_the_run_on_the_box(qtbot, settings, box_run):
    stream = recorded_stream(20)
    box_run.write(stream[:8])
    out = settings.output_dir() / "runs" / "stop me"
    _follow_again(settings, out, box_run.run_id)
    page = _page(qtbot, settings)
    page.reattach()
    qtbot.waitUntil(lambda: len(page.run_panel.chart.train) == 6, timeout=20_000)
    qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.mode == "stopped", timeout=20_000)
    assert box_run.proc.wait(10) != 0  # SIGINT reached the run's process group on the box
    assert settings.values.remote_runs == []
    assert page.resume_button.isVisible()


def test_an_unreachable_box_at_start_keeps_the_run_remembered(qtbot, settings, tmp_path):
    from engine.remote import Box
    from engine.remote.boxes import save_boxes
    from engine.remote.display import save_state

    save_boxes({"gone": Box(name="gone", host="127.0.0.1", port=9, user="me",
                            key_file=str(tmp_path / "key"))})  # fmt: skip
    out = settings.output_dir() / "runs" / "on a box that is off"
    save_state(out, box="gone", run_id="20260101-000000-dead", offset=0, total=0)
    settings.update(remote_runs=[str(out)])
    page = _page(qtbot, settings)
    page.reattach()
    qtbot.waitUntil(lambda: page.mode == "failed", timeout=30_000)
    assert "cannot connect" in page.notice.text.text()
    assert settings.values.remote_runs == [str(out)]  # tried again at the next start


def _reparsed(spec, tmp_path):
    """``spec`` → the args sent to the box → the box's CLI parser → a TrainSpec again."""
    import argparse

    from desktop.remote_backend import train_args
    from engine.cli import cmd_train

    parser = argparse.ArgumentParser()
    cmd_train.register(parser.add_subparsers())
    args = parser.parse_args(["train", "--base", str(tmp_path), "--data", str(spec.data),
                              "--out", str(spec.out), *train_args(spec)])  # fmt: skip
    return cmd_train.spec_from_args(args)


# a value other than the default for every option of the page
PAGE_VALUES = {"lr": 1.5e-4, "epochs": 2.5, "max_steps": 7, "max_samples": 50,
               "max_grad_norm": 0.3, "compute": "fp32", "device": "cpu", "cutoff": 512,
               "batch_size": 3, "grad_accum": 5, "val_size": 0.25, "lora_rank": 4,
               "lora_alpha": 32.0, "lora_dropout": 0.1, "lora_targets": "q_proj,v_proj",
               "qlora": True}  # fmt: skip


def test_every_page_option_arrives_on_the_box(qtbot, tmp_path):
    from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit

    from desktop.pages.finetune_options import TrainOptions
    from engine.train.spec import TrainSpec

    options = TrainOptions()
    qtbot.addWidget(options)
    assert set(options.fields) == set(PAGE_VALUES)  # a new page option needs a value here
    for key, value in PAGE_VALUES.items():
        widget = options.fields[key]
        if isinstance(widget, QComboBox):
            widget.setCurrentText(value)
        elif isinstance(widget, QLineEdit):
            widget.setText(value)
        elif isinstance(widget, QCheckBox):
            widget.setChecked(value)
        else:
            widget.setValue(value)
    fields = options.spec_fields()
    spec = TrainSpec(base=tmp_path, data=tmp_path / "d.jsonl", out=tmp_path / "o", **fields)
    again = _reparsed(spec, tmp_path)
    defaults = TrainSpec(base=tmp_path, data=tmp_path, out=tmp_path)
    for name in fields:
        assert getattr(spec, name) != getattr(defaults, name), name  # the value tells
        assert getattr(again, name) == pytest.approx(getattr(spec, name)), name


def test_train_args_are_what_the_cli_on_the_box_accepts(tmp_path):
    import dataclasses

    from engine.train.spec import TrainSpec

    spec = TrainSpec(base=tmp_path, data=tmp_path / "d.jsonl", out=tmp_path / "o", dataset="mine",
                     device="cpu", max_steps=7, max_samples=50, lr=1e-4, cutoff=512, qlora=True,
                     val_size=0.0, gradient_checkpointing=False, lora_alpha=32.0, epochs=2.0,
                     compute="bf16", scheduler="linear", warmup_steps=3, batch_size=4,
                     grad_accum=2, lora_rank=16, lora_dropout=0.05, lora_targets="q_proj",
                     rslora=True, packing=True, eval_steps=5, save_steps=5, seed=7,
                     max_grad_norm=0.5, last_turn_only=True, train_on_prompt=True,
                     skip_invalid=True, liger="auto")  # fmt: skip
    again = _reparsed(spec, tmp_path)
    # where things are (the box has its own paths), and what the CLI has no flag for
    not_sent = {"base", "data", "out", "resume", "save_total_limit", "weight_decay", "attn"}
    defaults = TrainSpec(base=tmp_path, data=tmp_path, out=tmp_path)
    for field in dataclasses.fields(TrainSpec):
        if field.name in not_sent:
            continue
        assert getattr(spec, field.name) != getattr(defaults, field.name), field.name
        assert getattr(again, field.name) == getattr(spec, field.name), field.name


def test_max_grad_norm_on_the_command_line(tmp_path, capsys):
    from engine.cli.main import main

    rc = main(["train", "--base", str(tmp_path), "--data", str(tmp_path / "d.jsonl"),
               "--out", str(tmp_path / "o"), "--max-grad-norm", "-1"])  # fmt: skip
    assert rc != 0 and "--max-grad-norm" in capsys.readouterr().err


@pytest.mark.slow
def test_a_real_tiny_cpu_training_on_the_box_from_the_page(qtbot, settings, sshd, box_python,
                                                           tiny_models, tmp_path):  # fmt: skip
    pytest.importorskip("torch")
    from engine.remote import Box, add_box

    add_box(box=Box(name="gpu", host="127.0.0.1", port=sshd.port, user=sshd.user,
                    key_file=str(sshd.user_key), python=box_python,
                    work_dir=str(tmp_path / "box work")))  # fmt: skip
    base = tiny_models("qwen2")
    page = _page(qtbot, settings)
    page.where.refresh(select="gpu")
    qtbot.waitUntil(lambda: page.where.selected() == "gpu", timeout=10_000)
    page.base_edit.setText(str(base))
    page.set_dataset(write_dataset(tmp_path / "我的 data.jsonl", n=8))
    qtbot.waitUntil(lambda: page.base_path is not None and page.start_button.isEnabled(),
                    timeout=60_000)  # fmt: skip
    o = page.options
    o.apply_preset("quick")
    for name, value in (("max_steps", 3), ("cutoff", 128), ("batch_size", 4), ("grad_accum", 1),
                        ("val_size", 0), ("lr", 5e-3), ("max_samples", 6)):  # fmt: skip
        getattr(o, name).setValue(value)
    o.device.setCurrentText("cpu")
    page.fits = True
    page.start()
    qtbot.waitUntil(lambda: page.mode != "running", timeout=300_000)
    assert page.mode == "finished", page.notice.text.text()
    assert (page.run_dir / "adapter" / "adapter_model.safetensors").is_file()
    assert [s for s, _ in page.run_panel.chart.train] == [1, 2, 3]
    started = next(e for e in json.loads("[" + ",".join(
        (page.run_dir / "events.jsonl").read_text().splitlines()) + "]") if e["event"] == "started")  # fmt: skip
    assert started["examples"] == 6  # max samples reached the box
    assert settings.values.remote_runs == []


@pytest.mark.parametrize("how", ["stop", "quit"])
def test_stop_or_quit_while_uploading_starts_no_run_on_the_box(how, qtbot, settings, sshd,
                                                               box_python, tiny_models,
                                                               tmp_path, monkeypatch):  # fmt: skip
    import shutil

    from engine.jobs.context import TEST_SLOWDOWN_ENV
    from engine.remote import Box, add_box

    work = tmp_path / "box work 上传"
    add_box(box=Box(name="gpu", host="127.0.0.1", port=sshd.port, user=sshd.user,
                    key_file=str(sshd.user_key), python=box_python, work_dir=str(work)))  # fmt: skip
    base = tmp_path / "我的 base"
    shutil.copytree(tiny_models("qwen2"), base)
    extra = os.urandom(24 << 20)
    (base / "zz-extra.bin").write_bytes(extra)  # uploaded last, 1 MiB at a time
    monkeypatch.setenv(TEST_SLOWDOWN_ENV, "0.1")  # each uploaded MiB takes a tenth of a second
    page = _page(qtbot, settings)
    page.where.refresh(select="gpu")
    qtbot.waitUntil(lambda: page.where.selected() == "gpu", timeout=10_000)
    page.base_edit.setText(str(base))
    page.set_dataset(write_dataset(tmp_path / "我的 data.jsonl", n=8))
    qtbot.waitUntil(lambda: page.base_path is not None and page.start_button.isEnabled(),
                    timeout=60_000)  # fmt: skip
    page.options.device.setCurrentText("cpu")
    page.fits = True
    page.start()
    partial = work / "models" / base.name / "zz-extra.bin.partial"
    qtbot.waitUntil(lambda: partial.is_file() and partial.stat().st_size >= 2 << 20,
                    timeout=60_000)  # fmt: skip
    assert page.running_remotely
    # the run panel's bar shows the bytes of the file being uploaded
    bar, stats = page.run_panel.progress, page.run_panel.stats
    qtbot.waitUntil(lambda: "Uploading zz-extra.bin:" in stats.text() and bar.value() > 0,
                    timeout=20_000)  # fmt: skip
    assert stats.text().endswith(" / 25.2 MB")  # 24 MiB in decimal units and bar.maximum() == 1000
    assert 0 < bar.value() < 1000
    if how == "stop":
        qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: page.mode == "stopped", timeout=20_000)
        assert "before training started" in page.notice.text.text()
        assert not page.resume_button.isVisible()  # nothing to resume
    else:
        job = page._job
        page.detach()  # what quitting the app does to a run on a box
        qtbot.waitUntil(lambda: job.status == "cancelled", timeout=20_000)
    size = partial.stat().st_size
    assert size < len(extra)  # the upload was interrupted …
    qtbot.wait(1500)
    assert partial.stat().st_size == size  # … and stays so, resumable
    assert not (work / "runs").exists()  # no run was started on the box
    assert not (work / "models" / base.name / "zz-extra.bin").exists()
    assert settings.values.remote_runs == []  # nothing to re-attach at the next start


def test_cancel_box_setup_kills_the_install_on_the_box(qtbot, settings, sshd, monkeypatch,
                                                       tmp_path):  # fmt: skip
    """Set up, then Cancel while the installer runs on the box: the command (with its
    children) is killed there, and the panel is usable again and says so."""
    from engine.remote import Box, add_box
    from engine.runtime.plan import RuntimePlan
    from tests.engine.remote.test_setup import _alive_with

    work = tmp_path / "box 工作 setup"
    add_box(box=Box(name="gpu", host="127.0.0.1", port=sshd.port, user=sshd.user,
                    key_file=str(sshd.user_key), work_dir=str(work)))  # fmt: skip
    wheel = tmp_path / "tuneforge-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"not installed: the install below is cancelled first")
    monkeypatch.setattr("engine.remote.box.build_wheel", lambda root, out: wheel)
    seconds = f"{4000 + os.getpid() % 997}.5"  # the "installer": slow, with a child process
    monkeypatch.setattr(RuntimePlan, "commands", lambda self: [
        ["sh", "-c", f"echo Collecting torch; sleep {seconds} & sleep {seconds}"]])  # fmt: skip
    page = _page(qtbot, settings)
    where = page.where
    where.refresh(select="gpu")
    qtbot.waitUntil(lambda: where.selected() == "gpu", timeout=10_000)
    assert where.setup_cancel.isHidden()
    qtbot.mouseClick(where.setup_button, Qt.MouseButton.LeftButton)
    assert where.setup_cancel.isVisible() and not where.add_button.isEnabled()
    qtbot.waitUntil(lambda: "Collecting torch" in where.setup_log.toPlainText(), timeout=30_000)
    assert _alive_with(f"sleep {seconds}")
    qtbot.mouseClick(where.setup_cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Setup was cancelled" in where.status.text.text(), timeout=20_000)
    assert where.setup_bar.isHidden() and where.setup_cancel.isHidden()
    assert where.add_button.isEnabled() and where.setup_button.isEnabled()
    qtbot.waitUntil(lambda: not _alive_with(f"sleep {seconds}"), timeout=10_000)
    assert not (work / "runtime.json").exists()
