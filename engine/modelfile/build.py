"""Build a Modelfile for a model: derived TEMPLATE, stops, sampling defaults, SYSTEM.

Defaults come from the model itself: stop strings from the tokenizer's end-of-sequence /
end-of-turn tokens plus the template's turn markers; ``temperature``/``top_p``/``top_k``/
``min_p``/``repeat_penalty`` from ``generation_config.json`` (Hugging Face names mapped to
Ollama's); ``num_ctx`` of :data:`DEFAULT_NUM_CTX`, never above the model's context length.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.hf import HFFolder, load_hf_folder
from engine.modelfile.errors import ModelfileError, ParameterError
from engine.modelfile.model import Modelfile
from engine.modelfile.parameters import normalize_parameters

DEFAULT_NUM_CTX = 4096

# generation_config.json name -> Ollama PARAMETER name
GENERATION_CONFIG_MAP = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "min_p": "min_p",
    "typical_p": "typical_p",
    "repetition_penalty": "repeat_penalty",
}


def _folder(model_dir: str | Path | HFFolder | None) -> HFFolder | None:
    if model_dir is None or isinstance(model_dir, HFFolder):
        return model_dir
    return load_hf_folder(model_dir)


def _source_for(model_dir: HFFolder | None, gguf_path: Path | None) -> Any:
    from engine.template import template_from_gguf, template_from_model_dir

    if model_dir is not None:
        return template_from_model_dir(model_dir)
    if gguf_path is not None:
        return template_from_gguf(gguf_path)
    raise ModelfileError("build_modelfile needs model_dir or gguf_path")


def generation_defaults(model_dir: Path | HFFolder) -> dict[str, Any]:
    """Sampling settings from ``generation_config.json``, under Ollama's names."""
    folder = _folder(model_dir)
    data = folder.generation_config if folder is not None else {}
    out: dict[str, Any] = {}
    for hf_name, ollama_name in GENERATION_CONFIG_MAP.items():
        value = data.get(hf_name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[ollama_name] = value
    if out.get("top_k") == 0:  # HF: 0 disables top-k, Ollama: 0 disables too, but say nothing
        out.pop("top_k")
    return normalize_parameters(out)


def _stops(source: Any, derived: Any) -> list[str]:
    tokens = source.tokens
    stops: list[str] = []
    for stop in (tokens.eos_token, *tokens.end_of_turn, *(derived.stops if derived else ())):
        if stop and stop not in stops:
            stops.append(stop)
    return stops


def default_parameters(
    model_dir: str | Path | HFFolder | None = None,
    *,
    gguf_path: str | Path | None = None,
    derived: Any = None,
) -> dict[str, Any]:
    """PARAMETERs Tuneforge writes by default for a model folder (or a GGUF)."""
    folder = _folder(model_dir)
    source = _source_for(folder, Path(gguf_path) if gguf_path else None)
    if derived is None:
        from engine.template import derive_from_source

        derived = derive_from_source(source, verify=False)
    return _defaults(source, folder, derived)


def _defaults(source: Any, model_dir: HFFolder | None, derived: Any) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if model_dir is not None:
        params.update(generation_defaults(model_dir))
    num_ctx = DEFAULT_NUM_CTX
    if source.context_length:
        num_ctx = min(num_ctx, source.context_length)
    params["num_ctx"] = num_ctx
    stops = _stops(source, derived)
    if stops:
        params["stop"] = stops
    return normalize_parameters(params)


def build_modelfile(
    *,
    from_path: str | Path,
    model_dir: str | Path | HFFolder | None = None,
    gguf_path: str | Path | None = None,
    system: str | None = None,
    params: Mapping[str, Any] | None = None,
    verify: bool = True,
) -> Modelfile:
    """A Modelfile whose TEMPLATE is derived from (and checked against) the model's own
    chat template. ``params`` override the defaults (``stop`` replaces the default list);
    ``num_ctx`` may not exceed the model's context length. The result's ``derivation``
    carries the family, the parity report and any warnings (for a fallback, TEMPLATE is
    left out and Ollama uses the GGUF's embedded Jinja template).
    """
    from engine.template import derive_from_source

    folder = _folder(model_dir)
    gguf = Path(gguf_path) if gguf_path is not None else None
    source = _source_for(folder, gguf)
    derived = derive_from_source(source, verify=verify)
    parameters = _defaults(source, folder, derived)
    overrides = normalize_parameters(params)
    parameters.update(overrides)
    limit = source.context_length
    if limit and parameters.get("num_ctx", 0) > limit:
        raise ParameterError(
            f"num_ctx {parameters['num_ctx']} is larger than the model's context length {limit}",
            field="num_ctx",
            hint=f"Use num_ctx={limit} or less.",
        )
    return Modelfile(
        from_path=str(from_path),
        template=derived.go_template,
        system=system if system else None,
        parameters=parameters,
        derivation=derived,
    )
