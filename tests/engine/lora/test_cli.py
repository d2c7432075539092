"""``tuneforge merge`` argument handling (the merge itself: test_export.py)."""

from __future__ import annotations

import argparse

import pytest

from engine.cli.cmd_merge import parse_size
from engine.cli.main import build_parser, main


@pytest.mark.parametrize(
    "text, size",
    [("5GB", 5 * 10**9), ("2GiB", 2 * 2**30), ("500MB", 500 * 10**6), ("1.5G", 1_500_000_000),
     ("3000000", 3_000_000), (" 2 gib ", 2 * 2**30)],
)  # fmt: skip
def test_shard_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["abc", "5 XB", "1KB", "-3GB", ""])
def test_bad_shard_sizes(text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_size(text)


def test_merge_is_a_command():
    args = build_parser().parse_args(
        ["merge", "适配器 dir", "-o", "out dir", "--base", "org/model"]
    )
    assert args.command == "merge" and args.base == "org/model" and args.max_shard_size == 5 * 10**9


def test_errors_are_one_clear_line(tmp_path, capsys):
    (tmp_path / "adapter_config.json").write_text("{}", encoding="utf-8")
    (tmp_path / "adapter_model.bin").write_bytes(b"pickle")
    assert main(["merge", str(tmp_path), "-o", str(tmp_path / "out"), "-q"]) == 1
    err = capsys.readouterr().err
    assert "pickle" in err and "→" in err and "safe_serialization=True" in err
    assert not (tmp_path / "out").exists()
