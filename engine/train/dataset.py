"""Load a dataset: a file, a folder of files, or a LLaMA-Factory ``dataset_info.json`` entry.

``load_dataset`` reads every row, turns it into a :class:`Conversation`, and collects every
problem as ``FILE:LINE: what is wrong``. Problems stop the load (:class:`DatasetError`)
unless ``skip_invalid`` is set; then the skipped rows are returned, each with its reason,
so nothing is ever dropped silently.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.train.conversation import Conversation
from engine.train.errors import DataIssue, DatasetError
from engine.train.formats import DatasetFormat, RowError, detect_format, to_conversation
from engine.train.readers import dataset_files, read_records

INFO_FILE = "dataset_info.json"
_REMOTE_KEYS = ("hf_hub_url", "ms_hub_url", "script_url", "cloud_file_name")


@dataclass(frozen=True, kw_only=True)
class LoadedDataset:
    format: str  # "alpaca" | "sharegpt" | "openai"
    conversations: tuple[Conversation, ...]
    skipped: tuple[DataIssue, ...]
    files: tuple[str, ...]
    fingerprint: str  # sha256 of the files' bytes and the format mapping


def load_dataset(
    data: str | Path, *, dataset: str | None = None, skip_invalid: bool = False
) -> LoadedDataset:
    path = Path(data)
    if not path.exists():
        raise DatasetError([DataIssue(file=str(path), line=0, message="no such file or folder")],
                           hint="Give a .json/.jsonl/.csv/.parquet file, or a folder with dataset_info.json.")  # fmt: skip
    info_file = path if path.name == INFO_FILE else path / INFO_FILE
    fmt: DatasetFormat | None = None
    if info_file.is_file():
        files, fmt = _from_info(info_file, dataset)
    else:
        if dataset:
            raise DatasetError([DataIssue(file=str(info_file), line=0,
                                          message=f"--dataset {dataset} needs a dataset_info.json here")])  # fmt: skip
        files = dataset_files(path)
        if not files:
            raise DatasetError([DataIssue(file=str(path), line=0,
                                          message="no .json/.jsonl/.csv/.parquet files in this folder")])  # fmt: skip
    issues: list[DataIssue] = []
    conversations: list[Conversation] = []
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode() + b"\0" + _file_bytes(file))
        records = read_records(file, issues)
        if fmt is None:
            fmt = next((f for _, r in records if (f := detect_format(r))), None)
            if fmt is None and records:
                issues.append(DataIssue(file=str(file), line=records[0][0], message=(
                    "unknown layout: expected alpaca (instruction/input/output), sharegpt "
                    "(conversations with from/value) or OpenAI messages (role/content)")))  # fmt: skip
                continue
        for line, record in records:
            try:
                conversations.append(to_conversation(record, fmt, file=str(file), line=line))  # type: ignore[arg-type]
            except RowError as exc:
                issues.append(DataIssue(file=str(file), line=line, message=str(exc)))
    if fmt is not None:
        digest.update(json.dumps([fmt.formatting, dict(fmt.columns), dict(fmt.tags)]).encode())
    if issues and not skip_invalid:
        raise DatasetError(issues)
    if not conversations:
        raise DatasetError(issues or [DataIssue(file=str(path), line=1, message="no examples")],
                           hint="The dataset has no usable example.")  # fmt: skip
    return LoadedDataset(
        format=fmt.name if fmt else "unknown",
        conversations=tuple(conversations),
        skipped=tuple(issues),
        files=tuple(str(f) for f in files),
        fingerprint=digest.hexdigest(),
    )


def _file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _from_info(info_file: Path, name: str | None) -> tuple[list[Path], DatasetFormat]:
    where = str(info_file)
    try:
        info = json.loads(info_file.read_text(encoding="utf-8-sig"))
    except ValueError as exc:
        raise DatasetError([DataIssue(file=where, line=getattr(exc, "lineno", 1),
                                      message=f"broken JSON: {exc}")]) from exc  # fmt: skip
    if not isinstance(info, dict) or not info:
        raise DatasetError(
            [DataIssue(file=where, line=1, message="expected an object of dataset entries")]
        )
    if name is None:
        if len(info) != 1:
            raise DatasetError([DataIssue(file=where, line=1, message=(
                f"several datasets here; choose one with --dataset ({', '.join(sorted(info))})"))])  # fmt: skip
        name = next(iter(info))
    entry: Any = info.get(name)
    line = _key_line(info_file, name)
    if not isinstance(entry, dict):
        raise DatasetError([DataIssue(file=where, line=1, message=(
            f"no dataset named {name!r} (known: {', '.join(sorted(info))})"))])  # fmt: skip
    if entry.get("ranking"):
        raise DatasetError([DataIssue(file=where, line=line, message=(
            f"{name!r} is a preference (ranking) dataset; fine-tuning takes supervised ones"))])  # fmt: skip
    if "file_name" not in entry:
        remote = next((k for k in _REMOTE_KEYS if k in entry), None)
        why = (
            f"{remote} needs a download; put the file next to dataset_info.json and set file_name"
            if remote
            else "the entry has no file_name"
        )
        raise DatasetError([DataIssue(file=where, line=line, message=f"{name!r}: {why}")])
    target = info_file.parent / str(entry["file_name"])
    if not target.exists():
        raise DatasetError([DataIssue(file=where, line=line, message=(
            f"{name!r}: file_name {entry['file_name']!r} does not exist next to dataset_info.json"))])  # fmt: skip
    try:
        fmt = DatasetFormat.make(
            str(entry.get("formatting", "alpaca")), entry.get("columns"), entry.get("tags")
        )
    except RowError as exc:
        raise DatasetError([DataIssue(file=where, line=line, message=f"{name!r}: {exc}")]) from exc
    files = dataset_files(target)
    if not files:
        raise DatasetError(
            [DataIssue(file=str(target), line=0, message="no data files in this folder")]
        )
    return files, fmt


def _key_line(info_file: Path, name: str) -> int:
    needle = json.dumps(name, ensure_ascii=False)
    for number, text in enumerate(info_file.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if needle in text:
            return number
    return 1
