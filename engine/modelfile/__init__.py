"""Ollama Modelfiles: the model, its renderer/parser, typed PARAMETERs, and the builder.

Public API::

    Modelfile(from_path=..., template=..., system=..., parameters={...})
        .render() -> str            .parameters_json() -> dict     Modelfile.parse(text)
    parse_modelfile(text) -> Modelfile
    build_modelfile(*, from_path, model_dir=None, gguf_path=None, system=None, params=None)
    default_parameters(model_dir=None, *, gguf_path=None) -> dict
"""

from engine.modelfile.build import DEFAULT_NUM_CTX, build_modelfile, default_parameters
from engine.modelfile.errors import ModelfileError, ParameterError
from engine.modelfile.model import Modelfile, ModelfileMessage, parse_modelfile
from engine.modelfile.parameters import (
    coerce_parameter,
    normalize_parameters,
    parameter_pairs,
    parameter_table,
    parameters_from_pairs,
    parse_parameter_text,
)

__all__ = [
    "DEFAULT_NUM_CTX",
    "Modelfile",
    "ModelfileError",
    "ModelfileMessage",
    "ParameterError",
    "build_modelfile",
    "coerce_parameter",
    "default_parameters",
    "normalize_parameters",
    "parameter_pairs",
    "parameter_table",
    "parameters_from_pairs",
    "parse_modelfile",
    "parse_parameter_text",
]
