"""Ollama over its HTTP API: find it, upload a GGUF, create a model, list/show/delete, chat.

``register_job`` is the job the GUI and ``tuneforge package`` run; ``OllamaClient`` is
the plain client. Facts about Ollama's behaviour are in ``docs`` (OLLAMA.md) and cited
from Ollama's source in each module.
"""

from engine.modelfile.parameters import normalize_parameters
from engine.ollama.client import OllamaClient
from engine.ollama.detect import find_ollama, is_installed
from engine.ollama.errors import (
    BadRequest,
    DigestMismatch,
    ModelNotFound,
    NotOllama,
    OllamaError,
    OllamaNotInstalled,
    OllamaNotRunning,
    OllamaTooOld,
    ServerError,
)
from engine.ollama.host import parse_host, resolve_host
from engine.ollama.names import ModelName, parse_model_name, same_model, validate_model_name
from engine.ollama.payloads import normalize_digest
from engine.ollama.register import RegisterResult, RegisterSpec, register_job
from engine.ollama.responses import CreateStatus, ModelDetails, ModelSummary, ServerStatus
from engine.ollama.versions import JSON_CREATE_SINCE, MIN_SUPPORTED, parse_version

__all__ = [
    "JSON_CREATE_SINCE",
    "MIN_SUPPORTED",
    "BadRequest",
    "CreateStatus",
    "DigestMismatch",
    "ModelDetails",
    "ModelName",
    "ModelNotFound",
    "ModelSummary",
    "NotOllama",
    "OllamaClient",
    "OllamaError",
    "OllamaNotInstalled",
    "OllamaNotRunning",
    "OllamaTooOld",
    "RegisterResult",
    "RegisterSpec",
    "ServerError",
    "ServerStatus",
    "find_ollama",
    "is_installed",
    "normalize_digest",
    "normalize_parameters",
    "parse_host",
    "parse_model_name",
    "parse_version",
    "register_job",
    "resolve_host",
    "same_model",
    "validate_model_name",
]
