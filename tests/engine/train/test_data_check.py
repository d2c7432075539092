"""``tuneforge data check`` on a real tiny model: figures, JSON shape, errors and exit codes."""

from __future__ import annotations

import json

import pytest

from engine.cli.main import main
from tests.engine.train.helpers import write_dataset

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def base(tiny_models):
    return tiny_models("qwen2")


def test_check_json_counts(base, tmp_path, capsys):
    data = write_dataset(tmp_path / "数据 d.jsonl", n=10)
    with data.open(
        "a", encoding="utf-8"
    ) as f:  # a third duplicate (8 words for 10 rows) and a long example
        f.write(
            json.dumps({"instruction": "Repeat the word apple twice.", "output": "apple apple"})
            + "\n"
        )
        f.write(json.dumps({"instruction": "x " * 300, "output": "long"}) + "\n")
    rc = main(
        ["data", "check", "--data", str(data), "--base", str(base), "--cutoff", "128", "--json"]
    )
    report = json.loads(capsys.readouterr().out)
    assert (
        rc == 1
    )  # the long one has no answer token within 128 tokens: an error, never dropped silently
    assert (
        report["format"] == "alpaca" and report["examples"] == 11 and report["conversations"] == 12
    )
    assert [(e["line"], e["message"][:30]) for e in report["errors"]] == [
        (12, "no answer token fits in the cu")
    ]
    assert report["duplicates"] == 3 and report["truncated"] == 0
    assert 0 < report["trained_tokens"] < report["total_tokens"]
    assert sum(b["count"] for b in report["histogram"]) == 11
    rc = main(["data", "check", "--data", str(data), "--base", str(base), "--cutoff", "128"])
    text = capsys.readouterr().out
    assert "format:          alpaca" in text


def test_check_lists_errors_and_exits_1(base, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"instruction": "a", "output": "b"}\n{oops}\n{"instruction": "c"}\n', encoding="utf-8"
    )
    rc = main(["data", "check", "--data", str(bad), "--base", str(base), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert rc == 1 and report["examples"] == 1
    assert [(e["file"], e["line"]) for e in report["errors"]] == [(str(bad), 2), (str(bad), 3)]
    rc = main(["data", "check", "--data", str(bad), "--base", str(base)])
    assert rc == 1 and f"{bad}:3: missing column 'output'" in capsys.readouterr().out


def test_cutoff_truncation_counted(base, tmp_path, capsys):
    data = tmp_path / "t.jsonl"
    data.write_text(json.dumps({"conversations": [
        {"from": "human", "value": "hi"}, {"from": "gpt", "value": "word " * 200}]}) + "\n", encoding="utf-8")  # fmt: skip
    rc = main(
        ["data", "check", "--data", str(data), "--base", str(base), "--cutoff", "100", "--json"]
    )
    report = json.loads(capsys.readouterr().out)
    assert rc == 0 and report["truncated"] == 1 and report["total_tokens"] == 100
    assert report["histogram"][-1]["count"] == 1
