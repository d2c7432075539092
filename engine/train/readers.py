"""Read dataset files into ``(line, record)`` pairs: JSON, JSONL, CSV and (with pyarrow) Parquet.

Every record keeps the line it starts on, so a problem is reported as ``FILE:LINE``. A line
that is not valid JSON is a problem of its own; reading goes on so all of them are listed.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.train.errors import DataIssue

SUFFIXES = (".json", ".jsonl", ".csv", ".parquet")
Record = tuple[int, Any]


def read_records(path: Path, issues: list[DataIssue]) -> list[Record]:
    """All records of one file; problems go to ``issues`` (the file name as the user gave it)."""
    suffix = path.suffix.lower()
    name = str(path)
    try:
        if suffix == ".parquet":
            return list(_parquet(path))
        raw = path.read_bytes()
    except OSError as exc:
        issues.append(DataIssue(file=name, line=1, message=f"cannot read the file: {exc}"))
        return []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        issues.append(DataIssue(file=name, line=line, message="not UTF-8 text (save it as UTF-8)"))
        return []
    if not text.strip():
        issues.append(DataIssue(file=name, line=1, message="the file is empty (no examples)"))
        return []
    if suffix == ".csv":
        return list(_csv(text))
    if suffix == ".json" and text.lstrip().startswith("["):
        return _json_array(text, name, issues)
    return _jsonl(text, name, issues)


def _jsonl(text: str, name: str, issues: list[DataIssue]) -> list[Record]:
    out: list[Record] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((number, json.loads(line)))
        except ValueError as exc:
            issues.append(DataIssue(file=name, line=number, message=f"broken JSON: {_why(exc)}"))
    return out


def _json_array(text: str, name: str, issues: list[DataIssue]) -> list[Record]:
    """A JSON list of examples, each with the line it starts on."""
    decoder = json.JSONDecoder()
    out: list[Record] = []
    index = text.index("[") + 1
    while True:
        index = _skip(text, index)
        if index >= len(text):
            line = text.count("\n") + 1
            issues.append(
                DataIssue(
                    file=name, line=line, message="broken JSON: the list is not closed with ]"
                )
            )
            return out
        if text[index] == "]":
            return out
        line = text.count("\n", 0, index) + 1
        try:
            value, index = decoder.raw_decode(text, index)
        except ValueError as exc:
            where = getattr(exc, "lineno", line)
            issues.append(DataIssue(file=name, line=where, message=f"broken JSON: {_why(exc)}"))
            return out  # the rest of the list cannot be located reliably
        out.append((line, value))
        index = _skip(text, index)
        if index < len(text) and text[index] == ",":
            index += 1
        elif index < len(text) and text[index] != "]":
            line = text.count("\n", 0, index) + 1
            issues.append(
                DataIssue(
                    file=name, line=line, message="broken JSON: expected , or ] between examples"
                )
            )
            return out


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _why(exc: ValueError) -> str:
    msg = getattr(exc, "msg", None)
    col = getattr(exc, "colno", None)
    return f"{msg} (column {col})" if msg and col else str(exc)


def _csv(text: str) -> Iterator[Record]:
    reader = csv.DictReader(text.splitlines(keepends=True))
    for row in reader:
        yield reader.line_num, {k: v for k, v in row.items() if k is not None}


def _parquet(path: Path) -> Iterator[Record]:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        from engine.train.errors import TrainStackMissing

        raise TrainStackMissing(
            "reading Parquet needs pyarrow", path=path, hint="pip install pyarrow, or use JSONL"
        ) from exc
    yield from enumerate(pq.read_table(path).to_pylist(), start=1)


def dataset_files(path: Path) -> list[Path]:
    """A data file, or the data files in a folder (sorted, so the order is stable)."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
