"""One table (engine/quant/filetypes.json), one wording: CLI, recommend(), GUI texts, README."""

from __future__ import annotations

import re
from pathlib import Path

from engine.cli.main import main
from engine.quant import recommend
from engine.quant.types import FILE_TYPES, size_advice
from engine.sizes import format_size

ROOT = Path(__file__).resolve().parents[3]


def test_list_types_prints_size_and_advice_of_every_type(capsys):
    assert main(["quantize", "--list-types"]) == 0
    out = capsys.readouterr().out
    for file_type in FILE_TYPES.values():
        line = next(x for x in out.splitlines() if x[2:].startswith(file_type.name + " "))
        assert format_size(file_type.bits_per_weight / 8 * 1e9) in line
        assert file_type.recommendation in line
    for row in size_advice():
        assert re.search(rf"{re.escape(row.models)}\s+{row.type}\s", out)


def test_recommend_follows_the_table_and_the_words():
    for n_params, expected in (
        (500_000_000, "Q8_0"),
        (2_000_000_000, "Q8_0"),
        (3_000_000_000, "Q6_K"),
        (4_020_000_000, "Q6_K"),  # "about 4B" (Qwen3-4B)
        (7_600_000_000, "Q4_K_M"),
    ):
        assert recommend(n_params=n_params).file_type.name == expected, n_params
    # the advice texts say the same limits as the table
    assert "up to about 2B" in FILE_TYPES["Q8_0"].recommendation
    assert "about 2–4B" in FILE_TYPES["Q6_K"].recommendation
    assert "above about 4B" in FILE_TYPES["Q4_K_M"].recommendation
    assert [r.models for r in size_advice()] == ["up to about 2B", "about 2–4B", "above about 4B"]


def test_readme_says_the_same():
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "Q8_0 for models up to about 2B parameters, Q6_K for about 2–4B" in readme
    assert "under 3B" not in readme
