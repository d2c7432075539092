"""Every converted family loads in llama.cpp (llama-cpp-python) and predicts what
transformers predicts for the same token ids.

Tolerances are relative to the largest reference logit. llama.cpp computes differently
from torch (fused kernels, and GELU through an f16 lookup table, which Gemma's MLP
uses), so Gemma gets a wider band; the bytes of every tensor are proven equal to
llama.cpp's own converter in test_llama_reference.py, so these bands measure runtime
arithmetic, not the conversion.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures.isolated import run_isolated
from tests.fixtures.models import FAMILIES

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("llama_cpp")

pytestmark = pytest.mark.slow

PROMPTS = (
    "Hello world, this is a test of the converter.",
    "The quick brown fox jumps over the lazy dog",
    "你好，世界！ 1 2 3 4 5",
)
# out type → (relative max |diff| for most families, for Gemma 2/3)
TOLERANCE = {
    "f32": (1e-3, 1e-2),
    "f16": (2e-3, 1.5e-2),
    "bf16": (1e-2, 5e-2),
    "q8_0": (5e-2, 2.5e-1),
}


@lru_cache(maxsize=2)
def _hf_model(model_dir: Path):  # type: ignore[no-untyped-def]
    model = transformers.AutoModelForCausalLM.from_pretrained(
        model_dir, dtype=torch.float32, attn_implementation="eager"
    )
    return model.eval()


def _token_ids(model_dir: Path) -> list[list[int]]:
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    return [tokenizer(p)["input_ids"] for p in PROMPTS]


def _reference_logits(model_dir: Path, ids: list[int]) -> np.ndarray:
    with torch.no_grad():
        return _hf_model(model_dir)(torch.tensor([ids])).logits[0].numpy()


def _llama_logits(gguf_path: Path, prompts: list[list[int]]) -> list[np.ndarray]:
    rows = run_isolated("tests.fixtures.llama_runs:logits", gguf_path, prompts, 128)
    return [np.array(r, dtype=np.float32) for r in rows]


def _check(family: str, out_type: str, gguf_path: Path, model_dir: Path) -> None:
    tol = TOLERANCE[out_type][1 if family.startswith("gemma") else 0]
    prompts = _token_ids(model_dir)
    agree, positions = 0, 0
    for ids, got in zip(prompts, _llama_logits(gguf_path, prompts), strict=True):
        ref = _reference_logits(model_dir, ids)
        assert got.shape == ref.shape
        scale = float(np.abs(ref).max())
        diff = float(np.abs(got - ref).max())
        assert diff <= tol * scale, (
            f"{family} {out_type}: max |diff| {diff:.3g} > {tol} × {scale:.3g}"
        )
        # The same next token, except where the reference itself has a near-tie
        # (random tiny models have many; any rounding may flip those).
        same = got.argmax(-1) == ref.argmax(-1)
        top2 = np.sort(ref, axis=-1)[:, -2:]
        near_tie = (top2[:, 1] - top2[:, 0]) <= 2 * tol * scale
        assert np.all(same | near_tie), f"{family} {out_type}: top-1 differs at a clear choice"
        agree += int(same.sum())
        positions += len(ids)
    assert agree >= 0.8 * positions, f"{family} {out_type}: top-1 agrees at {agree}/{positions}"


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("out_type", ["f32", "f16"])
def test_llama_cpp_matches_transformers(family, out_type, converted, tiny_models):
    result = converted(family, out_type)
    _check(family, out_type, result.output, tiny_models(family))


@pytest.mark.parametrize("family", ["llama3", "qwen3", "gemma3", "phi3"])
def test_bf16_output(family, converted, tiny_models):
    result = converted(family, "bf16")
    _check(family, "bf16", result.output, tiny_models(family))


@pytest.mark.parametrize("family", ["llama3", "gemma2"])
def test_quantized_q8_0_still_predicts(family, converted, tiny_models):
    result = converted(family, "q8_0")
    _check(family, "q8_0", result.output, tiny_models(family))


@pytest.mark.parametrize(
    ("family", "dtype"), [("qwen2", "float16"), ("llama3", "float32"), ("gemma3", "float16")]
)
def test_f16_and_f32_checkpoints(family, dtype, converted, tiny_models):
    """Stored F16 is copied as is, stored F32 goes through the float32→f16 rounding."""
    result = converted(family, "f16", dtype=dtype)
    _check(family, "f16", result.output, tiny_models(family, dtype=dtype))
