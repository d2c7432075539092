"""PARAMETER names and types, as Ollama expects them (table in ``parameters.json``).

Values are checked and converted once, here: numbers become ``int``/``float``, ``stop``
becomes a list of strings. Text values (a Modelfile line, ``--param k=v``) are read the
way Ollama's ``api.FormatParams`` reads them (Go ``strconv.ParseInt``/``ParseFloat``/
``ParseBool``).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from engine.modelfile.errors import ParameterError

_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


@dataclass(frozen=True, kw_only=True)
class ParameterSpec:
    name: str
    kind: str  # int | float | bool | list
    help: str
    minimum: float | None = None
    maximum: float | None = None


@functools.lru_cache(maxsize=1)
def parameter_table() -> dict[str, ParameterSpec]:
    data = json.loads(
        (resources.files("engine.modelfile") / "parameters.json").read_text(encoding="utf-8")
    )
    return {
        name: ParameterSpec(
            name=name,
            kind=item["type"],
            help=item.get("help", ""),
            minimum=item.get("min"),
            maximum=item.get("max"),
        )
        for name, item in data["parameters"].items()
    }


def spec_for(name: str) -> ParameterSpec:
    table = parameter_table()
    if name not in table:
        raise ParameterError(
            f"unknown parameter {name!r}",
            field=name,
            hint="Valid parameters: " + ", ".join(sorted(table)),
        )
    return table[name]


def _bounded(spec: ParameterSpec, value: float) -> None:
    if spec.minimum is not None and value < spec.minimum:
        raise ParameterError(
            f"{spec.name} must be at least {spec.minimum:g}, not {value:g}", field=spec.name
        )
    if spec.maximum is not None and value > spec.maximum:
        raise ParameterError(
            f"{spec.name} must be at most {spec.maximum:g}, not {value:g}", field=spec.name
        )


def parse_parameter_text(name: str, text: str) -> Any:
    """One PARAMETER value from text, typed (``stop`` gives a one-item list)."""
    spec = spec_for(name)
    raw = text.strip()
    if spec.kind == "list":
        return coerce_parameter(name, [text])
    if spec.kind == "int" and _INT.fullmatch(raw):
        return coerce_parameter(name, int(raw))
    if spec.kind == "float" and _FLOAT.fullmatch(raw):
        return coerce_parameter(name, float(raw))
    if spec.kind == "bool" and raw in _TRUE | _FALSE:
        return raw in _TRUE
    kind = {"int": "a whole number", "float": "a number", "bool": "true or false"}[spec.kind]
    raise ParameterError(
        f"{name} must be {kind}, not {text!r}", field=name, hint=f"{name}: {spec.help}"
    )


def coerce_parameter(name: str, value: Any) -> Any:
    """Check one typed value (from code or JSON) and return it in Ollama's type."""
    spec = spec_for(name)
    if spec.kind == "list":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(s, str) for s in items):
            raise ParameterError(f"{name} must be text or a list of texts", field=name)
        if any(s == "" for s in items):
            raise ParameterError(f"{name} cannot be empty text", field=name)
        return list(dict.fromkeys(items))
    if spec.kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return parse_parameter_text(name, value)
        raise ParameterError(f"{name} must be true or false, not {value!r}", field=name)
    if isinstance(value, str):
        return parse_parameter_text(name, value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"{name} must be a number, not {value!r}", field=name)
    if spec.kind == "int":
        if isinstance(value, float) and not value.is_integer():
            raise ParameterError(f"{name} must be a whole number, not {value!r}", field=name)
        number: float = int(value)
    else:
        if not math.isfinite(value):
            raise ParameterError(f"{name} must be a finite number, not {value!r}", field=name)
        number = float(value)
    _bounded(spec, number)
    return number


def normalize_parameters(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """A checked, typed copy (keys in the table's order, ``stop`` last)."""
    out: dict[str, Any] = {}
    for name, value in (params or {}).items():
        out[name] = coerce_parameter(name, value)
    order = list(parameter_table())
    return {
        k: out[k]
        for k in sorted(out, key=lambda k: (k == "stop", order.index(k) if k in order else 0))
    }


def format_parameter_value(name: str, value: Any) -> str:
    """A single typed value as Modelfile text (``stop`` items are quoted by the renderer)."""
    kind = spec_for(name).kind
    if kind == "bool":
        return "true" if value else "false"
    if kind == "int":
        return str(int(value))
    if kind == "float":
        return repr(float(value))
    raise ParameterError(f"{name} is a list; format its items one by one", field=name)


def parameter_pairs(params: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Typed parameters as ``(name, text)`` pairs, as ``--param`` takes them (a list, such
    as ``stop``, becomes one pair per item); :func:`parameters_from_pairs` reads them back."""
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            text = item if isinstance(item, str) else format_parameter_value(name, item)
            pairs.append((name, text))
    return tuple(pairs)


def parameters_from_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``(name, text)`` pairs as parameters; a repeated name (``stop``) becomes a list."""
    params: dict[str, Any] = {}
    for key, value in pairs:
        if key in params:
            previous = params[key]
            params[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            params[key] = [value] if key == "stop" else value
    return params
