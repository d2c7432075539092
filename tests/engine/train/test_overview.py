"""engine.train.overview: parameter count from config.json, the memory estimate, local GPUs."""

from __future__ import annotations

import json
import math
import struct

from engine.train.overview import count_params, estimate_for_base, local_gpus


def _safetensors_params(folder) -> int:
    total = 0
    for file in folder.glob("*.safetensors"):
        with open(file, "rb") as handle:
            (size,) = struct.unpack("<Q", handle.read(8))
            header = json.loads(handle.read(size))
        for name, info in header.items():
            if name != "__metadata__" and not name.endswith(("bias", "norm.weight")):
                total += math.prod(info["shape"])
    return total


def test_count_params_matches_the_weights_of_a_real_model(tiny_models):
    base = tiny_models("qwen2")
    assert count_params(base) == _safetensors_params(base)


QWEN25_1_5B = {"hidden_size": 1536, "num_hidden_layers": 28, "intermediate_size": 8960,
               "vocab_size": 151936, "num_attention_heads": 12, "num_key_value_heads": 2,
               "tie_word_embeddings": True}  # fmt: skip


def test_memory_estimate_for_a_1_5b_model(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(QWEN25_1_5B))
    assert 1.50e9 < count_params(tmp_path) < 1.56e9  # Qwen2.5-1.5B: 1.54B
    default = estimate_for_base(tmp_path, cutoff=2048, batch_size=2, qlora=False)
    assert 4 < default.total_gb < 24  # the engine's defaults are sized for a 24 GB GPU
    # docs/benchmarks.md measured this shape (untied output, cutoff 2048, micro-batch 2) on
    # an H200: 9,407 MiB peak (torch.cuda.max_memory_allocated)
    (tmp_path / "config.json").write_text(json.dumps({**QWEN25_1_5B, "tie_word_embeddings": False}))
    measured = 9407 * 2**20 / 1e9
    untied = estimate_for_base(tmp_path, cutoff=2048, batch_size=2, qlora=False)
    assert 0.85 * measured < untied.total_gb < 1.25 * measured
    (tmp_path / "config.json").write_text(json.dumps(QWEN25_1_5B))
    longer = estimate_for_base(tmp_path, cutoff=8192, batch_size=2, qlora=False)
    wider = estimate_for_base(tmp_path, cutoff=2048, batch_size=8, qlora=False)
    quant = estimate_for_base(tmp_path, cutoff=2048, batch_size=2, qlora=True)
    assert default.total_gb < longer.total_gb and default.total_gb < wider.total_gb
    assert quant.weights_gb < default.weights_gb / 3 and quant.total_gb < default.total_gb


def test_local_gpus_is_empty_without_nvidia_smi(monkeypatch):
    monkeypatch.setattr("engine.train.overview.shutil.which", lambda _name: None)
    assert local_gpus() == []
