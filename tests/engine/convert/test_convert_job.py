"""convert_job as a job: hash, progress, determinism, input variants, cancel, atomic
output, and clear errors (with no file left behind) for bad input."""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import threading
from pathlib import Path

import pytest

from engine.convert import ConvertSpec, convert_job
from engine.errors import InputError, JobCancelled, ResourceError, UnsupportedError
from engine.jobs import JobContext, null_context, partial_path, run_job
from engine.jobs.events import Progress
from tests.engine.convert.helpers import read_gguf, rewrite_safetensors_header


def _convert(model_dir: Path, output: Path, **kw) -> object:
    return convert_job(ConvertSpec(model_dir=model_dir, output=output, **kw), null_context())


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _no_output(output: Path) -> None:
    assert not output.exists()
    assert not partial_path(output).exists()


def test_hash_size_and_progress(tiny_models, tmp_path):
    output = tmp_path / "输出 dir" / "qwen2 模型.gguf"
    events: list[Progress] = []
    ctx = JobContext(
        lambda e: events.append(e) if isinstance(e, Progress) else None, min_interval=0
    )
    result = convert_job(ConvertSpec(model_dir=tiny_models("qwen2"), output=output), ctx)
    data = output.read_bytes()
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.size_bytes == len(data)
    assert (result.out_type, result.architecture) == ("f16", "qwen2")
    assert result.n_tensors == len(read_gguf(output).tensors)
    assert not partial_path(output).exists()
    done = [e.done for e in events]
    assert done == sorted(done) and len(done) > 2
    assert events[-1].done == events[-1].total > 0
    assert {e.unit for e in events} == {"B"}


def test_threads_and_shards_do_not_change_a_byte(tiny_models, tmp_path):
    single = tiny_models("qwen2")
    sharded = tiny_models("qwen2", shards=3)
    assert len(list(sharded.glob("*.safetensors"))) == 3
    a = _convert(single, tmp_path / "a.gguf", model_name="qwen2", threads=1)
    b = _convert(sharded, tmp_path / "b.gguf", model_name="qwen2", threads=3)
    assert a.sha256 == b.sha256


@pytest.mark.parametrize(
    ("family", "out_type"), [("llama3", "f16"), ("gemma3", "bf16"), ("phi3", "q8_0")]
)
def test_row_blocks_do_not_change_a_byte(
    family, out_type, converted, tiny_models, tmp_path, monkeypatch
):
    """Big tensors stream in row blocks (whole heads for Llama's q/k un-permute); tiny
    blocks on 3 threads must give exactly the file of one block per tensor."""
    import engine.convert.stream as stream

    whole = converted(family, out_type)
    encoded: list[object] = []
    real_encode = stream._encode

    def counting_encode(block, source, cache):  # type: ignore[no-untyped-def]
        encoded.append(block)
        return real_encode(block, source, cache)

    monkeypatch.setattr(stream, "BLOCK_ELEMENTS", 700)
    monkeypatch.setattr(stream, "_encode", counting_encode)
    small = _convert(
        tiny_models(family),
        tmp_path / "blocks.gguf",
        out_type=out_type,
        model_name=family,
        threads=3,
    )
    assert len(encoded) > 4 * whole.n_tensors  # really cut into many blocks
    assert small.sha256 == whole.sha256


@pytest.mark.parametrize("family", ["llama3", "gemma3", "phi3"])
def test_transformers_style_config_gives_the_same_gguf(family, converted):
    """config.json as the Hub has it (rope_theta/rope_scaling) and as transformers 5 saves
    it (rope_parameters, per-attention-type for Gemma 3) convert to the same file."""
    hub = converted(family)
    saved = converted(family, config_style="transformers")
    assert hub.sha256 == saved.sha256


def test_llama3_metadata_and_rope_freqs(converted):
    got = read_gguf(converted("llama3").output)
    assert got.keys["general.architecture"] == ("STRING", "llama")
    assert got.keys["general.file_type"] == ("UINT32", 1)
    assert got.keys["llama.rope.freq_base"] == ("FLOAT32", 500000.0)
    assert got.keys["llama.context_length"] == ("UINT32", 131072)
    assert "rope_freqs.weight" in got.tensors
    assert got.tensors["rope_freqs.weight"][0] == "F32"
    assert got.tensors["blk.0.attn_norm.weight"][0] == "F32"
    assert got.tensors["blk.0.attn_q.weight"][0] == "F16"


def test_tied_embeddings_write_no_output_tensor(converted):
    assert "output.weight" not in read_gguf(converted("qwen2").output).tensors  # tied
    assert "output.weight" in read_gguf(converted("deepseek_r1_qwen").output).tensors


def test_gemma3_embedding_trimmed_to_tokenizer_json_vocab(tiny_models, tmp_path):
    model_dir = _copy(tiny_models("gemma3"), tmp_path / "gemma3 无 spm")
    (model_dir / "tokenizer.model").unlink()
    tok = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    rows = len(tok["model"]["vocab"]) + len(tok["added_tokens"])  # llama.cpp's count
    assert rows < json.loads((model_dir / "config.json").read_text(encoding="utf-8"))["vocab_size"]
    output = tmp_path / "g3.gguf"
    _convert(model_dir, output)
    got = read_gguf(output)
    assert got.tensors["token_embd.weight"][1] == (256, rows)
    assert len(got.keys["tokenizer.ggml.tokens"][1]) == rows


def test_cancel_leaves_nothing(tiny_models, tmp_path):
    output = tmp_path / "cancel.gguf"
    cancel = threading.Event()

    def sink(event: object) -> None:
        if isinstance(event, Progress) and event.done > 0:
            cancel.set()

    ctx = JobContext(sink, cancel_event=cancel, min_interval=0)
    with pytest.raises(JobCancelled):
        convert_job(ConvertSpec(model_dir=tiny_models("gemma3"), output=output, threads=2), ctx)
    _no_output(output)
    outcome = run_job(
        convert_job,
        ConvertSpec(model_dir=tiny_models("qwen2"), output=output),
        ctx=JobContext(cancel_event=cancel),
    )
    assert outcome.status == "cancelled"
    _no_output(output)


def test_failure_keeps_an_existing_output(tiny_models, tmp_path):
    model_dir = _copy(tiny_models("qwen2"), tmp_path / "broken")
    (model_dir / "tokenizer.json").unlink()
    output = tmp_path / "keep.gguf"
    output.write_bytes(b"old file")
    with pytest.raises(InputError):
        _convert(model_dir, output)
    assert output.read_bytes() == b"old file"
    assert not partial_path(output).exists()


def test_not_enough_disk_space(tiny_models, tmp_path, monkeypatch):
    import engine.convert.job as job

    monkeypatch.setattr(job.shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10, 10, 1000))
    output = tmp_path / "full.gguf"
    with pytest.raises(ResourceError, match="disk space"):
        _convert(tiny_models("qwen2"), output)
    _no_output(output)


# -- bad input -----------------------------------------------------------------------
_rewrite_header = rewrite_safetensors_header


def _first_weight(header: dict, suffix: str = "mlp.down_proj.weight") -> str:
    return next(k for k in header if k.endswith(suffix))


def _missing_shard(d: Path) -> None:
    sorted(d.glob("model-*.safetensors"))[1].unlink()


def _truncated(d: Path) -> None:
    f = d / "model.safetensors"
    f.write_bytes(f.read_bytes()[:-1000])


def _header_out_of_range(d: Path) -> None:
    f = d / "model.safetensors"
    raw = f.read_bytes()
    f.write_bytes(struct.pack("<Q", len(raw) * 2) + raw[8:])


def _no_tokenizer(d: Path) -> None:
    (d / "tokenizer.json").unlink()


def _int_dtype(d: Path) -> None:
    def edit(h: dict) -> None:
        h[_first_weight(h)]["dtype"] = "I16"

    _rewrite_header(d / "model.safetensors", edit)


def _fp8_dtype(d: Path) -> None:
    def edit(h: dict) -> None:
        h[_first_weight(h)]["dtype"] = "F8_E4M3"

    _rewrite_header(d / "model.safetensors", edit)


def _unknown_architecture(d: Path) -> None:
    cfg = json.loads((d / "config.json").read_text(encoding="utf-8"))
    cfg["architectures"] = ["MambaForCausalLM"]
    (d / "config.json").write_text(json.dumps(cfg), encoding="utf-8")


def _missing_layer_tensor(d: Path) -> None:
    _rewrite_header(d / "model.safetensors", lambda h: h.pop(_first_weight(h, "o_proj.weight")))


def _foreign_tensor(d: Path) -> None:
    def edit(h: dict) -> None:
        h["vision_tower.patch.weight"] = dict(h[_first_weight(h, "input_layernorm.weight")])

    _rewrite_header(d / "model.safetensors", edit)


def _quantized_checkpoint(d: Path) -> None:
    cfg = json.loads((d / "config.json").read_text(encoding="utf-8"))
    cfg["quantization_config"] = {"quant_method": "gptq", "bits": 4}
    (d / "config.json").write_text(json.dumps(cfg), encoding="utf-8")


def _pickle_only(d: Path) -> None:
    (d / "model.safetensors").rename(d / "pytorch_model.bin")


def _lfs_pointer(d: Path) -> None:
    (d / "model.safetensors").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n", encoding="utf-8"
    )


def _index_promises_more(d: Path) -> None:
    index = d / "model.safetensors.index.json"
    data = json.loads(index.read_text(encoding="utf-8"))
    data["weight_map"]["model.layers.9.mlp.up_proj.weight"] = "model-00001-of-00003.safetensors"
    index.write_text(json.dumps(data), encoding="utf-8")


BAD_INPUTS = [
    ("missing shard", 3, _missing_shard, InputError, "missing"),
    ("index promises a tensor", 3, _index_promises_more, InputError, "not in the shards"),
    ("truncated file", 1, _truncated, InputError, "truncated"),
    ("header out of range", 1, _header_out_of_range, InputError, "does not fit"),
    ("missing tokenizer", 1, _no_tokenizer, InputError, "tokenizer"),
    ("integer weights", 1, _int_dtype, UnsupportedError, "I16"),
    ("fp8 weights", 1, _fp8_dtype, UnsupportedError, "F8_E4M3"),
    ("unsupported architecture", 1, _unknown_architecture, UnsupportedError, "MambaForCausalLM"),
    ("missing layer tensor", 1, _missing_layer_tensor, InputError, "missing"),
    ("foreign tensor", 1, _foreign_tensor, InputError, "vision_tower"),
    ("quantized checkpoint", 1, _quantized_checkpoint, UnsupportedError, "gptq"),
    ("pickle weights", 1, _pickle_only, InputError, "pickle"),
    ("git lfs pointer", 1, _lfs_pointer, InputError, "LFS"),
]


@pytest.mark.parametrize(
    ("what", "shards", "breaker", "error", "text"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_is_a_clear_error_and_writes_nothing(
    what, shards, breaker, error, text, tiny_models, tmp_path
):
    model_dir = _copy(tiny_models("qwen2", shards=shards), tmp_path / f"坏的 {what}")
    breaker(model_dir)
    output = tmp_path / "out" / "bad.gguf"
    with pytest.raises(error) as err:
        _convert(model_dir, output)
    assert text.lower() in str(err.value).lower()
    assert err.value.hint, "every error says what to do"
    _no_output(output)


def test_unsupported_architecture_lists_the_supported_ones(tiny_models, tmp_path):
    model_dir = _copy(tiny_models("qwen2"), tmp_path / "m")
    _unknown_architecture(model_dir)
    with pytest.raises(UnsupportedError) as err:
        _convert(model_dir, tmp_path / "x.gguf")
    for name in ("LlamaForCausalLM", "Qwen2ForCausalLM", "Gemma3ForCausalLM", "Phi3ForCausalLM"):
        assert name in str(err.value)


def test_bad_output_paths(tiny_models, tmp_path):
    with pytest.raises(InputError, match=r"\.gguf"):
        _convert(tiny_models("qwen2"), tmp_path / "model.bin")
    with pytest.raises(InputError, match="folder"):
        _convert(tiny_models("qwen2"), tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        _convert(tmp_path / "nope", tmp_path / "x.gguf")
    with pytest.raises(InputError, match="output type"):
        _convert(tiny_models("qwen2"), tmp_path / "x.gguf", out_type="q9_9")


# -- command line --------------------------------------------------------------------
def test_cli_convert_json(tiny_models, tmp_path, capsys):
    from engine.cli.main import main

    output = tmp_path / "命令行 out.gguf"
    code = main(
        ["convert", str(tiny_models("qwen3")), "-o", str(output), "--type", "bf16", "--json"]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sha256"] == hashlib.sha256(output.read_bytes()).hexdigest()
    assert (data["type"], data["architecture"]) == ("bf16", "qwen3")


def test_cli_convert_error_and_default_output(tiny_models, tmp_path, capsys):
    from engine.cli.cmd_convert import default_output
    from engine.cli.main import main

    model_dir = _copy(tiny_models("qwen2"), tmp_path / "Qwen2.5 模型")
    assert default_output(model_dir, "q8_0") == tmp_path / "Qwen2.5 模型-Q8_0.gguf"
    _unknown_architecture(model_dir)
    assert main(["convert", str(model_dir), "-q"]) == 1
    err = capsys.readouterr().err
    assert "MambaForCausalLM" in err and "Qwen2ForCausalLM" in err
    assert not list(tmp_path.glob("*.gguf*"))


def test_runs_in_a_child_process(tiny_models, tmp_path):
    """The GUI runs conversions in a child: spec and result cross as NDJSON."""
    from engine.convert import ConvertResult
    from engine.jobs import run_in_child

    output = tmp_path / "子进程 out.gguf"
    spec = ConvertSpec(model_dir=tiny_models("phi3"), output=output, out_type="bf16")
    outcome = run_in_child("engine.convert.job:convert_job", spec)
    assert outcome.ok, outcome.error
    assert isinstance(outcome.result, ConvertResult)
    assert outcome.result.output == output
    assert outcome.result.sha256 == hashlib.sha256(output.read_bytes()).hexdigest()
