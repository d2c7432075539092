"""The quant table's texts are marked for translation and translated (zh_CN)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from engine.quant.types import FILE_TYPES, size_advice

ROOT = Path(__file__).resolve().parents[2]


def test_gui_marks_and_translates_every_table_text():
    from desktop.engine_texts import MARKED

    marked = set(MARKED)
    texts = {ft.description for ft in FILE_TYPES.values()}
    texts |= {ft.recommendation for ft in FILE_TYPES.values()}
    texts |= {row.reason for row in size_advice()}
    assert texts <= marked, sorted(texts - marked)
    ts = ROOT / "resources" / "translations" / "tuneforge_zh_CN.ts"
    root = ET.parse(ts).getroot()
    translated = {
        msg.findtext("source"): (msg.findtext("translation") or "").strip()
        for ctx in root.iter("context")
        if ctx.findtext("name") == "EngineText"
        for msg in ctx.iter("message")
    }
    for text in texts:
        assert translated.get(text), f"no zh_CN translation for {text!r}"
