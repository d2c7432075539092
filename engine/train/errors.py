"""Errors of the fine-tuning package: bad datasets, bad settings, a missing training stack."""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import InputError, ResourceError, TuneforgeError, UnsupportedError


@dataclass(frozen=True, kw_only=True)
class DataIssue:
    """One problem in a dataset: ``FILE:LINE: message`` (line 0 = the file as a whole)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: {self.message}"
            if self.line
            else f"{self.file}: {self.message}"
        )

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "message": self.message}


class DatasetError(InputError):
    """The dataset cannot be used as it is; ``issues`` lists every problem found."""

    code = "dataset"

    def __init__(self, issues: list[DataIssue], *, hint: str | None = None) -> None:
        first = issues[0]
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        super().__init__(
            f"{first}{more}",
            hint=hint
            or "Fix the rows named above, or pass --skip-invalid to leave them out (each "
            "skipped row is listed).",
            path=first.file,
            line=first.line or None,
            issues=[i.to_dict() for i in issues],
        )
        self.issues = issues

    def __str__(self) -> str:
        lines = [str(i) for i in self.issues[:20]]
        if len(self.issues) > 20:
            lines.append(f"… and {len(self.issues) - 20} more")
        text = "\n".join(lines)
        return f"{text}\n  → {self.hint}" if self.hint else text


class TrainSettingsError(InputError):
    """A training option is out of range or does not fit this machine."""

    code = "train_settings"


class TrainStackMissing(ResourceError):
    """torch / transformers / peft (the ``train`` extra) or bitsandbytes is not installed."""

    code = "train_stack_missing"


class QLoRAUnsupported(UnsupportedError):
    """4-bit QLoRA needs bitsandbytes on a CUDA GPU."""


class RunFolderError(InputError):
    """The run folder is in use by another process, or is not a Tuneforge run."""

    code = "run_folder"


class TrainingFailed(TuneforgeError):
    """Training stopped on a numerical or runtime problem (NaN loss, out of memory …)."""

    code = "training_failed"
