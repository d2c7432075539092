"""Quantization: file types, llama.cpp's per-tensor type rules, ggml encoding, size estimates.

For the single-pass converter (``engine.convert``)::

    file_type = parse_file_type("q4_k_m")
    types = plan_tensor_types(planned, file_type=file_type, arch="qwen2", n_layer=28,
                              n_head=12, n_head_kv=2)
    data = encode(rows_f32, types[name], threads=n)   # bytes as llama.cpp writes them
    # write general.file_type = file_type.ftype

``tuneforge quantize`` (an existing unquantized GGUF) runs llama.cpp itself:
:func:`engine.quant.requantize.quantize_gguf`.
"""

from engine.quant.estimate import (
    QuantChoice,
    Recommendation,
    check_free_disk,
    estimate_output_bytes,
    format_size,
    quant_choices,
    recommend,
)
from engine.quant.ggml import (
    block_size,
    check_encodable,
    check_finite_rows,
    encode,
    row_bytes,
    tensor_bytes,
)
from engine.quant.plan import PlannedTensor, allows_quantization, plan_tensor_types
from engine.quant.types import (
    FILE_TYPES,
    RECOMMENDED_FILE_TYPE,
    FileType,
    file_type_by_ftype,
    parse_file_type,
)

__all__ = [
    "FILE_TYPES",
    "RECOMMENDED_FILE_TYPE",
    "FileType",
    "PlannedTensor",
    "QuantChoice",
    "Recommendation",
    "allows_quantization",
    "block_size",
    "check_encodable",
    "check_finite_rows",
    "check_free_disk",
    "encode",
    "estimate_output_bytes",
    "file_type_by_ftype",
    "format_size",
    "parse_file_type",
    "plan_tensor_types",
    "quant_choices",
    "recommend",
    "row_bytes",
    "tensor_bytes",
]
