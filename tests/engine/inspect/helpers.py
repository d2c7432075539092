"""Small hand-made inputs for the inspect tests (real files, written byte by byte)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np


def write_safetensors(
    path: Path, tensors: dict[str, np.ndarray], *, dtype_names: dict[str, str] | None = None
) -> None:
    """Write a valid safetensors file (uint16 arrays are stored as BF16 unless told otherwise)."""
    names = {np.dtype("float32"): "F32", np.dtype("float16"): "F16", np.dtype("uint16"): "BF16"}
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    blobs = []
    for name, arr in tensors.items():
        raw = np.ascontiguousarray(arr).tobytes()
        dtype = (dtype_names or {}).get(name) or names[arr.dtype]
        header[name] = {
            "dtype": dtype,
            "shape": list(arr.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        offset += len(raw)
        blobs.append(raw)
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    path.write_bytes(struct.pack("<Q", len(head)) + head + b"".join(blobs))


def write_tiny_model(
    folder: Path, *, architecture: str = "Qwen2ForCausalLM", chat_template: str | None = None
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    tensors = {
        "model.embed_tokens.weight": rng.integers(0, 2**15, (32, 8), dtype=np.uint16),
        "model.layers.0.self_attn.q_proj.weight": rng.integers(0, 2**15, (8, 8), dtype=np.uint16),
        "model.norm.weight": rng.integers(0, 2**15, (8,), dtype=np.uint16),
    }
    write_safetensors(folder / "model.safetensors", tensors)
    config = {
        "architectures": [architecture],
        "model_type": "qwen2",
        "hidden_size": 8,
        "num_hidden_layers": 1,
        "vocab_size": 32,
        "max_position_embeddings": 4096,
        "tie_word_embeddings": True,
    }
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (folder / "generation_config.json").write_text(
        json.dumps({"temperature": 0.6, "top_p": 0.95, "eos_token_id": 3}), encoding="utf-8"
    )
    tok = {"model": {"type": "BPE", "byte_fallback": False, "vocab": {}, "merges": []}}
    (folder / "tokenizer.json").write_text(json.dumps(tok), encoding="utf-8")
    if chat_template is not None:
        (folder / "tokenizer_config.json").write_text(
            json.dumps({"chat_template": chat_template}), encoding="utf-8"
        )
    return folder


def write_tiny_gguf(
    path: Path, *, chat_template: str | None = "{{ '<|im_start|>' }}<|im_end|>"
) -> Path:
    import gguf

    writer = gguf.GGUFWriter(str(path), "qwen2")
    writer.add_name("tiny 模型")
    writer.add_context_length(2048)
    writer.add_file_type(15)
    if chat_template:
        writer.add_chat_template(chat_template)
    writer.add_tokenizer_model("gpt2")
    writer.add_tensor("token_embd.weight", np.ones((4, 8), dtype=np.float32))
    writer.add_tensor("output_norm.weight", np.ones((8,), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
