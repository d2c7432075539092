"""Inspect a merged Hugging Face model folder from its headers only (no weights loaded)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.formats.safetensors import ModelWeights
from engine.inspect.families import guess_family
from engine.inspect.report import ModelInfo

_DTYPE_NAMES = {"BF16": "bfloat16", "F16": "float16", "F32": "float32", "F64": "float64"}
_CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "seq_length", "max_sequence_length")
_GENERATION_KEYS = (
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "repetition_penalty",
    "do_sample",
    "max_new_tokens",
    "bos_token_id",
    "eos_token_id",
    "pad_token_id",
)


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``, or an :class:`InputError` naming the file and line."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise InputError("file not found", path=path) from exc
    except UnicodeDecodeError as exc:
        raise InputError("file is not UTF-8 text", path=path) from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            path=path,
            line=exc.lineno,
            hint="Fix the file or download it again.",
        ) from exc
    if not isinstance(data, dict):
        raise InputError("expected a JSON object", path=path)
    return data


def text_config(config: dict[str, Any]) -> dict[str, Any]:
    """Fields of the language model; multimodal configs nest them in ``text_config``."""
    nested = config.get("text_config")
    return (
        {**nested, **{k: v for k, v in config.items() if k not in nested}}
        if isinstance(nested, dict)
        else config
    )


def read_chat_template(model_dir: Path) -> str | None:
    """The model's own Jinja chat template, wherever transformers saved it."""
    jinja_file = model_dir / "chat_template.jinja"
    if jinja_file.is_file():
        return jinja_file.read_text(encoding="utf-8")
    json_file = model_dir / "chat_template.json"
    if json_file.is_file():
        template = read_json(json_file).get("chat_template")
        if isinstance(template, str):
            return template
    tok_config = model_dir / "tokenizer_config.json"
    if tok_config.is_file():
        template = read_json(tok_config).get("chat_template")
        if isinstance(template, str):
            return template
        if isinstance(template, list):  # [{"name": "default", "template": "…"}, …]
            named = {t.get("name"): t.get("template") for t in template if isinstance(t, dict)}
            chosen = named.get("default") or next(iter(named.values()), None)
            return chosen if isinstance(chosen, str) else None
    return None


def tokenizer_kind(model_dir: Path) -> str | None:
    if (model_dir / "tokenizer.model").is_file():
        return "sentencepiece"
    tok_json = model_dir / "tokenizer.json"
    if not tok_json.is_file():
        return None
    model = read_json(tok_json).get("model") or {}
    model_type = str(model.get("type", "")).upper()
    if model_type == "BPE":
        return "sentencepiece" if model.get("byte_fallback") else "bpe"
    return {"UNIGRAM": "unigram", "WORDPIECE": "wordpiece", "WORDLEVEL": "wordlevel"}.get(
        model_type
    )


def inspect_hf_model(model_dir: Path) -> tuple[ModelInfo, list[str]]:
    warnings: list[str] = []
    config_path = model_dir / "config.json"
    if not config_path.is_file():
        raise InputError(
            "this folder has model weights but no config.json",
            path=model_dir,
            hint="Copy config.json from the base model (or the training output) into the folder.",
        )
    config = read_json(config_path)
    tconf = text_config(config)
    architectures = config.get("architectures") or []
    if not architectures or not isinstance(architectures, list):
        raise InputError(
            "config.json has no 'architectures' entry",
            path=config_path,
            field="architectures",
            hint='Add e.g. "architectures": ["Qwen2ForCausalLM"] matching the model.',
        )
    architecture = str(architectures[0])

    with ModelWeights(model_dir) as weights:
        infos = list(weights.infos())
        dtype_bytes: Counter[str] = Counter()
        for info in infos:
            dtype_bytes[info.dtype] += info.n_bytes
        parameters = sum(i.n_elements for i in infos)
        weight_bytes = sum(sf.path.stat().st_size for sf in weights.files)
        n_files = len(weights.files)
        has_lm_head = "lm_head.weight" in weights
    float_dtypes = [d for d in dtype_bytes if d in _DTYPE_NAMES]
    if len(float_dtypes) == 1:
        dtype = _DTYPE_NAMES[float_dtypes[0]]
    elif float_dtypes:
        dtype = "mixed"
        warnings.append("weights mix several float dtypes: " + ", ".join(sorted(float_dtypes)))
    else:
        dtype = "unknown"

    context_length = next(
        (int(tconf[k]) for k in _CONTEXT_KEYS if isinstance(tconf.get(k), int)), None
    )
    generation: dict[str, Any] = {}
    gen_path = model_dir / "generation_config.json"
    if gen_path.is_file():
        gen = read_json(gen_path)
        generation = {k: gen[k] for k in _GENERATION_KEYS if k in gen}

    chat_template = read_chat_template(model_dir)
    tokenizer = tokenizer_kind(model_dir)
    if tokenizer is None:
        warnings.append("no tokenizer files (tokenizer.json / tokenizer.model) in the folder")
    if chat_template is None:
        warnings.append("no chat template: Ollama will not know how to format a conversation")

    supported = architecture in _supported_architectures()
    if not supported:
        warnings.append(
            f"{architecture} is not supported for conversion yet; supported: "
            + ", ".join(_supported_architectures())
        )
    tied = bool(tconf.get("tie_word_embeddings", config.get("tie_word_embeddings", False)))
    model_info = ModelInfo(
        architecture=architecture,
        model_type=tconf.get("model_type") or config.get("model_type"),
        parameters=parameters,
        dtype=dtype,
        weight_bytes=weight_bytes,
        disk_bytes=_folder_bytes(model_dir),
        weight_files=n_files,
        context_length=context_length,
        vocab_size=tconf.get("vocab_size"),
        hidden_size=tconf.get("hidden_size"),
        layers=tconf.get("num_hidden_layers"),
        tokenizer=tokenizer,
        chat_template=chat_template is not None,
        chat_template_family=guess_family(chat_template) if chat_template else None,
        generation_defaults=generation,
        tied_embeddings=tied or not has_lm_head,
        supported=supported,
    )
    return model_info, warnings


def _supported_architectures() -> tuple[str, ...]:
    from engine.convert.arch.registry import supported_architectures

    return tuple(supported_architectures())


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
