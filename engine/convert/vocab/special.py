"""Special tokens, add-bos/eos flags and the chat template of a tokenizer folder.

Rules follow what transformers 5 does at load time (the model was trained with that):
- when tokenizer.json exists, its ``post_processor`` decides whether BOS/EOS are
  added (transformers drops ``add_bos_token``/``add_eos_token`` from
  tokenizer_config.json then); without tokenizer.json the config flags apply;
- the chat template comes from :class:`engine.hf.HFFolder` (transformers' order, shared
  with the Modelfile and the trainer).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.hf import ChatTemplates, token_text

from .files import TOKENIZER_CONFIG, TokenizerFiles

SPECIAL_ROLES = ("bos", "eos", "unk", "sep", "pad")
# End-of-turn markers of the chat formats we know, most specific first.
EOT_TEXTS = (
    "<|eot_id|>",
    "<|im_end|>",
    "<end_of_turn>",
    "<|end|>",
    "<｜end▁of▁sentence｜>",
)
EOM_TEXTS = ("<|eom_id|>",)
# Added tokens that real models forget to mark special although they are (llama.cpp list).
_LOOKS_SPECIAL_EXACT = frozenset({"<pad>", "<mask>", "<2mass>", "[@BOS@]"})


def looks_special(text: str) -> bool:
    """True for added tokens that are control tokens even when not flagged special."""
    return (
        text in _LOOKS_SPECIAL_EXACT
        or (text.startswith("<|") and text.endswith("|>"))
        or (text.startswith("<｜") and text.endswith("｜>"))
        or (text.startswith("<unused") and text.endswith(">"))
    )


@dataclass(frozen=True, kw_only=True)
class SpecialTokens:
    ids: dict[str, int]  # role ("bos", "eos", "unk", "sep", "pad", "eot", "eom") -> id
    add_bos: bool
    add_eos: bool
    warnings: tuple[str, ...]


def _template_specials(
    post_processor: Mapping[str, Any] | None,
) -> tuple[str | None, str | None, bool]:
    """(first special token, last special token, understood) of the single-sequence template."""
    if not post_processor:
        return None, None, True
    kind = post_processor.get("type")
    if kind == "Sequence":
        first = last = None
        understood = True
        for item in post_processor.get("processors") or []:
            f, la, ok = _template_specials(item)
            first, last, understood = first or f, last or la, understood and ok
        return first, last, understood
    if kind == "ByteLevel":
        return None, None, True
    if kind == "TemplateProcessing":
        single = post_processor.get("single") or []
        first = last = None
        if single and "SpecialToken" in single[0]:
            first = single[0]["SpecialToken"].get("id")
        if len(single) > 1 and "SpecialToken" in single[-1]:
            last = single[-1]["SpecialToken"].get("id")
        return first, last, True
    if kind in ("RobertaProcessing", "BertProcessing"):
        cls, sep = post_processor.get("cls"), post_processor.get("sep")
        return (cls[0] if cls else None), (sep[0] if sep else None), True
    return None, None, False


def resolve_special_tokens(
    files: TokenizerFiles, token_to_id: Mapping[str, int], *, default_add_bos: bool
) -> SpecialTokens:
    """Find the special token ids and whether the tokenizer adds BOS/EOS."""
    cfg = files.tokenizer_config
    warnings: list[str] = []
    ids: dict[str, int] = {}
    texts: dict[str, str] = {}
    for role in SPECIAL_ROLES:
        key = f"{role}_token"
        if key in cfg:  # an explicit null means "none", so the map is not consulted
            content = token_text(cfg.get(key))
        else:
            content = token_text(files.special_tokens_map.get(key))
        if content is not None:
            texts[role] = content
            if content in token_to_id:
                ids[role] = token_to_id[content]
            else:
                warnings.append(f"{TOKENIZER_CONFIG}: {key} {content!r} is not in the vocabulary")
    for role in SPECIAL_ROLES:  # config.json ids fill the gaps (as llama.cpp does)
        value = files.config.get(f"{role}_token_id")
        if role not in ids and role not in texts and isinstance(value, int) and value >= 0:
            ids[role] = value
    sp = files.sp_model
    if sp is not None:
        for role, value in (
            ("unk", sp.unk_id),
            ("bos", sp.bos_id),
            ("eos", sp.eos_id),
            ("pad", sp.pad_id),
        ):
            if role not in ids and role not in texts and 0 <= value < len(sp.pieces):
                ids[role] = value

    if files.tokenizer_json is not None:
        first, last, understood = _template_specials(files.tokenizer_json.get("post_processor"))
        if not understood:
            warnings.append(
                "tokenizer.json post_processor not understood; assuming no BOS/EOS is added"
            )
        add_bos = add_eos = False
        for role, text, where in (("bos", first, "first"), ("eos", last, "last")):
            if text is None:
                continue
            if role not in ids and text in token_to_id:
                ids[role] = token_to_id[text]
            if text in token_to_id and ids.get(role) == token_to_id[text]:
                if role == "bos":
                    add_bos = True
                else:
                    add_eos = True
            else:
                warnings.append(
                    f"tokenizer.json adds {text!r} {where} in every sequence, but it is not the "
                    f"{role} token; llama.cpp cannot add it"
                )
        for role, value in (("bos", add_bos), ("eos", add_eos)):
            explicit = cfg.get(f"add_{role}_token")
            if isinstance(explicit, bool) and explicit != value:
                warnings.append(
                    f"{TOKENIZER_CONFIG} says add_{role}_token={explicit}, but tokenizer.json "
                    f"{'adds' if value else 'does not add'} it; following tokenizer.json "
                    "(as transformers does)"
                )
    else:
        explicit_bos, explicit_eos = cfg.get("add_bos_token"), cfg.get("add_eos_token")
        add_bos = explicit_bos if isinstance(explicit_bos, bool) else default_add_bos
        add_eos = explicit_eos if isinstance(explicit_eos, bool) else False
    if add_bos and "bos" not in ids:
        add_bos = False
    if add_eos and "eos" not in ids:
        add_eos = False

    for role, candidates in (("eot", EOT_TEXTS), ("eom", EOM_TEXTS)):
        for text in candidates:
            if text in token_to_id:
                ids[role] = token_to_id[text]
                break
    return SpecialTokens(ids=ids, add_bos=add_bos, add_eos=add_eos, warnings=tuple(warnings))


def load_chat_templates(files: TokenizerFiles) -> ChatTemplates:
    """The model's own chat template(s), in transformers' order (see :mod:`engine.hf.templates`)."""
    return files.chat_templates


def describe_added_token_flags(
    added: list[Mapping[str, Any]], *, rstrip_tag: str | None
) -> tuple[list[str], str | None]:
    """Warnings for added-token flags llama.cpp ignores, and the name tag that turns on
    its one built-in exception: special tokens strip the whitespace after them (rstrip)
    when ``general.name`` contains the family's tag (``rstrip_tag``, from the architecture
    module's ``rstrip_name_tags``: Phi-3) — exactly that family's tokenizer.json flags."""
    flagged = [
        str(a.get("content"))
        for a in added
        if a.get("lstrip") or a.get("rstrip") or a.get("single_word")
    ]
    if not flagged:
        return [], None
    if rstrip_tag and not any(a.get("lstrip") or a.get("single_word") for a in added):
        return [], rstrip_tag
    shown = ", ".join(json.dumps(t, ensure_ascii=False) for t in flagged[:6])
    more = f" and {len(flagged) - 6} more" if len(flagged) > 6 else ""
    return [
        f"added tokens {shown}{more} remove the spaces next to them in transformers "
        "(lstrip/rstrip/single_word); llama.cpp keeps those spaces, so prompts with them "
        "may tokenize differently"
    ], None
