"""Model parameters as the double judges them (its own table, not the engine's).

Types of Ollama's ``api.Options`` / ``api.Runner`` fields (``api/types.go``; the
mirostat/penalize_newline/low_vram… fields exist up to v0.5.x). Two places use them:

- JSON-form create: Ollama stores ``parameters`` **unvalidated**; the double stores them
  too, and records a *violation* for what would fail at chat time (a test assertion,
  not Ollama behaviour);
- chat: ``Options.FromMap`` errors, with Ollama's wording.
"""

from __future__ import annotations

from typing import Any

TYPES = {
    **dict.fromkeys(
        [
            "num_keep",
            "seed",
            "num_predict",
            "top_k",
            "repeat_last_n",
            "num_ctx",
            "num_batch",
            "num_gpu",
            "main_gpu",
            "num_thread",
            "mirostat",
            "draft_num_predict",
        ],
        "int",
    ),
    **dict.fromkeys(
        [
            "top_p",
            "min_p",
            "typical_p",
            "temperature",
            "repeat_penalty",
            "presence_penalty",
            "frequency_penalty",
            "mirostat_tau",
            "mirostat_eta",
        ],
        "float",
    ),
    **dict.fromkeys(
        [
            "use_mmap",
            "penalize_newline",
            "low_vram",
            "f16_kv",
            "logits_all",
            "vocab_only",
            "use_mlock",
        ],
        "bool",
    ),
    "stop": "array",
}


def create_violations(parameters: Any) -> list[str]:
    """What a careful client must not send in ``/api/create``'s ``parameters``."""
    if parameters is None:
        return []
    if not isinstance(parameters, dict):
        return [f"parameters must be a JSON object, got {parameters!r}"]
    found = []
    for key, value in parameters.items():
        kind = TYPES.get(key)
        if kind is None:
            found.append(f"unknown parameter {key!r}: Ollama ignores it at chat time")
            continue
        problem = option_error(key, value)
        if problem:
            found.append(
                f"parameters.{key} = {value!r}: Ollama stores it and then fails every chat "
                f"with {problem!r}"
            )
    return found


def option_error(key: str, value: Any) -> str | None:
    """The error ``Options.FromMap`` (api/types.go) returns for one option, or None."""
    kind = TYPES.get(key)
    if kind is None or value is None:
        return None  # unknown options are logged and skipped by Ollama
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return f'option "{key}" must be of type integer'
    if kind == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return f'option "{key}" must be of type float32'
    if kind == "bool" and not isinstance(value, bool):
        return f'option "{key}" must be of type boolean'
    if kind == "array":
        if not isinstance(value, list):
            return f'option "{key}" must be of type array'
        if not all(isinstance(v, str) for v in value):
            return f'option "{key}" must be of an array of strings'
    return None


def from_modelfile(key: str, text: str) -> Any:
    """A ``PARAMETER`` line's text → typed value (``api.FormatParams`` at v0.5.4).

    Raises ValueError with Ollama's wording.
    """
    kind = TYPES.get(key)
    if kind is None:
        raise ValueError(f"unknown parameter '{key}'")
    if kind == "array":
        return [text]
    if kind == "bool":
        if text.lower() not in ("true", "false", "1", "0", "t", "f"):
            raise ValueError(f"invalid bool value [{text}]")
        return text.lower() in ("true", "1", "t")
    try:
        return int(text) if kind == "int" else float(text)
    except ValueError:
        raise ValueError(f"invalid {'int' if kind == 'int' else 'float'} value [{text}]") from None


def go_value(value: Any) -> str:
    """Go's ``%#v`` for a JSON-decoded value (strings quoted, 8.0 printed as 8)."""
    import json

    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
