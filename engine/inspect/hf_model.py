"""Inspect a merged Hugging Face model folder from its headers only (no weights loaded)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from engine.errors import InputError, UnsupportedError
from engine.formats.safetensors import ModelWeights
from engine.hf import HFFolder, load_hf_folder
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


def read_chat_template(model_dir: Path | HFFolder) -> str | None:
    """The model's own Jinja chat template (transformers' order, :mod:`engine.hf`)."""
    folder = model_dir if isinstance(model_dir, HFFolder) else load_hf_folder(model_dir)
    return folder.chat_template


def tokenizer_kind(folder: HFFolder) -> str | None:
    if folder.sp_model_path.is_file():
        return "sentencepiece"
    tok_json = folder.tokenizer_json
    if tok_json is None:
        return None
    model = tok_json.get("model") or {}
    model_type = str(model.get("type", "")).upper()
    if model_type == "BPE":
        return "sentencepiece" if model.get("byte_fallback") else "bpe"
    return {"UNIGRAM": "unigram", "WORDPIECE": "wordpiece", "WORDLEVEL": "wordlevel"}.get(
        model_type
    )


def inspect_hf_model(model: Path | HFFolder) -> tuple[ModelInfo, list[str]]:
    folder = model if isinstance(model, HFFolder) else load_hf_folder(model)
    model_dir = folder.path
    warnings: list[str] = list(folder.warnings)
    if not folder.has_config:
        raise InputError(
            "this folder has model weights but no config.json",
            path=model_dir,
            hint="Copy config.json from the base model (or the training output) into the folder.",
        )
    config = folder.config
    tconf = folder.text_config
    architecture = folder.require_architecture()

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
    gen = folder.generation_config
    generation = {k: gen[k] for k in _GENERATION_KEYS if k in gen}

    chat_template = folder.chat_template
    tokenizer = tokenizer_kind(folder)
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
    else:
        warnings.extend(_tensor_problems(folder))
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


def _tensor_problems(folder: HFFolder) -> list[str]:
    """What the converter would refuse in the weights (missing or unexpected tensors,
    naming tensor and file), checked from the headers exactly as ``convert`` checks them."""
    from engine.convert.arch import architecture_for
    from engine.convert.config import load_config
    from engine.convert.plan import plan_tensors
    from engine.hf.weights import SafetensorsSource

    cfg = load_config(folder)
    arch = architecture_for(cfg.architecture)
    cfg = arch.with_defaults(cfg)
    with SafetensorsSource(folder.path) as source:
        try:
            plan_tensors(arch, cfg, source)
        except (InputError, UnsupportedError) as exc:
            where = f" ({Path(exc.path).name})" if exc.path else ""
            return [f"cannot be converted: {exc.message}{where}"]
    return []


def _supported_architectures() -> tuple[str, ...]:
    from engine.convert.arch.registry import supported_architectures

    return tuple(supported_architectures())


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
