"""Job events: small frozen dataclasses that round-trip through one NDJSON line each.

The same shapes travel in-thread (CLI), to the GUI (as Qt signals), from a child
process (its stdout) and from a remote worker (an HTTP stream).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Union


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` units of ``stage`` are finished (total 0 = unknown)."""

    stage: str
    done: float
    total: float
    unit: str = ""
    kind: str = field(default="progress", init=False)

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.done / self.total) if self.total else None


@dataclass(frozen=True)
class Log:
    text: str
    level: str = "info"  # "debug" | "info" | "warning"
    kind: str = field(default="log", init=False)


@dataclass(frozen=True)
class Finished:
    """The job returned; ``result`` is the JSON form of its result."""

    result: Any = None
    kind: str = field(default="finished", init=False)


@dataclass(frozen=True)
class Failed:
    """The job raised; ``error`` is :meth:`TuneforgeError.to_dict` (or a generic form)."""

    error: dict[str, Any]
    kind: str = field(default="failed", init=False)


@dataclass(frozen=True)
class Cancelled:
    reason: str = "cancelled by the user"
    kind: str = field(default="cancelled", init=False)


Event = Union[Progress, Log, Finished, Failed, Cancelled]  # noqa: UP007 - a runtime alias on 3.10
_KINDS: dict[str, type] = {
    "progress": Progress,
    "log": Log,
    "finished": Finished,
    "failed": Failed,
    "cancelled": Cancelled,
}


def event_to_json(event: Event) -> str:
    """One NDJSON line (no trailing newline)."""
    return json.dumps(asdict(event), ensure_ascii=False, separators=(",", ":"))


def event_from_json(line: str) -> Event:
    data = json.loads(line)
    if not isinstance(data, dict) or data.get("kind") not in _KINDS:
        raise ValueError(f"not a job event: {line[:200]!r}")
    cls = _KINDS[data.pop("kind")]
    return cls(**data)  # type: ignore[no-any-return]


def is_terminal(event: Event) -> bool:
    return isinstance(event, (Finished, Failed, Cancelled))
