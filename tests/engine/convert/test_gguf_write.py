"""The streaming GGUF writer: what it writes reads back with the gguf package, the
SHA-256 it reports is the file's, and misuse is refused."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from gguf import GGMLQuantizationType as T
from gguf import GGUFReader, GGUFValueType

from engine.formats.gguf_write import GGUFStreamWriter, GGUFWriteError, tensor_nbytes
from tests.engine.convert.helpers import read_gguf


def _write(path, writer: GGUFStreamWriter, chunks: list) -> tuple[int, str]:
    with open(path, "wb") as fh:
        writer.write_header(fh)
        for chunk in chunks:
            writer.write_tensor_data(chunk)
        written = writer.finish()
    return written.size_bytes, written.sha256


def test_round_trip_keys_tensors_and_hash(tmp_path):
    path = tmp_path / "模型 test.gguf"
    w = GGUFStreamWriter()
    w.add_key("general.architecture", "llama")
    w.add_key("general.name", "投喂的 模型")
    w.add_key("llama.block_count", 3, GGUFValueType.UINT32)
    w.add_key("llama.rope.freq_base", 500000.0)
    w.add_key("x.bool", True)
    w.add_key("x.i64", -5, GGUFValueType.INT64)
    w.add_key("x.big", 2**40)
    w.add_key("tokenizer.ggml.tokens", ["<s>", "你好", "▁world"], GGUFValueType.ARRAY)
    w.add_key("tokenizer.ggml.scores", [0.0, -1.5, -2.25], GGUFValueType.ARRAY)
    w.add_key("tokenizer.ggml.token_type", [3, 1, 1], GGUFValueType.ARRAY)
    w.add_key("x.np", np.arange(4, dtype=np.uint16))
    w.add_key("x.typed", [1, 2], GGUFValueType.UINT64)
    w.add_key("x.replaced", "old")
    w.add_key("x.replaced", "new")

    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    b = np.arange(7, dtype=np.float32)  # 28 bytes: padding follows
    c = (np.arange(64, dtype=np.float32) / 7).astype(np.float16).reshape(2, 32)
    w.add_tensor_info("a.weight", a.shape, T.F32)
    w.add_tensor_info("b.bias", b.shape, T.F32)
    w.add_tensor_info("c.weight", c.shape, T.F16)
    expected_size = w.file_size()
    # chunks of any size, crossing tensor boundaries
    blob = a.tobytes() + b.tobytes() + c.tobytes()
    size, sha = _write(path, w, [blob[:5], blob[5:60], np.frombuffer(blob[60:], np.uint8)])

    data = path.read_bytes()
    assert size == len(data) == expected_size
    assert sha == hashlib.sha256(data).hexdigest()

    got = read_gguf(path)
    assert got.keys["general.name"] == ("STRING", "投喂的 模型")
    assert got.keys["llama.block_count"] == ("UINT32", 3)
    assert got.keys["llama.rope.freq_base"] == ("FLOAT32", 500000.0)
    assert got.keys["x.bool"] == ("BOOL", True)
    assert got.keys["x.i64"] == ("INT64", -5)
    assert got.keys["x.big"] == ("INT64", 2**40)
    assert got.keys["tokenizer.ggml.tokens"] == ("ARRAY[STRING]", ["<s>", "你好", "▁world"])
    assert got.keys["tokenizer.ggml.scores"] == ("ARRAY[FLOAT32]", [0.0, -1.5, -2.25])
    assert got.keys["tokenizer.ggml.token_type"] == ("ARRAY[INT32]", [3, 1, 1])
    assert got.keys["x.np"] == ("ARRAY[UINT16]", [0, 1, 2, 3])
    assert got.keys["x.typed"] == ("ARRAY[UINT64]", [1, 2])
    assert got.keys["x.replaced"] == ("STRING", "new")
    assert got.order == ["a.weight", "b.bias", "c.weight"]
    np.testing.assert_array_equal(got.tensors["a.weight"][2], a)
    np.testing.assert_array_equal(got.tensors["b.bias"][2], b)
    np.testing.assert_array_equal(got.tensors["c.weight"][2], c)
    assert got.tensors["a.weight"][1] == (4, 3)  # ggml order
    reader = GGUFReader(path)
    assert all(t.data_offset % 32 == 0 for t in reader.tensors)


def test_quantized_tensor_sizes():
    assert tensor_nbytes(T.Q8_0, (4, 64)) == 4 * 2 * 34
    assert tensor_nbytes(T.BF16, (3, 5)) == 30
    with pytest.raises(GGUFWriteError, match="block"):
        tensor_nbytes(T.Q8_0, (4, 33))


def test_misuse_is_refused(tmp_path):
    w = GGUFStreamWriter()
    w.add_tensor_info("t", (2, 2), T.F32)
    with pytest.raises(GGUFWriteError, match="twice"):
        w.add_tensor_info("t", (2, 2), T.F32)
    with pytest.raises(GGUFWriteError, match="write_header"):
        w.write_tensor_data(b"\0" * 16)
    with open(tmp_path / "x.gguf", "wb") as fh:
        w.write_header(fh)
        with pytest.raises(GGUFWriteError, match="already written"):
            w.add_key("late", 1)
        w.write_tensor_data(b"\0" * 8)
        with pytest.raises(GGUFWriteError, match="got 8 of 16"):
            w.finish()
        with pytest.raises(GGUFWriteError, match="more tensor data"):
            w.write_tensor_data(b"\0" * 9)


def test_custom_alignment_is_recorded(tmp_path):
    path = tmp_path / "a.gguf"
    w = GGUFStreamWriter(alignment=64)
    w.add_tensor_info("x", (3,), T.F32)
    w.add_tensor_info("y", (3,), T.F32)
    _write(path, w, [np.ones(6, np.float32)])
    reader = GGUFReader(path)
    assert reader.alignment == 64
    assert [t.data_offset % 64 for t in reader.tensors] == [0, 0]
