"""The Fine-tune page: drops, preview + data check (child process), a recorded event stream
through the real job plumbing (chart, advisor banner, stop/resume, Package), the run
history, and one real tiny CPU training started from the page."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.desktop.helpers import drop_path

WORDS = ["apple", "river", "cloud", "stone", "light", "green", "music", "paper"]


def write_dataset(path: Path, n: int = 16, *, bad_line: int | None = None) -> Path:
    rows = []
    for i in range(n):
        w = WORDS[i % len(WORDS)]
        rows.append(
            json.dumps({"instruction": f"Repeat the word {w} twice.", "output": f"{w} {w}"})
        )
    if bad_line is not None:
        rows[bad_line - 1] = json.dumps({"instruction": "no answer here"})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def recorded_stream(total: int = 20) -> list[dict]:
    """What a run writes to events.jsonl (fields as engine/train/loop.py writes them)."""
    t = time.time()
    out: list[dict] = [{"event": "started", "time": t, "total_steps": total, "examples": 90}]
    for step in range(1, total + 1):
        out.append({"event": "step", "time": t + step, "step": step, "loss": 2.5 / step ** 0.5,
                    "lr": 2e-4, "grad_norm": 1.0, "epoch": step / 10, "tokens": 4000,
                    "trained_tokens": 900, "tokens_per_s": 1234.0, "eta_s": (total - step) * 2.0,
                    "gpu_memory_mb": 6144.0})  # fmt: skip
        if step % 5 == 0:
            out.append({"event": "eval", "time": t + step, "step": step,
                        "eval_loss": 1.0 + 0.02 * step})  # fmt: skip
    out.append({"event": "advice", "time": t + total, "code": "overfitting",
                "message": "eval loss rose for the last evaluations",
                "action": "use fewer epochs"})  # fmt: skip
    out.append({"event": "finished", "time": t + total, "step": total, "adapter": "x",
                "loss": out[-2].get("loss"), "eval_loss": 1.4})  # fmt: skip
    return out


@pytest.fixture
def base(tiny_models):
    return tiny_models("qwen2")


def test_sidebar_puts_fine_tune_first_and_drops_route_by_kind(make_window, tmp_path, base):
    from desktop.main_window import PAGES

    window = make_window(start=False)
    assert PAGES == ("finetune", "package", "models", "chat", "settings")
    assert [window.nav[k].text() for k in PAGES] == [
        "Fine-tune",
        "Package",
        "Models",
        "Chat",
        "Settings",
    ]
    assert window.current_page() == "finetune"
    data = write_dataset(tmp_path / "我的 数据" / "train.jsonl")
    window.go("models")
    assert drop_path(window, data)
    assert window.current_page() == "finetune"
    assert window.finetune_page.data_edit.text() == str(data)
    folder = tmp_path / "lf data"
    folder.mkdir()
    (folder / "dataset_info.json").write_text(
        '{"mine": {"file_name": "d.jsonl"}}', encoding="utf-8"
    )
    window.go("chat")
    assert drop_path(window, folder)
    assert window.current_page() == "finetune"
    window.go("finetune")
    assert drop_path(window, base)  # a model folder still goes to Package
    assert window.current_page() == "package"


def test_preview_and_data_check_with_clickable_errors(qtbot, settings, tmp_path, base):
    from desktop.pages.finetune_page import FinetunePage

    page = FinetunePage(settings)
    qtbot.addWidget(page)
    page.show()
    data = write_dataset(tmp_path / "数据 set.jsonl", n=12, bad_line=7)
    page.base_edit.setText(str(base))
    page.set_dataset(data)
    qtbot.waitUntil(lambda: "Repeat the word" in page.preview.toPlainText(), timeout=20_000)
    from desktop import theme

    html = page.preview.toHtml().lower()
    mark = f"background-color:{theme.color('success_soft').lower()};"
    assert "apple apple" in page.preview.toPlainText()
    marked = html.split(mark)[1].split("</span>")[0]  # the trained part: the answer, not the prompt
    assert "apple apple" in marked and "repeat the word" not in marked
    qtbot.waitUntil(lambda: page.check is not None, timeout=120_000)
    assert page.check["examples"] == 11
    assert "11 examples" in page.check_summary.text()
    assert "1 problem" in page.check_summary.text()
    assert "█" in page.histogram.text()
    assert page.errors.count() == 1 and ":7:" in page.errors.item(0).text()
    page.errors.setCurrentRow(0)
    qtbot.waitUntil(page.error_line.isVisible, timeout=5000)
    assert "no answer here" in page.error_line.toPlainText()
    assert page.start_button.isEnabled()
    assert "GB" in page.options.fit_text.text()  # the memory estimate for this base


def _replay_page(qtbot, settings, tmp_path, records, delay):
    from desktop.pages.finetune_page import FinetunePage
    from desktop.train_backend import ReplayBackend

    page = FinetunePage(settings, backend=ReplayBackend(records, delay=delay))
    qtbot.addWidget(page)
    page.show()
    page.base_path = tmp_path / "base model"
    page.data_edit.setText(str(tmp_path / "d.jsonl"))
    page._debounce.stop()  # no real base to resolve: this test drives the run only
    page._update_buttons()
    return page


def test_recorded_stream_draws_the_chart_shows_advice_and_offers_package(qtbot, settings, tmp_path):
    page = _replay_page(qtbot, settings, tmp_path, recorded_stream(), delay=0.0)
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.mode == "finished", timeout=10_000)
    chart = page.run_panel.chart
    assert [s for s, _ in chart.train] == list(range(1, 21))
    assert [s for s, _ in chart.eval] == [5, 10, 15, 20]
    assert chart.total_steps == 20
    assert page.run_panel.advice.isVisible()
    assert "use fewer epochs" in page.run_panel.advice.text.text()
    stats = page.run_panel.stats.text()
    assert "Step 20 of 20" in stats and "1234 tokens/s" in stats and "6.0 GB" in stats
    assert page.package_button.isVisible() and not page.stop_button.isVisible()
    with qtbot.waitSignal(page.package_requested) as sent:
        qtbot.mouseClick(page.package_button, Qt.MouseButton.LeftButton)
    adapter, base, name = sent.args
    assert adapter == page.run_dir / "adapter" and base == tmp_path / "base model"
    assert name == "base-model-d"


def test_stop_then_resume_continues_the_same_run(qtbot, settings, tmp_path):
    page = _replay_page(qtbot, settings, tmp_path, recorded_stream(), delay=0.03)
    page.start()
    assert page.running and page.stop_button.isVisible() and not page.start_button.isEnabled()
    qtbot.waitUntil(lambda: len(page.run_panel.chart.train) >= 5, timeout=10_000)
    qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.mode == "stopped", timeout=10_000)
    stopped_at = len(page.run_panel.chart.train)
    assert 5 <= stopped_at < 20
    assert page.resume_button.isVisible() and not page.package_button.isVisible()
    assert "checkpoint" in page.notice.text.text()
    run_dir = page.run_dir
    qtbot.mouseClick(page.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.mode == "finished", timeout=10_000)
    assert page.run_dir == run_dir
    assert [s for s, _ in page.run_panel.chart.train] == list(range(1, 21))


def test_quitting_during_a_run_asks_first(make_window, monkeypatch, qtbot, tmp_path):
    from desktop.train_backend import ReplayBackend

    window = make_window(start=False)
    page = window.finetune_page
    page.backend = ReplayBackend(recorded_stream(200), delay=0.05)
    page.data_edit.setText(str(tmp_path / "d.jsonl"))
    page._debounce.stop()
    page.base_path = tmp_path
    page.start()
    asked = []
    monkeypatch.setattr("desktop.main_window.confirm", lambda *a: asked.append(a[2]) or False)
    window.close()
    assert window.isVisible() and asked == ["A model is being trained on this computer."]
    page.stop()
    qtbot.waitUntil(lambda: page.mode == "stopped", timeout=10_000)


def test_runs_history_lists_opens_and_deletes(qtbot, settings, tmp_path, monkeypatch):
    from desktop.pages.finetune_page import FinetunePage

    page = FinetunePage(settings)
    qtbot.addWidget(page)
    run = page.runs_root() / "qwen-run 1"
    run.mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"spec": {"base": str(tmp_path / "Qwen base"),
                                  "data": str(tmp_path / "chat.jsonl")}, "total_steps": 20}))  # fmt: skip
    (run / "events.jsonl").write_text("\n".join(json.dumps(r) for r in recorded_stream()) + "\n")
    page.refresh_runs()
    table = page.runs.table
    qtbot.waitUntil(lambda: table.rowCount() == 1, timeout=5000)
    cells = [table.item(0, j).text() for j in range(5)]
    assert cells[:4] == ["qwen-run 1", "finished", "Qwen base", "chat.jsonl"]
    assert float(cells[4]) == pytest.approx(2.5 / 20**0.5, abs=1e-4)
    table.selectRow(0)
    qtbot.mouseClick(page.runs.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(page.run_panel.chart.train) == 20, timeout=5000)
    assert page.mode == "finished" and page.run_dir == run
    monkeypatch.setattr("desktop.pages.finetune_remote.confirm", lambda *a: True)
    qtbot.mouseClick(page.runs.delete_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: table.rowCount() == 0, timeout=5000)
    assert not run.exists()


@pytest.mark.slow
def test_a_real_tiny_cpu_training_from_the_page(make_window, qtbot, tmp_path, base):
    pytest.importorskip("torch")
    window = make_window(start=False)
    page = window.finetune_page
    data = write_dataset(tmp_path / "训练 data.jsonl", n=16)
    page.base_edit.setText(str(base))
    page.set_dataset(data)
    qtbot.waitUntil(lambda: page.check is not None, timeout=120_000)
    o = page.options
    o.apply_preset("quick")
    o.max_steps.setValue(4)
    o.device.setCurrentText("cpu")
    o.cutoff.setValue(128)
    o.batch_size.setValue(4)
    o.grad_accum.setValue(1)
    o.val_size.setValue(0)
    o.lr.setValue(5e-3)
    qtbot.mouseClick(page.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.mode != "running", timeout=300_000)
    assert page.mode == "finished", page.notice.text.text()
    assert (page.run_dir / "adapter" / "adapter_model.safetensors").is_file()
    assert [s for s, _ in page.run_panel.chart.train] == [1, 2, 3, 4]
    qtbot.mouseClick(page.package_button, Qt.MouseButton.LeftButton)
    assert window.current_page() == "package"
    qtbot.waitUntil(lambda: window.package_page.mode == "ready", timeout=120_000)
    assert window.package_page.options.name_edit.text() == "qwen2-data"
    assert window.package_page.base_model == base
    assert window.package_page.prepared.report.kind == "lora_adapter"


def test_max_samples_option_reaches_the_spec_with_a_tooltip(qtbot, settings, tmp_path):
    page = _replay_page(qtbot, settings, tmp_path, recorded_stream(), delay=0.0)
    o = page.options
    assert o.spec_fields()["max_samples"] is None  # 0: every example
    o.max_samples.setValue(500)
    assert "first this many examples" in o.labels["max_samples"].toolTip()
    page.start()
    assert page.spec.max_samples == 500
    qtbot.waitUntil(lambda: page.mode == "finished", timeout=10_000)


def test_a_run_that_will_not_fit_warns_and_asks_before_starting(
    qtbot, settings, tmp_path, monkeypatch
):
    from engine.train.overview import GpuInfo, MemoryEstimate

    page = _replay_page(qtbot, settings, tmp_path, recorded_stream(), delay=0.0)
    page.options.set_gpus([GpuInfo(name="NVIDIA GeForce RTX 3060", memory_gb=12.0)])
    assert page.options.gpu_text.text() == "This computer: NVIDIA GeForce RTX 3060 (12 GB)"
    page._got_fit(MemoryEstimate(weights_gb=15.0, activations_gb=8.0, total_gb=24.5))
    assert "24.5 GB" in page.options.fit_text.text() and "QLoRA" in page.options.fit_text.text()
    assert page.options.fit_text.property("role") == "warning" and not page.fits
    asked = []
    monkeypatch.setattr(
        "desktop.pages.finetune_page.confirm", lambda *a: asked.append(a[2]) or False
    )
    page.start()
    assert asked == ["This run probably does not fit the GPU memory."] and page.mode == "idle"
    page._got_fit(MemoryEstimate(weights_gb=3.0, activations_gb=2.0, total_gb=6.0))
    assert page.fits and page.options.fit_text.property("role") is None
    page.start()
    assert len(asked) == 1
    qtbot.waitUntil(lambda: page.mode == "finished", timeout=10_000)


_NO_TORCH_SCRIPT = r"""
import json, sys, time
from pathlib import Path
from PySide6.QtWidgets import QApplication
from desktop.settings import SettingsStore
from desktop.pages.finetune_page import FinetunePage
from engine.selftest_model import write_selftest_model

work = Path(sys.argv[1])
write_selftest_model(work / "base")
(work / "d.jsonl").write_text(json.dumps({"instruction": "hi", "output": "hello"}) + "\n")
app = QApplication([])
page = FinetunePage(SettingsStore())
page.start_background()
page.base_edit.setText(str(work / "base"))
page.set_dataset(work / "d.jsonl")
deadline = time.monotonic() + 120
while (page.check is None or not page.preview.toPlainText().strip()) and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.02)
heavy = sorted(m for m in ("torch", "transformers", "peft") if m in sys.modules)
print(json.dumps({"examples": (page.check or {}).get("examples"), "heavy": heavy}))
"""


def test_preview_and_data_check_never_import_torch_into_the_gui(tmp_path, config_dir):
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TUNEFORGE_CONFIG_DIR": str(config_dir)}
    out = subprocess.run([sys.executable, "-c", _NO_TORCH_SCRIPT, str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"examples": 1, "heavy": []}
