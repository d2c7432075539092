"""Errors cross the wire (child processes, workers) and come back as the kind they were."""

from __future__ import annotations

from engine.errors import (
    InputError,
    ReceivedError,
    ResourceError,
    TuneforgeError,
    UnsupportedError,
)
from engine.ollama.errors import OllamaTooOld


def _round_trip(error: TuneforgeError) -> TuneforgeError:
    return TuneforgeError.from_dict(error.to_dict())


def test_shared_kinds_come_back_as_their_own_class_with_their_fields():
    for kind in (InputError, UnsupportedError, ResourceError):
        back = _round_trip(kind("bad", hint="do this", path="模型 dir/x.json", field="f", line=3))
        assert type(back) is kind and back.code == kind.code
        assert (back.message, back.hint, back.path, back.field, back.line) == (
            "bad", "do this", "模型 dir/x.json", "f", 3,
        )  # fmt: skip


def test_other_kinds_keep_their_code_and_details():
    back = _round_trip(OllamaTooOld("too old", version="0.1.0"))
    assert type(back) is ReceivedError and back.code == OllamaTooOld.code
    assert back.details == {"version": "0.1.0"}
