"""Run llama.cpp's own ``convert_hf_to_gguf.py`` (from the sdist) on several models in one
process (importing torch/transformers once).

Usage: python llama_reference.py LLAMA_CPP_DIR OUTTYPE [MODEL_DIR OUT_GGUF PRE]...

llama.cpp recognises a BPE pre-tokenizer by hashing the tokenization of a fixed text, and
our tiny test tokenizers have no known hash, so ``get_vocab_base_pre`` is replaced by the
name given on the command line (PRE, what our GGUF says). Nothing else is changed.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> None:
    llama_dir = Path(sys.argv[1])
    outtype = sys.argv[2]
    jobs = sys.argv[3:]
    sys.path.insert(0, str(llama_dir))
    sys.path.insert(1, str(llama_dir / "gguf-py"))
    import conversion.base as base  # llama.cpp's, from the sdist
    import convert_hf_to_gguf as converter

    for i in range(0, len(jobs), 3):
        model_dir, out, pre = jobs[i : i + 3]
        base.TextModel.get_vocab_base_pre = lambda self, tokenizer, _pre=pre: _pre  # type: ignore[method-assign]
        sys.argv = ["convert_hf_to_gguf.py", model_dir, "--outfile", out, "--outtype", outtype]
        converter.main()


if __name__ == "__main__":
    main()
