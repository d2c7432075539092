"""Render the app's pages into docs/screenshots/*.png (offscreen, real data).

    python docs/screenshots.py [--out docs/screenshots]

Everything shown is real: a tiny Qwen2 model is written (``engine.selftest_model``),
packaged through the real pipeline against the Ollama test double
(``tests/ollama_double``, a local HTTP server; no Ollama needed), listed, and chatted
with in-process through llama.cpp. Run it after UI changes and look at the pictures.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCREEN = ROOT / "tests" / "desktop" / "offscreen_screen.json"
SIZE = (1200, 820)


def _setup_env(work: Path) -> None:
    platform = "offscreen" if ":" in str(SCREEN) else f"offscreen:configfile={SCREEN}"
    os.environ["QT_QPA_PLATFORM"] = platform
    os.environ["TUNEFORGE_CONFIG_DIR"] = str(work / "config")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tuneforge-shots-") as tmp:
        work = Path(tmp)
        _setup_env(work)
        return _render(work, out)


def _render(work: Path, out: Path) -> int:
    from PySide6.QtWidgets import QApplication

    from desktop import i18n, jobs, theme
    from desktop.main_window import MainWindow
    from desktop.settings import SettingsStore
    from engine.selftest_model import write_selftest_model
    from tests.ollama_double import OllamaDouble

    app = QApplication([sys.argv[0]])
    app.setWindowIcon(theme.app_icon())
    double = OllamaDouble(work / "ollama").start()
    model_dir = work / "投喂的资料" / "Qwen2-mini 客服微调"
    write_selftest_model(model_dir)

    settings = SettingsStore()
    settings.update(
        ollama_host=double.url, output_dir=str(work / "Tuneforge"), language="en", theme="light"
    )
    i18n.set_language("en")
    theme.apply_theme("light")
    window = MainWindow(settings)
    window.resize(*SIZE)
    window.show()
    window.start_background()

    def wait(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {what}")
            app.processEvents()
            time.sleep(0.02)
        for _ in range(10):
            app.processEvents()

    def shot(name: str, height: int | None = None, *, bottom: bool = False) -> None:
        window.resize(SIZE[0], height or SIZE[1])
        for _ in range(10):
            app.processEvents()
        bar = page.scroll_area.verticalScrollBar()
        bar.setValue(bar.maximum() if bottom else 0)
        app.processEvents()
        path = out / f"{name}.png"
        window.grab().save(str(path))
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)

    wait(lambda: window.monitor.running, "the Ollama double")
    page = window.package_page
    window.go("package")
    shot("package-empty")

    window.open_source(model_dir)
    wait(lambda: page.mode == "ready", "inspect")
    page.options.name_edit.setText("my-assistant")
    page.options.system_edit.setPlainText(
        "You are a friendly support assistant for our shop. Answer briefly."
    )
    page.options.parameters.set_expanded(True)
    shot("package-ready", 1250)

    page.start_package()
    wait(lambda: page.mode != "running", "packaging")
    if page.mode != "done":
        raise SystemExit("packaging failed: " + page.progress.log_line.text())
    shot("package-done")
    packaged_gguf = page.outcome.gguf_path

    # A second version, as users keep them: the same GGUF under another tag.
    from engine.jobs import null_context
    from engine.ollama import RegisterSpec, register_job

    register_job(
        RegisterSpec(gguf_path=page.outcome.gguf_path, name="my-assistant:v1", host=double.url),
        null_context(),
    )
    window.go("models")
    models = window.models_page
    models.refresh()
    wait(lambda: models.table.rowCount() > 1, "the models list")
    models.select("my-assistant:latest")
    wait(lambda: models.details is not None, "model details")
    models.tabs.setCurrentIndex(0)
    shot("models")

    chat = window.chat_page
    window.open_local_chat(page.outcome.gguf_path)
    chat.system_edit.setText("Answer briefly.")
    for text in ("Hello! Who are you?", "What can you do for me?"):
        chat.input.setPlainText(text)
        chat.send()
        wait(lambda: chat.job is None, "a chat reply")
    shot("chat")

    window.go("settings")
    shot("settings")

    settings.update(theme="dark")
    window.go("models")
    shot("models-dark")
    window.go("package")
    shot("package-done-dark")

    settings.update(theme="light", language="zh_CN")
    page.reset()
    window.open_source(model_dir)
    wait(lambda: page.mode == "ready", "inspect")
    page.options.name_edit.setText("my-assistant")
    shot("package-ready-zh", 1250)
    window.go("chat")
    shot("chat-zh")

    _finetune_shots(app, window, settings, work, model_dir, out, wait)
    _compare_shots(window, settings, packaged_gguf, shot, wait)
    window.monitor.stop()
    jobs.cancel_all()
    window.close()
    double.stop()
    return 0


def _loss_stream(total: int = 60) -> list[dict[str, Any]]:
    """A plausible run's events (what engine/train/loop.py writes): falling train loss,
    eval loss turning up at the end, and the advisor's overfitting note."""
    import math

    t, out = time.time(), [{"event": "started", "time": time.time(), "total_steps": total}]
    for step in range(1, total + 1):
        loss = 0.55 + 1.9 * math.exp(-step / 12) + 0.06 * math.sin(step * 1.7)
        out.append({"event": "step", "time": t + step, "step": step, "loss": round(loss, 4),
                    "epoch": round(3 * step / total, 3), "tokens_per_s": 2410.0 + 30 * math.sin(step),
                    "eta_s": (total - step) * 1.9, "gpu_memory_mb": 9830.0})  # fmt: skip
        if step % 10 == 0:
            ev = 0.95 + 1.5 * math.exp(-step / 12) + (0.004 * (step - 30) if step > 30 else 0)
            out.append({"event": "eval", "time": t + step, "step": step, "eval_loss": round(ev, 4)})
    out.append({"event": "advice", "time": t + total, "code": "overfitting",
                "message": "eval loss rose for the last evaluations (0.992 → 1.067) while the "
                "training loss kept falling: the model is memorising the training set",
                "action": "use fewer epochs (the best eval loss was at step 40), a lower learning "
                "rate, or more varied data"})  # fmt: skip
    out.append({"event": "finished", "time": t + total, "step": total})
    return out


def _finetune_shots(app: Any, window: Any, settings: Any, work: Path, model_dir: Path,
                    out: Path, wait: Callable[..., None]) -> None:  # fmt: skip
    """Fine-tune page: idle (with preview and data check), running, finished; dark; 简体中文."""
    import json

    from desktop.train_backend import ReplayBackend

    settings.update(theme="light", language="en")
    page = window.finetune_page
    data = work / "客服 数据" / "train.jsonl"
    data.parent.mkdir(parents=True, exist_ok=True)
    rows = [("How do I reset my password?", "Open Settings → Account → Reset password, then "
             "follow the email we send you."), ("Can I change my delivery address?", "Yes, until "
             "the parcel ships: open the order and choose Edit address."),
            ("Do you ship abroad?", "We ship to 30 countries; the checkout lists them.")]  # fmt: skip
    data.write_text("".join(json.dumps({"instruction": q, "output": a}, ensure_ascii=False) + "\n"
                            for q, a in rows * 20), encoding="utf-8")  # fmt: skip

    def shot(name: str, height: int, widget: Any = None) -> None:
        window.resize(SIZE[0], height)
        for _ in range(10):
            app.processEvents()
        bar = page.scroll_area.verticalScrollBar()
        bar.setValue(0)
        if widget is not None:
            bar.setValue(min(bar.maximum(), widget.y() - 20))
        app.processEvents()
        path = out / f"{name}.png"
        window.grab().save(str(path))
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)

    from engine.remote.boxes import Box, save_boxes

    save_boxes({"autodl-4090": Box(name="autodl-4090", host="region-9.autodl.pro", port=41234,
                                   user="root", key_file=str(work / "id_ed25519"))})  # fmt: skip
    page.where.refresh()
    window.go("finetune")
    page.base_edit.setText(str(model_dir))
    page.set_dataset(data)
    wait(lambda: page.check is not None and page.preview.toPlainText().strip() != "", "data check")
    shot("finetune-idle", 1250)
    page.backend = ReplayBackend(_loss_stream(), delay=0.03)
    page.start()
    wait(lambda: len(page.run_panel.chart.train) >= 34, "the replayed run")
    controls = page.start_button.parentWidget()
    shot("finetune-running", 1000, controls)
    wait(lambda: page.mode == "finished", "the replayed run to finish")
    shot("finetune-done", 1000, controls)
    settings.update(theme="dark")
    shot("finetune-done-dark", 1000, controls)
    settings.update(theme="light", language="zh_CN")
    shot("finetune-done-zh", 1000, controls)
    page.run_panel.reset()
    page.backend = ReplayBackend(_loss_stream(), delay=0.03)
    page.start()
    wait(lambda: len(page.run_panel.chart.train) >= 34, "the replayed run")
    shot("finetune-running-zh", 1000, controls)
    wait(lambda: page.mode == "finished", "the replayed run to finish")
    page.where.combo.setCurrentIndex(page.where.combo.findData("autodl-4090"))  # a saved box
    shot("finetune-idle-zh", 1250)
    page.where.combo.setCurrentIndex(0)
    settings.update(language="en")


def _compare_shots(window: Any, settings: Any, base_gguf: Path, shot: Callable[..., None],
                   wait: Callable[..., None]) -> None:  # fmt: skip
    """Chat "Compare": the packaged model (through Ollama) beside the base GGUF (llama.cpp)."""
    chat = window.chat_page
    chat.clear()
    window.open_chat("my-assistant:latest")
    wait(lambda: chat.current_target() == ("ollama", "my-assistant:latest"), "the model list")
    chat.set_comparing(True)
    chat.compare.picker.add_local(base_gguf)
    chat.input.setPlainText("Hello! Who are you?")
    chat.send()
    wait(lambda: chat.job is None and chat.compare.job is None, "both answers")
    for name, changes in (("chat-compare", {}), ("chat-compare-dark", {"theme": "dark"}),
                          ("chat-compare-zh", {"theme": "light", "language": "zh_CN"})):  # fmt: skip
        settings.update(**changes)
        shot(name)
    settings.update(language="en")


if __name__ == "__main__":
    sys.exit(main())
