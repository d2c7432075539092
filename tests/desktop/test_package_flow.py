"""The product path: drop a model folder → Create in Ollama → it is in Models → Chat streams.

Runs against the Ollama test double (tests/ollama_double) with a tiny real Qwen2 folder
from tests/fixtures (its path has a space and Chinese characters).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.desktop.helpers import drop_path

MODEL = "tiny-qwen"


def _ready(qtbot, window, source: Path) -> None:
    assert drop_path(window.chat_page.input, source)  # dropped on another page: routed
    assert window.current_page() == "package"
    page = window.package_page
    qtbot.waitUntil(lambda: page.mode == "ready", timeout=60_000)


def _partial_or_gguf(folder: Path) -> list[Path]:
    if not folder.exists():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.suffix in (".gguf", ".partial") or p.name.endswith(".partial")
    )


@pytest.mark.slow
def test_drop_create_list_and_chat(make_window, qtbot, ollama_double, tiny_models, settings):
    source = tiny_models("qwen2")
    window = make_window(host=ollama_double.url)
    assert window.ollama_status.text.text().startswith("Ollama 0.12.6 is running")
    page = window.package_page
    _ready(qtbot, window, source)

    # What inspect found, and the template proof.
    assert page.source_card.name.text() == source.name
    facts = dict(page.source_card.facts(page.prepared.report))
    assert facts["Architecture"] == "Qwen2ForCausalLM"
    assert facts["Chat template"] in {"chatml", "qwen2.5"}
    assert page.template_panel.preview.parity is True, page.template_panel.preview
    assert "<|im_start|>" in page.template_panel.code.toPlainText()
    assert (
        page.options.quant_combo.count() > 3
        and "recommended" in page.options.quant_combo.currentText()
    )
    # the picker shows the engine's exact sizes (the converter's tensor plan), not a guess
    from desktop.format import format_bytes
    from engine.convert.estimate import quant_choices_for_model

    exact = {c.file_type.name: c.output_bytes for c in quant_choices_for_model(source)}
    combo = page.options.quant_combo
    for index in range(combo.count()):
        choice = combo.itemData(index)
        assert choice.output_bytes == exact[choice.file_type.name]
        assert format_bytes(choice.output_bytes) in combo.itemText(index)
        assert "≈" not in combo.itemText(index)

    page.options.name_edit.setText(MODEL)
    assert page.create_button.isEnabled()
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    assert page.mode == "running"
    qtbot.waitUntil(lambda: page.mode != "running", timeout=60_000)
    assert page.mode == "done", page.progress.log_line.text()

    outcome = page.outcome
    assert outcome.name == f"{MODEL}:latest"
    assert outcome.gguf_path.is_file() and outcome.gguf_path.parent == settings.output_dir() / MODEL
    assert outcome.modelfile_path.read_text(encoding="utf-8").startswith("FROM ")
    assert outcome.gguf_path.read_bytes()[:4] == b"GGUF"
    assert outcome.smoke_ok is True, outcome.smoke.problems
    assert all(page.stages.state_of(k) == "done" for k in page.stages.stage_keys())
    assert page.result.title.text() == f"{MODEL}:latest is ready in Ollama"
    assert outcome.template_source == "go" and outcome.template_proven
    assert "Ollama uses the derived Go template (proven identical)." in page.result.note.text()
    assert outcome.prompt_mismatch is None  # Ollama's prompt tokens = the model's own
    assert [m.name for m in ollama_double.store.models.values()] == [f"{MODEL}:latest"]

    qtbot.mouseClick(page.result.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == f"ollama run {MODEL}:latest"

    # The model appears in Models, with what Ollama stored.
    window.go("models")
    models = window.models_page
    qtbot.waitUntil(lambda: models.table.rowCount() >= 1, timeout=10_000)
    models.select(f"{MODEL}:latest")
    qtbot.waitUntil(lambda: models.details is not None, timeout=10_000)
    assert "<|im_start|>" in models.views["template"].toPlainText()
    assert "temperature" in models.views["parameters"].toPlainText()

    # Chat now → the Chat page streams a reply.
    window.go("package")
    qtbot.mouseClick(page.result.chat_button, Qt.MouseButton.LeftButton)
    assert window.current_page() == "chat"
    chat = window.chat_page
    qtbot.waitUntil(lambda: chat.current_target() == ("ollama", f"{MODEL}:latest"), timeout=10_000)
    chat.input.setPlainText("hello there")
    qtbot.mouseClick(chat.send_button, Qt.MouseButton.LeftButton)
    assert chat.stop_button.isVisibleTo(window)
    qtbot.waitUntil(lambda: chat.job is None, timeout=20_000)
    assert chat.history[-1] == {"role": "assistant", "content": "You said: hello there"}
    assert chat.view.bubbles[-1].text.text() == "You said: hello there"
    assert "tokens/s" in chat.stats.text()
    sent = ollama_double.calls("POST", "/api/chat")[-1].body
    assert sent["messages"][-1] == {"role": "user", "content": "hello there"}
    assert sent["options"]["temperature"] == pytest.approx(settings.values.chat_temperature)


@pytest.mark.slow
def test_cancel_mid_upload_leaves_no_files(
    make_window, qtbot, ollama_double, tiny_models, settings
):
    source = tiny_models("qwen2")
    window = make_window(host=ollama_double.url)
    page = window.package_page
    _ready(qtbot, window, source)
    page.options.name_edit.setText("cancel-me")
    # A slow upload (the client checks for cancel between 1 MiB pieces).
    ollama_double.faults.upload_bytes_per_second = 192 * 1024

    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.stages.state_of("upload") == "active", timeout=60_000)
    assert _partial_or_gguf(settings.output_dir())  # the GGUF was written …
    qtbot.mouseClick(page.progress.cancel_button, Qt.MouseButton.LeftButton)
    assert (
        page.progress.cancel_button.text() == "Cancelling…"
        and not page.progress.cancel_button.isEnabled()
    )
    qtbot.waitUntil(lambda: page.mode != "running", timeout=30_000)

    assert page.mode == "ready"
    assert "Cancelled" in page.notice.text.text()
    assert _partial_or_gguf(settings.output_dir()) == []  # … and is gone again
    assert not [
        w
        for w in QApplication.topLevelWidgets()
        if w.objectName() == "ErrorDialog" and w.isVisible()
    ]
    assert not ollama_double.calls("POST", "/api/create")
    assert ollama_double.store.models == {}
    assert all(
        s in ("done", "stopped") for s in map(page.stages.state_of, page.stages.stage_keys())
    )


@pytest.mark.slow
def test_adapter_asks_for_its_base_then_merges(
    make_window, qtbot, ollama_double, tiny_lora_adapters, tmp_path
):
    import json
    import shutil

    adapter = tiny_lora_adapters("qwen2")
    base = Path(
        json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))[
            "base_model_name_or_path"
        ]
    )
    moved = tmp_path / "我的 LoRA 适配器"  # the base is not where the adapter says
    shutil.copytree(adapter, moved)
    config = json.loads((moved / "adapter_config.json").read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = "Qwen/not-downloaded-here"
    (moved / "adapter_config.json").write_text(json.dumps(config), encoding="utf-8")

    window = make_window(host=ollama_double.url)
    page = window.package_page
    _ready(qtbot, window, moved)
    assert page.prepared.report.kind == "lora_adapter"
    assert page.options.base_edit.isVisibleTo(window) and page.options.base_edit.text() == ""
    assert not page.create_button.isEnabled()
    assert page.create_caption.text().startswith("Choose the base model folder first")
    assert page.template_panel.parity.text() == "Not checked"

    page.options.base_chosen.emit(base)  # what the folder picker does
    qtbot.waitUntil(
        lambda: page.mode == "ready" and page.prepared.base_report is not None, timeout=60_000
    )
    assert page.options.base_edit.text() == str(base)
    assert page.template_panel.preview.parity is True
    page.options.name_edit.setText("tiny-lora")
    assert page.create_button.isEnabled()
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    assert page.stages.stage_keys()[:2] == ["merge", "convert"]
    qtbot.waitUntil(lambda: page.mode != "running", timeout=60_000)
    assert page.mode == "done", page.progress.log_line.text()
    assert page.outcome.registered and page.outcome.smoke_ok is True
    assert [m.name for m in ollama_double.store.models.values()] == ["tiny-lora:latest"]


def _result(tmp_path, **fields):
    """An engine ``PackageResult`` of a registered model whose smoke chat answered."""
    from engine.package import PackageResult
    from engine.package.smoke import SmokeResult

    smoke = SmokeResult(ok=True, reply="Hi!", thinking="", done_reason="stop", eval_count=3)
    return PackageResult(
        name="m:latest", out_dir=tmp_path, gguf_path=tmp_path / "m.gguf",
        modelfile_path=tmp_path / "Modelfile", sha256="0" * 64, size_bytes=1, file_type="Q8_0",
        template_family=None, parity=None, registered=True, register_note=None, smoke=smoke,
        **fields,
    )  # fmt: skip


def test_result_card_says_when_ollama_runs_the_models_own_template(qtbot, tmp_path):
    """Ollama ≥ 0.30 may render the GGUF's Jinja instead of our Go template: the card says so."""
    from desktop.pages.package_result import ResultCard

    card = ResultCard()
    qtbot.addWidget(card)
    in_use = {"source": "jinja", "proven": True, "summary": "(engine text)"}
    card.show_outcome(_result(tmp_path, template_in_use=in_use))
    assert "Ollama uses the model's own chat template (rendered by llama.cpp)." in card.note.text()


def test_result_card_reports_a_prompt_mismatch_as_a_template_problem(qtbot, tmp_path):
    from desktop.pages.package_result import ResultCard

    card = ResultCard()
    qtbot.addWidget(card)
    check = {"status": "mismatch", "probes": [
        {"name": "one question", "expected": 20, "reported": 20, "ok": True},
        {"name": "two turns", "expected": 41, "reported": 39, "ok": False},
    ]}  # fmt: skip
    result = _result(tmp_path, template_in_use={"source": "go", "proven": True}, prompt_check=check)
    assert result.prompt_mismatch == ("two turns", 39, 41)
    card.show_outcome(result)
    assert "Template problem: for the test conversation “two turns”" in card.note.text()
    assert "has 39 tokens, the model's own chat template gives 41" in card.note.text()
    assert card.note.property("role") == "warning"


def test_result_card_says_when_the_prompt_could_not_be_checked(qtbot, tmp_path):
    from desktop.pages.package_result import ResultCard

    reason = "Ollama could not answer the prompt probes: llama-server chat error: boom"
    check = {"status": "not_run", "problem": reason, "probes": []}
    result = _result(tmp_path, prompt_check=check)
    assert result.prompt_not_checked == reason
    assert (
        _result(tmp_path, prompt_check={"status": "identical", "probes": []}).prompt_not_checked
        == ""
    )
    card = ResultCard()
    qtbot.addWidget(card)
    card.show_outcome(result)
    assert f"Ollama's prompt could not be checked: {reason}" in card.note.text()
