"""Errors of the chat package (structured, like every engine error)."""

from __future__ import annotations

import signal
from pathlib import Path

from engine.errors import TuneforgeError

CRASH_HINT = (
    "Try another quantization of the model (F16 or Q8_0 instead of a K-quant, or the "
    "other way round), or restart the model; if it keeps crashing, send this message "
    "with the self-test report (`tuneforge-cli --selftest`, see the README)."
)


def signal_name(returncode: int | None) -> str:
    """``-11`` → ``SIGSEGV``; a positive code (Windows, or exit()) → ``exit code N``."""
    if returncode is None:
        return "no exit code"
    if returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"signal {-returncode}"
    if returncode > 0xFFFF:  # Windows NTSTATUS such as 0xC0000005 (access violation)
        return f"exit code 0x{returncode:08X}"
    return f"exit code {returncode}"


class NativeCrashError(TuneforgeError):
    """The llama.cpp child process died (signal, abort, out-of-memory kill, lost pipe)."""

    code = "native_crash"

    def __init__(
        self,
        *,
        model: str | Path,
        returncode: int | None,
        stderr_tail: str = "",
        stage: str = "running",
    ) -> None:
        name = signal_name(returncode)
        message = f"llama.cpp crashed while {stage} {Path(model).name} ({name})"
        tail = stderr_tail.strip()
        if tail:
            message += "; its last output:\n    " + "\n    ".join(tail.splitlines()[-8:])
        super().__init__(
            message,
            hint=CRASH_HINT,
            path=model,
            returncode=returncode,
            signal=name,
            stderr=tail,
            stage=stage,
        )
        self.signal = name
        self.returncode = returncode
        self.stderr_tail = tail
