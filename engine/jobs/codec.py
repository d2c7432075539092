"""JSON form of job specs and results (frozen dataclasses), for child processes and workers.

Only plain data crosses the wire: dataclasses, paths, str/int/float/bool/None,
lists/tuples and dicts of those. A spec names its class as ``module:QualName``; the
class is imported again on the other side, and only from the ``engine`` package,
so a received spec can never name arbitrary code.
"""

from __future__ import annotations

import dataclasses
import importlib
import types
import typing
from enum import Enum
from pathlib import Path
from typing import Any


def to_plain(value: Any) -> Any:
    """Dataclass instance (or plain value) → JSON-compatible data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "__type__": f"{type(value).__module__}:{type(value).__qualname__}",
            **{f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)},
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    return value


def resolve(ref: str) -> Any:
    """Import ``module:QualName`` from inside the engine package."""
    module_name, _, qualname = ref.partition(":")
    if not (module_name == "engine" or module_name.startswith("engine.")) or not qualname:
        raise ValueError(f"refusing to load {ref!r}: only engine.* objects may be named")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def from_plain(data: Any, hint: Any = Any) -> Any:
    """JSON data → value of type ``hint`` (dataclasses rebuilt from ``__type__``)."""
    if isinstance(data, dict) and "__type__" in data:
        cls = resolve(data["__type__"])
        hints = _field_hints(cls)
        kwargs = {
            f.name: from_plain(data[f.name], hints.get(f.name, Any))
            for f in dataclasses.fields(cls)
            if f.name in data and f.init
        }
        return cls(**kwargs)
    return _coerce(data, hint)


def _field_hints(cls: type) -> dict[str, Any]:
    """The fields' types; one named only for type checkers (``if TYPE_CHECKING``) reads as Any."""
    try:
        return typing.get_type_hints(cls)
    except NameError:
        hints: dict[str, Any] = {}
        namespace = vars(importlib.import_module(cls.__module__))
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            try:  # what get_type_hints does, one field at a time
                hints[f.name] = eval(f.type, dict(namespace)) if isinstance(f.type, str) else f.type
            except NameError:
                hints[f.name] = Any
        return hints


def _coerce(data: Any, hint: Any) -> Any:
    if data is None or hint is Any:
        return data
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        return _coerce(data, non_none[0]) if len(non_none) == 1 else data
    if hint is Path or (isinstance(hint, type) and issubclass(hint, Path)):
        return Path(data)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(data)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(v, args[0]) for v in data)
        if args:
            return tuple(_coerce(v, a) for v, a in zip(data, args, strict=False))
        return tuple(data)
    if origin is list:
        return [_coerce(v, args[0] if args else Any) for v in data]
    if origin is dict:
        value_hint = args[1] if len(args) == 2 else Any
        return {k: _coerce(v, value_hint) for k, v in data.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and isinstance(data, dict):
        return from_plain({"__type__": f"{hint.__module__}:{hint.__qualname__}", **data})
    return data
