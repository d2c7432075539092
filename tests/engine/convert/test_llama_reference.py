"""Our GGUF equals llama.cpp's own ``convert_hf_to_gguf.py --outtype f16`` output for the
same folder: every architecture key, every tensor (name, type, shape, bytes).

Documented differences, not compared:
* ``general.name``: llama.cpp guesses it from the folder name (title-cased); we write
  the folder name or ``--name`` (the tests pass the family name).
* ``tokenizer.*`` other than the token list: the tokenizer export has its own tests
  (tests/engine/vocab) and deliberately differs in places (real SentencePiece scores
  for tokenizer.json-only models, eot/eom ids llama.cpp only guesses at load time).
* Tensor order: we write llama.cpp's loader order (what llama_model_quantize writes);
  its converter writes the safetensors order. Neither is read by position.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.engine.convert.helpers import read_gguf
from tests.fixtures.models import FAMILIES

pytestmark = pytest.mark.slow

NOT_COMPARED = {"general.name"}


@pytest.mark.parametrize("family", FAMILIES)
def test_same_metadata_and_tensors_as_llama_cpp(family, converted, llama_reference):
    ours = read_gguf(converted(family).output)
    theirs = read_gguf(llama_reference(family))

    def arch_keys(keys: dict) -> dict:
        return {
            k: v
            for k, v in keys.items()
            if not k.startswith("tokenizer.") and k not in NOT_COMPARED
        }

    assert arch_keys(ours.keys) == arch_keys(theirs.keys)
    assert ours.keys["tokenizer.ggml.tokens"] == theirs.keys["tokenizer.ggml.tokens"]
    assert ours.keys["tokenizer.ggml.model"] == theirs.keys["tokenizer.ggml.model"]

    assert sorted(ours.tensors) == sorted(theirs.tensors)
    for name, (ggml_type, shape, data) in ours.tensors.items():
        their_type, their_shape, their_data = theirs.tensors[name]
        assert (ggml_type, shape) == (their_type, their_shape), name
        assert np.array_equal(data.view(np.uint8), their_data.view(np.uint8)), (
            f"{name} bytes differ"
        )
