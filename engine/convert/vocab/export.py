"""``export_vocab``: a model folder's tokenizer as GGUF ``tokenizer.*`` key/values."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from gguf import GGUFValueType, Keys

from engine.convert.arch.registry import architecture_named
from engine.errors import InputError, UnsupportedError
from engine.hf import ChatTemplates, HFFolder

from .bpe import build_bpe_table, is_byte_level
from .files import TokenizerFiles, load_tokenizer_files
from .pretokenizer import choose_pre_tokenizer
from .special import (
    SpecialTokens,
    describe_added_token_flags,
    load_chat_templates,
    resolve_special_tokens,
)
from .spm import (
    SpmTable,
    build_spm_from_json,
    build_spm_from_model,
    config_added_tokens,
    is_spm_style,
    space_prefix_for,
)

_ID_KEYS = (
    ("bos", Keys.Tokenizer.BOS_ID),
    ("eos", Keys.Tokenizer.EOS_ID),
    ("unk", Keys.Tokenizer.UNK_ID),
    ("sep", Keys.Tokenizer.SEP_ID),
    ("pad", Keys.Tokenizer.PAD_ID),
    ("eot", Keys.Tokenizer.EOT_ID),
    ("eom", Keys.Tokenizer.EOM_ID),
)


class KeyWriter(Protocol):
    def add_key(self, key: str, value: Any, value_type: GGUFValueType | None = None) -> None: ...


@dataclass(frozen=True, kw_only=True)
class VocabExport:
    """Everything ``tokenizer.*`` in a GGUF, ready to write."""

    kind: str  # "bpe" (byte-level, gpt2) or "spm" (SentencePiece, llama)
    pre: str  # tokenizer.ggml.pre ("default" for spm)
    tokens: tuple[str, ...]
    token_types: tuple[int, ...]
    scores: tuple[float, ...] | None  # spm only
    merges: tuple[str, ...] | None  # bpe only
    special_ids: tuple[tuple[str, int], ...]  # (role, id): bos, eos, unk, sep, pad, eot, eom
    add_bos: bool
    add_eos: bool
    add_space_prefix: bool | None  # spm only
    # spm only: where transformers puts "▁" before text: "always" (also after special
    # tokens), "first" (only at the start of the input, not before a leading space) or
    # "never". llama.cpp knows only on/off, so "first" is written as off: chat prompts
    # match exactly and raw text that starts a prompt needs a leading space.
    prefix_scheme: str | None
    chat_template: str | None
    named_chat_templates: tuple[tuple[str, str], ...]
    chat_template_source: str | None  # file the template came from
    source: str  # which tokenizer file(s) the vocabulary came from
    warnings: tuple[str, ...]
    # llama.cpp strips the whitespace after special tokens (Phi-3's rstrip flags) only when
    # general.name contains "phi3": the converter must keep this tag in the model name.
    required_name_tag: str | None = None

    @property
    def ggml_model(self) -> str:
        return "gpt2" if self.kind == "bpe" else "llama"

    @property
    def n_tokens(self) -> int:
        return len(self.tokens)

    def special_id(self, role: str) -> int | None:
        return dict(self.special_ids).get(role)

    def kv_items(self) -> list[tuple[str, Any, GGUFValueType | None]]:
        """The tokenizer keys in the order llama.cpp's converter writes them."""
        arr = GGUFValueType.ARRAY
        items: list[tuple[str, Any, GGUFValueType | None]] = [
            (Keys.Tokenizer.MODEL, self.ggml_model, GGUFValueType.STRING),
            (Keys.Tokenizer.PRE, self.pre, GGUFValueType.STRING),
            (Keys.Tokenizer.LIST, list(self.tokens), arr),
        ]
        if self.scores is not None:
            items.append((Keys.Tokenizer.SCORES, [float(s) for s in self.scores], arr))
        items.append((Keys.Tokenizer.TOKEN_TYPE, [int(t) for t in self.token_types], arr))
        if self.merges:
            items.append((Keys.Tokenizer.MERGES, list(self.merges), arr))
        ids = dict(self.special_ids)
        for role, key in _ID_KEYS:
            if role in ids:
                items.append((key, int(ids[role]), GGUFValueType.UINT32))
        items.append((Keys.Tokenizer.ADD_BOS, self.add_bos, GGUFValueType.BOOL))
        items.append((Keys.Tokenizer.ADD_EOS, self.add_eos, GGUFValueType.BOOL))
        if self.named_chat_templates:
            for name, template in self.named_chat_templates:
                items.append(
                    (
                        Keys.Tokenizer.CHAT_TEMPLATE_N.format(name=name),
                        template,
                        GGUFValueType.STRING,
                    )
                )
            names = [name for name, _ in self.named_chat_templates]
            items.append((Keys.Tokenizer.CHAT_TEMPLATES, names, arr))
        if self.chat_template is not None:
            items.append((Keys.Tokenizer.CHAT_TEMPLATE, self.chat_template, GGUFValueType.STRING))
        if self.add_space_prefix is not None:
            items.append((Keys.Tokenizer.ADD_PREFIX, self.add_space_prefix, GGUFValueType.BOOL))
        return items

    def write_to(self, writer: KeyWriter) -> None:
        """Write every key with ``writer.add_key(key, value, value_type)``."""
        for key, value, value_type in self.kv_items():
            writer.add_key(key, value, value_type)


def _check_unique(tokens: list[str], path: Path) -> None:
    dupes = [t for t, n in Counter(tokens).items() if n > 1]
    if dupes:
        shown = ", ".join(repr(t) for t in dupes[:5])
        raise InputError(
            f"the vocabulary has the same token text at two ids: {shown}",
            path=path,
            hint="llama.cpp needs every token text once. Remove the duplicate added token "
            "from tokenizer.json (added_tokens) and save the tokenizer again.",
        )


def _safe_name(name: str) -> str:
    return "".join(c if c.isascii() and c.isalnum() else "_" for c in name)


def export_vocab(
    model_dir: Path | HFFolder,
    *,
    arch: str,
    vocab_size: int,
    chat_templates: ChatTemplates | None = None,
) -> VocabExport:
    """Read the tokenizer of ``model_dir`` and build its GGUF ``tokenizer.*`` keys.

    ``arch`` is the GGUF architecture (``llama``, ``qwen2``, ``gemma2`` …); ``vocab_size``
    the number of embedding rows, to which the token list is padded with ``[PADn]``.
    ``chat_templates`` replaces the folder's own (a fine-tune's template, see
    :func:`engine.hf.chat_template_folder`).
    """
    files = load_tokenizer_files(model_dir if isinstance(model_dir, HFFolder) else Path(model_dir))
    if chat_templates is not None:
        files = replace(files, chat_templates=chat_templates)
    if vocab_size <= 0:
        raise InputError(
            f"vocab_size must be positive, got {vocab_size}",
            path=files.model_dir,
            field="vocab_size",
            hint="Check vocab_size in config.json.",
        )
    result = _export(files, arch=arch, vocab_size=vocab_size)
    if files.tokenizer_json is not None:
        added = list(files.tokenizer_json.get("added_tokens") or [])
    else:
        decoder = files.tokenizer_config.get("added_tokens_decoder") or {}
        added = [v for v in decoder.values() if isinstance(v, dict)]
    module = architecture_named(arch)
    rstrip_tag = module.rstrip_name_tags[0] if module and module.rstrip_name_tags else None
    flag_warnings, name_tag = describe_added_token_flags(added, rstrip_tag=rstrip_tag)
    return replace(
        result, warnings=tuple(flag_warnings) + result.warnings, required_name_tag=name_tag
    )


def _export(files: TokenizerFiles, *, arch: str, vocab_size: int) -> VocabExport:
    tj = files.tokenizer_json
    warnings: list[str] = []
    if tj is not None:
        model_type = tj["model"].get("type")
        if model_type == "BPE" and is_byte_level(tj):
            return _export_bpe(files, vocab_size, warnings)
        if model_type == "BPE" and is_spm_style(tj):
            table = build_spm_from_json(
                tj, sp=files.sp_model, vocab_size=vocab_size, path=files.tokenizer_json_path
            )
            source = "tokenizer.json + tokenizer.model" if files.sp_model else "tokenizer.json"
            return _export_spm(files, table, arch, warnings, source)
        if files.sp_model is None:
            raise UnsupportedError(
                f"tokenizer.json uses a {model_type} model, which Tuneforge cannot convert yet",
                path=files.tokenizer_json_path,
                field="model.type",
                hint="Supported: byte-level BPE (Llama 3, Qwen) and SentencePiece-style BPE "
                "(Llama 2, Mistral, Gemma, Phi-3).",
            )
    assert files.sp_model is not None
    table = build_spm_from_model(
        files.sp_model,
        extra_added=config_added_tokens(files.tokenizer_config, files.added_tokens_json),
        vocab_size=vocab_size,
        path=files.sp_model_path,
    )
    return _export_spm(files, table, arch, warnings, "tokenizer.model")


def _export_bpe(files: TokenizerFiles, vocab_size: int, warnings: list[str]) -> VocabExport:
    tj = files.tokenizer_json
    assert tj is not None
    path = files.tokenizer_json_path
    table = build_bpe_table(tj, vocab_size=vocab_size, path=path)
    _check_unique(table.tokens, path)
    special = resolve_special_tokens(files, table.token_to_id, default_add_bos=False)
    pre = choose_pre_tokenizer(tj, adds_bos=special.add_bos, path=path)
    return _result(
        files,
        kind="bpe",
        pre=pre.name,
        tokens=table.tokens,
        types=table.types,
        scores=None,
        merges=table.merges,
        special=special,
        add_space_prefix=None,
        prefix_scheme=None,
        source="tokenizer.json",
        warnings=warnings,
    )


def _export_spm(
    files: TokenizerFiles, table: SpmTable, arch: str, warnings: list[str], source: str
) -> VocabExport:
    path = files.tokenizer_json_path if files.tokenizer_json else files.sp_model_path
    _check_unique(table.tokens, path)
    special = resolve_special_tokens(files, table.token_to_id, default_add_bos=True)
    scheme = table.prefix_scheme
    module = architecture_named(arch)  # the family's hook: Gemma never adds a space prefix
    never = module is not None and module.spm_space_prefix is False
    if never or files.tokenizer_config.get("add_prefix_space") is False:
        scheme = "never"
    return _result(
        files,
        kind="spm",
        pre="default",
        tokens=table.tokens,
        types=table.types,
        scores=table.scores,
        merges=None,
        special=special,
        add_space_prefix=space_prefix_for(scheme),
        prefix_scheme=scheme,
        source=source,
        warnings=warnings + list(table.warnings),
    )


def _result(
    files: TokenizerFiles,
    *,
    kind: str,
    pre: str,
    tokens: list[str],
    types: list[int],
    scores: list[float] | None,
    merges: list[str] | None,
    special: SpecialTokens,
    add_space_prefix: bool | None,
    prefix_scheme: str | None,
    source: str,
    warnings: list[str],
) -> VocabExport:
    templates = load_chat_templates(files)
    order = {role: n for n, (role, _key) in enumerate(_ID_KEYS)}
    return VocabExport(
        kind=kind,
        pre=pre,
        tokens=tuple(tokens),
        token_types=tuple(types),
        scores=tuple(scores) if scores is not None else None,
        merges=tuple(merges) if merges is not None else None,
        special_ids=tuple(sorted(special.ids.items(), key=lambda kv: order[kv[0]])),
        add_bos=special.add_bos,
        add_eos=special.add_eos,
        add_space_prefix=add_space_prefix,
        prefix_scheme=prefix_scheme,
        chat_template=templates.default,
        named_chat_templates=tuple(
            (_safe_name(name), text) for name, text in sorted(templates.named.items())
        ),
        chat_template_source=templates.source,
        source=source,
        warnings=tuple(warnings) + special.warnings,
    )
