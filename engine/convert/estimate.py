"""The quant picker for a Hugging Face model folder, with exact sizes from the converter's
own tensor plan. It lives with the converter (which asks ``engine.quant`` to encode), so
``engine.quant`` never imports ``engine.convert``."""

from __future__ import annotations

from pathlib import Path

from gguf import GGMLQuantizationType

from engine.convert.arch import architecture_for
from engine.convert.config import load_config
from engine.convert.encode import unquantized_type
from engine.convert.plan import plan_tensors
from engine.hf.weights import SafetensorsSource
from engine.quant import PlannedTensor, QuantChoice, quant_choices
from engine.quant.estimate import metadata_bytes_guess


def quant_choices_for_model(
    model_dir: Path, *, memory_bytes: int | None = None
) -> list[QuantChoice]:
    """The quant picker for a Hugging Face model folder (reads only headers and config).

    Uses the converter's own tensor plan, so the sizes are those ``tuneforge convert
    --type …`` will write (up to the tokenizer block, which is estimated).
    """
    cfg = load_config(Path(model_dir))
    arch = architecture_for(cfg.architecture)
    cfg = arch.with_defaults(cfg)
    source = SafetensorsSource(Path(model_dir))
    try:
        plan = plan_tensors(arch, cfg, source)
    finally:
        source.close()
    n_head, n_head_kv = arch.head_counts(cfg)
    tensors = [
        PlannedTensor(
            name=t.name,
            shape=t.shape,
            unquantized_type=unquantized_type(t.name, t.n_dims, GGMLQuantizationType.BF16),
        )
        for t in plan.tensors
    ]
    return quant_choices(
        tensors,
        arch=arch.name,
        n_layer=arch.block_count(cfg),
        n_head=n_head,
        n_head_kv=n_head_kv,
        metadata_bytes=metadata_bytes_guess(Path(model_dir)),
        memory_bytes=memory_bytes,
    )
