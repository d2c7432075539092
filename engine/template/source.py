"""Where a chat template and its special tokens come from: a HF model folder or a GGUF."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.template.errors import ChatTemplateError
from engine.template.tokens import TemplateTokens


@dataclass(frozen=True, kw_only=True)
class ChatTemplateSource:
    """A chat template with the tokenizer facts it needs, and where it was read."""

    chat_template: str
    tokens: TemplateTokens
    origin: str  # file the template came from (for messages)
    context_length: int | None = None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ChatTemplateError(f"cannot read {path.name}: {exc}", path=path) from exc
    return data if isinstance(data, dict) else {}


def _pick_template(value: Any) -> str | None:
    """``chat_template`` may be a string or a list of ``{name, template}`` (use "default")."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        named = {i.get("name"): i.get("template") for i in value if isinstance(i, dict)}
        chosen = named.get("default") or next(iter(named.values()), None)
        return chosen if isinstance(chosen, str) else None
    return None


def _id_to_token(model_dir: Path, tokenizer_config: dict[str, Any]) -> dict[int, str]:
    table: dict[int, str] = {}
    tokenizer = _read_json(model_dir / "tokenizer.json")
    for item in tokenizer.get("added_tokens") or []:
        if isinstance(item, dict) and isinstance(item.get("id"), int):
            table[item["id"]] = str(item.get("content", ""))
    for key, item in (tokenizer_config.get("added_tokens_decoder") or {}).items():
        if isinstance(item, dict) and str(key).isdigit():
            table.setdefault(int(key), str(item.get("content", "")))
    return table


def _tokenizer_json_adds_bos(model_dir: Path, bos: str | None) -> bool | None:
    """Llama-3 style tokenizers add BOS in tokenizer.json's post-processor."""
    if not bos:
        return None
    post = _read_json(model_dir / "tokenizer.json").get("post_processor")
    stack = [post]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "TemplateProcessing":
                single = node.get("single") or []
                return any(
                    isinstance(p, dict) and (p.get("SpecialToken") or {}).get("id") == bos
                    for p in single
                )
            stack.extend(node.get("processors") or [])
    return None


def template_from_model_dir(model_dir: str | Path) -> ChatTemplateSource:
    """Read the chat template and tokens of a Hugging Face model folder."""
    model_dir = Path(model_dir)
    config = _read_json(model_dir / "tokenizer_config.json")
    legacy = _read_json(model_dir / "special_tokens_map.json")
    merged = {**legacy, **{k: v for k, v in config.items() if v is not None}}
    origin = model_dir / "tokenizer_config.json"
    template = _pick_template(config.get("chat_template"))
    jinja_file = model_dir / "chat_template.jinja"
    if template is None and jinja_file.is_file():
        template, origin = jinja_file.read_text(encoding="utf-8"), jinja_file
    if template is None:
        template = _pick_template(_read_json(model_dir / "chat_template.json").get("chat_template"))
        origin = model_dir / "chat_template.json"
    if not template:
        raise ChatTemplateError(
            "the model has no chat template",
            path=model_dir,
            hint="Base (non-instruct) models have none. Use an instruct model, or add a "
            "chat_template to tokenizer_config.json.",
        )
    tokens = TemplateTokens.from_mapping(merged)
    if tokens.add_bos_token is None:
        tokens = TemplateTokens(
            bos_token=tokens.bos_token,
            eos_token=tokens.eos_token,
            add_bos_token=_tokenizer_json_adds_bos(model_dir, tokens.bos_token),
            others=tokens.others,
        )
    # generation_config / config eos ids are end-of-turn tokens too (e.g. <|eot_id|>).
    ids = _id_to_token(model_dir, config)
    extra: list[str] = []
    model_config = _read_json(model_dir / "config.json")
    for source in (_read_json(model_dir / "generation_config.json"), model_config):
        eos_ids = source.get("eos_token_id")
        for token_id in eos_ids if isinstance(eos_ids, list) else [eos_ids]:
            text = ids.get(token_id) if isinstance(token_id, int) else None
            if text and text != tokens.eos_token and text not in extra:
                extra.append(text)
    context = model_config.get("max_position_embeddings")
    text_config = model_config.get("text_config")
    if not isinstance(context, int) and isinstance(text_config, dict):
        context = text_config.get("max_position_embeddings")
    return ChatTemplateSource(
        chat_template=template,
        tokens=TemplateTokens(
            bos_token=tokens.bos_token,
            eos_token=tokens.eos_token,
            add_bos_token=tokens.add_bos_token,
            others=tokens.others,
            end_of_turn=tuple(extra),
        ),
        origin=str(origin),
        context_length=context if isinstance(context, int) and context > 0 else None,
    )


def template_from_gguf(path: str | Path) -> ChatTemplateSource:
    """Read ``tokenizer.chat_template`` and the BOS/EOS/EOT tokens of a GGUF file."""
    from engine.formats.gguf_read import open_gguf

    path = Path(path)
    header = open_gguf(path, error=ChatTemplateError)
    scalar = header.value

    template = scalar("tokenizer.chat_template")
    if not isinstance(template, str) or not template.strip():
        raise ChatTemplateError(
            "the GGUF has no embedded chat template (tokenizer.chat_template)",
            path=path,
            hint="Convert the model again from a folder whose tokenizer_config.json has a "
            "chat_template, or build the Modelfile from that folder.",
        )
    token = header.token
    eos = token("tokenizer.ggml.eos_token_id")
    extra = [
        t
        for key in ("tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id")
        if (t := token(key)) and t != eos
    ]
    add_bos = scalar("tokenizer.ggml.add_bos_token")
    arch = scalar("general.architecture")
    context = scalar(f"{arch}.context_length") if isinstance(arch, str) else None
    others = {
        name: text
        for name, key in (
            ("pad_token", "tokenizer.ggml.padding_token_id"),
            ("unk_token", "tokenizer.ggml.unknown_token_id"),
        )
        if (text := token(key))
    }
    return ChatTemplateSource(
        chat_template=template,
        tokens=TemplateTokens(
            bos_token=token("tokenizer.ggml.bos_token_id"),
            eos_token=eos,
            add_bos_token=bool(add_bos) if isinstance(add_bos, (bool, int)) else None,
            others=others,
            end_of_turn=tuple(extra),
        ),
        origin=str(path),
        context_length=int(context) if isinstance(context, int) and context > 0 else None,
    )


def template_source(path: str | Path) -> ChatTemplateSource:
    """The chat template of a model folder or a ``.gguf`` file."""
    path = Path(path)
    if path.is_dir():
        return template_from_model_dir(path)
    if path.is_file() and path.suffix.lower() == ".gguf":
        return template_from_gguf(path)
    if not path.exists():
        raise ChatTemplateError("no such file or folder", path=path)
    raise ChatTemplateError(
        "not a model folder or a .gguf file",
        path=path,
        hint="Give the folder with config.json/tokenizer_config.json, or a .gguf file.",
    )
