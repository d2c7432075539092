"""Where a chat template and its special tokens come from: a HF model folder or a GGUF."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.errors import InputError
from engine.hf import HFFolder, load_hf_folder, read_chat_format
from engine.template.errors import ChatTemplateError
from engine.template.tokens import TemplateTokens


@dataclass(frozen=True, kw_only=True)
class ChatTemplateSource:
    """A chat template with the tokenizer facts it needs, and where it was read."""

    chat_template: str
    tokens: TemplateTokens
    origin: str  # file the template came from (for messages)
    context_length: int | None = None


def template_from_model_dir(model_dir: str | Path | HFFolder) -> ChatTemplateSource:
    """Read the chat template and tokens of a Hugging Face model folder (the same template
    the GGUF converter embeds: :func:`engine.hf.read_chat_format`)."""
    try:
        folder = model_dir if isinstance(model_dir, HFFolder) else load_hf_folder(model_dir)
        chat = read_chat_format(folder)
    except ChatTemplateError:
        raise
    except InputError as exc:
        raise ChatTemplateError(
            exc.message, hint=exc.hint, path=exc.path, field=exc.field, line=exc.line
        ) from exc
    if not chat.chat_template:
        raise ChatTemplateError(
            "the model has no chat template",
            path=folder.path,
            hint="Base (non-instruct) models have none. Use an instruct model, or add a "
            "chat_template to tokenizer_config.json.",
        )
    tokens = TemplateTokens.from_mapping(chat.special_tokens)
    context = folder.text_config.get("max_position_embeddings")
    return ChatTemplateSource(
        chat_template=chat.chat_template,
        tokens=TemplateTokens(
            bos_token=tokens.bos_token,
            eos_token=tokens.eos_token,
            add_bos_token=chat.add_bos_token,
            others=tokens.others,
            end_of_turn=chat.end_of_turn,
        ),
        origin=str(chat.template_file or folder.path),
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
