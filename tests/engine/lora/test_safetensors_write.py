"""Our streaming safetensors writer, read back by the reference library and by our reader."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from safetensors import safe_open

from engine.formats.safetensors import ModelWeights, SafetensorsFile
from engine.formats.safetensors_write import SafetensorsWriter, TensorEntry, build_header


def test_round_trip_with_the_reference_library(tmp_path):
    rng = np.random.default_rng(0)
    tensors = {
        "a.weight": rng.standard_normal((3, 5)).astype(np.float32),
        "b.bias": rng.standard_normal(7).astype(np.float16),
        "c.bf16": rng.integers(0, 2**16, size=(4, 2, 3), dtype=np.uint16),  # raw bf16 bits
        "d.ids": np.arange(6, dtype=np.int64).reshape(2, 3),
        "e.empty": np.zeros((0, 4), np.float32),
    }
    dtypes = {
        "a.weight": "F32",
        "b.bias": "F16",
        "c.bf16": "BF16",
        "d.ids": "I64",
        "e.empty": "F32",
    }
    path = tmp_path / "模型 file.safetensors"
    entries = [TensorEntry(n, dtypes[n], t.shape) for n, t in tensors.items()]
    with SafetensorsWriter(path, entries, metadata={"format": "pt"}) as writer:
        for name, t in tensors.items():
            if name == "a.weight":  # in row blocks
                writer.write_parts(name, [t[:1], t[1:]])
            else:
                writer.write(name, t)
    (header_len,) = struct.unpack("<Q", path.read_bytes()[:8])
    assert (8 + header_len) % 8 == 0
    with safe_open(str(path), "np") as f:
        assert f.metadata() == {"format": "pt"}
        for name in ("a.weight", "b.bias", "d.ids", "e.empty"):
            assert np.array_equal(f.get_tensor(name), tensors[name])
    with SafetensorsFile(path) as ours:
        assert np.array_equal(ours.read("c.bf16"), tensors["c.bf16"])
        assert ours.tensors["c.bf16"].dtype == "BF16"


def test_torch_reads_bf16(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    values = torch.randn(4, 6).to(torch.bfloat16)
    raw = values.view(torch.int16).numpy().view(np.uint16)
    path = tmp_path / "bf16.safetensors"
    with SafetensorsWriter(path, [TensorEntry("w", "BF16", (4, 6))]) as writer:
        writer.write("w", raw)
    assert torch.equal(load_file(str(path))["w"], values)


def test_mistakes_are_caught(tmp_path):
    entries = [TensorEntry("x", "F32", (2, 2)), TensorEntry("y", "F16", (3,))]
    writer = SafetensorsWriter(tmp_path / "m.safetensors", entries)
    with pytest.raises(ValueError, match="expected tensor 'x' next"):
        writer.write("y", np.zeros(3, np.float16))
    with pytest.raises(ValueError, match="declared F32"):
        writer.write("x", np.zeros((2, 2), np.float64))
    with pytest.raises(ValueError, match="wrote 8 bytes, declared 16"):
        writer.write_parts("x", [np.zeros((1, 2), np.float32)])
    with pytest.raises(ValueError, match="duplicated"):
        build_header([TensorEntry("x", "F32", (1,)), TensorEntry("x", "F32", (1,))])


def test_unfinished_file_is_reported(tmp_path):
    path = tmp_path / "m.safetensors"
    writer = SafetensorsWriter(path, [TensorEntry("x", "F32", (2,)), TensorEntry("y", "F32", (2,))])
    writer.write("x", np.ones(2, np.float32))
    with pytest.raises(ValueError, match="1 tensors not written"):
        writer.close()


def test_sharded_folder_reads_back(tmp_path):
    """Two files + index, as the merge job writes them, open with our ModelWeights."""
    folder = tmp_path / "shards"
    folder.mkdir()
    names = {"model-00001-of-00002.safetensors": ["a"], "model-00002-of-00002.safetensors": ["b"]}
    weight_map = {}
    for file_name, tensor_names in names.items():
        with SafetensorsWriter(
            folder / file_name, [TensorEntry(n, "F32", (2,)) for n in tensor_names]
        ) as w:
            for n in tensor_names:
                w.write(n, np.full(2, ord(n), np.float32))
                weight_map[n] = file_name
    (folder / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {"total_size": 16}, "weight_map": weight_map}), encoding="utf-8"
    )
    with ModelWeights(folder) as weights:
        assert sorted(weights.names()) == ["a", "b"] and weights.read("b")[0] == ord("b")
