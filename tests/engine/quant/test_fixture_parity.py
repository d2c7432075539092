"""The issue's proof, for every fixture family × {Q8_0, Q4_K_M, Q5_K_M, Q6_K}:

* reference = llama.cpp's ``convert_hf_to_gguf.py --outtype bf16`` of the tiny model,
  then llama.cpp's ``llama_model_quantize``;
* ``tuneforge convert --type TYPE`` (single pass, model folder → quantized GGUF) writes
  the same tensor types and the same tensor bytes;
* our planner + encoder alone, applied to the reference bf16 GGUF, do too;
* llama.cpp loads our file and generates text; from the same prompt ids it continues
  exactly as from its own file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.convert import ConvertSpec, convert_job
from engine.jobs import null_context
from engine.quant import FILE_TYPES
from tests.engine.quant.helpers import (
    assert_same_tensors,
    llama_cpp_or_skip,
    llama_quantize,
    ours_from_unquantized,
    read_tensors,
)
from tests.fixtures.isolated import run_isolated
from tests.fixtures.models import FAMILIES

pytestmark = pytest.mark.slow

PROOF_TYPES = ("Q8_0", "Q4_K_M", "Q5_K_M", "Q6_K")
PROMPT = "Hello world, 你好"
N_TOKENS = 8


@pytest.fixture(scope="module")
def out_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("量化 输出")


@pytest.fixture(scope="module")
def reference(llama_reference_gguf, out_root):
    """(family, type) → llama_model_quantize(convert_hf_to_gguf bf16), built once."""
    llama_cpp_or_skip()
    cache: dict[tuple[str, str], Path] = {}

    def get(family: str, type_name: str) -> Path:
        if (family, type_name) not in cache:
            out = out_root / f"{family} llama.cpp-{type_name}.gguf"
            llama_quantize(llama_reference_gguf(family, "bf16"), out, FILE_TYPES[type_name].ftype)
            cache[family, type_name] = out
        return cache[family, type_name]

    return get


def _generate(path: Path, prompt_ids: list[int] | None = None) -> tuple[list[int], list[int], str]:
    """(prompt ids, greedy continuation ids, continuation text) from llama.cpp."""
    ids, out, text = run_isolated(
        "tests.fixtures.llama_runs:greedy", path, PROMPT, prompt_ids, N_TOKENS
    )
    return ids, out, text


@pytest.mark.parametrize("type_name", PROOF_TYPES)
@pytest.mark.parametrize("family", FAMILIES)
def test_single_pass_convert_equals_llama_cpp_two_step(
    family: str,
    type_name: str,
    tiny_models,
    reference,
    llama_reference_gguf,
    out_root: Path,
) -> None:
    theirs_path = reference(family, type_name)
    theirs = read_tensors(theirs_path)

    ours_path = out_root / f"{family} 我们的-{type_name}.gguf"
    result = convert_job(
        ConvertSpec(
            model_dir=tiny_models(family), output=ours_path, out_type=type_name.lower(), threads=2
        ),
        null_context(),
    )
    assert_same_tensors(read_tensors(result.output), theirs)

    # the quantizer alone, on llama.cpp's own bf16 file
    assert_same_tensors(
        ours_from_unquantized(llama_reference_gguf(family, "bf16"), FILE_TYPES[type_name]), theirs
    )

    from gguf import GGUFReader

    assert (
        GGUFReader(ours_path).get_field("general.file_type").contents()
        == FILE_TYPES[type_name].ftype
    )

    prompt_ids, generated, text = _generate(ours_path)
    assert len(generated) == N_TOKENS and text
    # Same prompt ids (the converter's tokenizer export may deliberately differ from
    # llama.cpp's, e.g. SentencePiece scores), same weights → same greedy continuation.
    assert generated == _generate(theirs_path, prompt_ids)[1]
