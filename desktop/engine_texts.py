"""Translations for fixed English texts the engine hands to the GUI (quant type advice).

The engine speaks English; these are its sentences the GUI shows verbatim. They are
marked here so ``lupdate`` collects them; :func:`engine_text` translates one at display
time and falls back to the engine's English when the engine's wording changes.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

CONTEXT = "EngineText"

MARKED = (
    # engine/quant/filetypes.json: description and recommendation of each type
    QT_TRANSLATE_NOOP(
        "EngineText", "4-bit K-quant, medium: attention-V and some feed-forward layers get 6 bits."
    ),
    QT_TRANSLATE_NOOP(
        "EngineText",
        "Best size/quality balance for most users and for models above about 4B parameters: about 30 % of the original size with little quality loss.",
    ),
    QT_TRANSLATE_NOOP(
        "EngineText", "5-bit K-quant, medium: attention-V and some feed-forward layers get 6 bits."
    ),
    QT_TRANSLATE_NOOP(
        "EngineText",
        "Slightly better answers than Q4_K_M for about 15 % more size; pick it if memory allows.",
    ),
    QT_TRANSLATE_NOOP("EngineText", "6-bit K-quant for every weight matrix."),
    QT_TRANSLATE_NOOP(
        "EngineText",
        "Nearly indistinguishable from the original; recommended for models of about 2–4B parameters.",
    ),
    QT_TRANSLATE_NOOP("EngineText", "8-bit, one scale per 32 weights."),
    QT_TRANSLATE_NOOP(
        "EngineText",
        "Practically lossless at about half the size of F16; recommended for small models up to about 2B parameters.",
    ),
    QT_TRANSLATE_NOOP("EngineText", "5-bit K-quant, small: every weight matrix 5 bits."),
    QT_TRANSLATE_NOOP("EngineText", "A little smaller than Q5_K_M with slightly lower quality."),
    QT_TRANSLATE_NOOP("EngineText", "4-bit K-quant, small: only the first layers get 5 bits."),
    QT_TRANSLATE_NOOP(
        "EngineText", "A little smaller than Q4_K_M when every hundred megabytes count."
    ),
    QT_TRANSLATE_NOOP("EngineText", "3-bit K-quant, medium."),
    QT_TRANSLATE_NOOP(
        "EngineText",
        "Noticeably lower quality; only when the model would not fit in memory otherwise.",
    ),
    QT_TRANSLATE_NOOP(
        "EngineText",
        "2-bit K-quant mix (attention and feed-forward down projections get 3-4 bits).",
    ),
    QT_TRANSLATE_NOOP(
        "EngineText",
        "Smallest file, clearly degraded answers; a last resort for large models on small machines.",
    ),
    QT_TRANSLATE_NOOP("EngineText", "Unquantized 16-bit floating point."),
    QT_TRANSLATE_NOOP(
        "EngineText",
        "Full quality, large and slow on CPUs; useful as a master copy to quantize later.",
    ),
    QT_TRANSLATE_NOOP(
        "EngineText", "Unquantized bfloat16, exactly the weights most models are trained in."
    ),
    QT_TRANSLATE_NOOP(
        "EngineText", "Lossless copy of a bf16 model; the best master copy to quantize later."
    ),
    QT_TRANSLATE_NOOP("EngineText", "Unquantized 32-bit floating point."),
    QT_TRANSLATE_NOOP(
        "EngineText", "Twice the size of BF16 with no benefit for bf16 models; for debugging only."
    ),
    # engine/quant/estimate.py recommend(): why a type is recommended
    QT_TRANSLATE_NOOP("EngineText", "small model: keep almost all quality, the file stays small"),
    QT_TRANSLATE_NOOP("EngineText", "small model: near-original quality at a modest size"),
    QT_TRANSLATE_NOOP("EngineText", "best size/quality balance for most users"),
)


def engine_text(text: str) -> str:
    """The translation of an engine sentence, or the sentence itself."""
    return QCoreApplication.translate(CONTEXT, text) if text else text
