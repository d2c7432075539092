"""Every visible string is translated, and the shipped .qm is compiled from the shipped .ts."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

from desktop import translations_tool
from desktop.resources import translations_dir


def _messages(ts) -> dict[tuple[str, str], ET.Element]:
    root = ET.parse(ts).getroot()
    return {
        (ctx.findtext("name"), msg.findtext("source")): msg.find("translation")
        for ctx in root.iter("context")
        for msg in ctx.iter("message")
    }


def test_the_ts_file_covers_the_code_and_is_fully_translated(tmp_path):
    shipped = translations_tool.ts_path("zh_CN")
    fresh = tmp_path / shipped.name
    shutil.copy(shipped, fresh)
    translations_tool.update(fresh)  # what lupdate finds in the code today, merged
    messages = _messages(fresh)
    assert len(messages) > 200
    assert set(messages) == set(_messages(shipped)), (
        "run: python -m desktop.translations_tool update"
    )
    unfinished = [
        src for (_ctx, src), tr in messages.items() if tr.get("type") or not (tr.text or "").strip()
    ]
    assert not unfinished, f"untranslated: {unfinished[:10]}"
    for (_ctx, src), tr in messages.items():  # placeholders survive translation
        for piece in src.split("{")[1:]:
            placeholder = "{" + piece.split("}")[0] + "}"
            assert placeholder in tr.text, (src, tr.text)


def test_the_qm_file_is_compiled_from_the_ts(tmp_path):
    shipped_qm = translations_dir() / "tuneforge_zh_CN.qm"
    fresh = translations_tool.compile_qm(translations_tool.ts_path("zh_CN"), tmp_path / "fresh.qm")
    assert fresh.read_bytes() == shipped_qm.read_bytes(), (
        "run: python -m desktop.translations_tool compile"
    )
