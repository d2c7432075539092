"""``tuneforge inspect`` on real (tiny, hand-written) inputs and on broken ones."""

from __future__ import annotations

import json
import struct

import pytest

from engine.cli.main import main
from engine.errors import InputError, UnsupportedError
from engine.inspect import inspect_path
from tests.engine.inspect.helpers import write_safetensors, write_tiny_gguf, write_tiny_model

CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"


@pytest.fixture
def user_dir(tmp_path):
    path = tmp_path / "Desktop" / "投喂的 资料"
    path.mkdir(parents=True)
    return path


def test_hf_model_folder(user_dir):
    folder = write_tiny_model(user_dir / "deepseek-r1-1.5b-merged", chat_template=CHATML)
    report = inspect_path(folder)
    assert report.kind == "hf_model"
    m = report.model
    assert m.architecture == "Qwen2ForCausalLM"
    assert m.parameters == 32 * 8 + 8 * 8 + 8
    assert m.dtype == "bfloat16"
    assert m.context_length == 4096
    assert m.tokenizer == "bpe"
    assert m.chat_template and m.chat_template_family == "chatml"
    assert m.generation_defaults == {"temperature": 0.6, "top_p": 0.95, "eos_token_id": 3}
    assert m.disk_bytes > m.weight_bytes > 0


def test_json_output_is_stable(user_dir, capsys):
    folder = write_tiny_model(user_dir / "m", chat_template=CHATML)
    assert main(["inspect", str(folder), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema_version"] == 1 and data["kind"] == "hf_model"
    assert set(data["model"]) >= {
        "architecture",
        "parameters",
        "dtype",
        "disk_bytes",
        "context_length",
        "tokenizer",
        "chat_template",
        "chat_template_family",
        "generation_defaults",
    }


def test_human_output_names_the_things(user_dir, capsys):
    folder = write_tiny_model(user_dir / "m")
    assert main(["inspect", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Qwen2ForCausalLM" in out and "bfloat16" in out
    assert "warning: no chat template" in out


def test_gguf_file(user_dir):
    path = write_tiny_gguf(user_dir / "模型 q4.gguf")
    report = inspect_path(path)
    assert report.kind == "gguf"
    g = report.gguf
    assert (g.architecture, g.file_type, g.tensor_count, g.context_length) == (
        "qwen2",
        "Q4_K_M",
        2,
        2048,
    )
    assert g.name == "tiny 模型" and g.chat_template and g.tokenizer == "gpt2"
    assert g.parameters == 4 * 8 + 8


def test_adapter_folder(user_dir):
    base = write_tiny_model(user_dir / "base")
    adapter = user_dir / "lora"
    adapter.mkdir()
    import numpy as np

    write_safetensors(
        adapter / "adapter_model.safetensors",
        {
            "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight": np.ones(
                (4, 8), np.float32
            ),
            "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight": np.ones(
                (8, 4), np.float32
            ),
        },
    )
    config = {
        "peft_type": "LORA",
        "base_model_name_or_path": str(base),
        "r": 4,
        "lora_alpha": 8,
        "target_modules": ["v_proj", "q_proj"],
        "use_rslora": False,
    }
    (adapter / "adapter_config.json").write_text(json.dumps(config), encoding="utf-8")
    report = inspect_path(adapter)
    assert report.kind == "lora_adapter"
    a = report.adapter
    assert (a.rank, a.alpha, a.target_modules, a.parameters) == (4, 8, ("q_proj", "v_proj"), 64)
    assert a.base_found == str(base)


# -- broken input: exit non-zero, name the file, say what to do -----------------------
def test_missing_config(user_dir, capsys):
    folder = write_tiny_model(user_dir / "m")
    (folder / "config.json").unlink()
    assert main(["inspect", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "config.json" in err and "→" in err


def test_truncated_safetensors(user_dir):
    folder = write_tiny_model(user_dir / "m")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(InputError, match="truncated") as info:
        inspect_path(folder)
    assert info.value.path == str(weights)


def test_header_offsets_out_of_range(user_dir):
    folder = write_tiny_model(user_dir / "m")
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    header["model.norm.weight"]["data_offsets"] = [10**9, 10**9 + 16]
    header["model.norm.weight"]["shape"] = [8]
    head = json.dumps(header).encode()
    weights.write_bytes(struct.pack("<Q", len(head)) + head + data[8 + n :])
    with pytest.raises(InputError, match=r"model\.norm\.weight"):
        inspect_path(folder)


def test_header_length_larger_than_file(user_dir):
    folder = write_tiny_model(user_dir / "m")
    weights = folder / "model.safetensors"
    weights.write_bytes(struct.pack("<Q", 10**7) + b"{}")
    with pytest.raises(InputError, match="header length"):
        inspect_path(folder)


def test_corrupt_header_json(user_dir):
    folder = write_tiny_model(user_dir / "m")
    weights = folder / "model.safetensors"
    weights.write_bytes(struct.pack("<Q", 4) + b"{{{{")
    with pytest.raises(InputError, match="not valid JSON"):
        inspect_path(folder)


def test_unsupported_dtype(user_dir):
    folder = write_tiny_model(user_dir / "m")
    import numpy as np

    write_safetensors(
        folder / "model.safetensors",
        {"w": np.zeros((2, 2), np.uint16)},
        dtype_names={"w": "F8_E4M3"},
    )
    with pytest.raises(UnsupportedError, match="F8_E4M3"):
        inspect_path(folder)


def test_git_lfs_pointer(user_dir):
    folder = write_tiny_model(user_dir / "m")
    (folder / "model.safetensors").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 3\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match="Git LFS pointer") as info:
        inspect_path(folder)
    assert "git lfs pull" in info.value.hint


def test_pickle_checkpoint_is_refused_not_opened(user_dir):
    folder = user_dir / "old"
    folder.mkdir()
    # A pickle that would run code if it were ever unpickled.
    (folder / "pytorch_model.bin").write_bytes(b"cos\nsystem\n(S'touch PWNED'\ntR.")
    (folder / "config.json").write_text(
        json.dumps({"architectures": ["LlamaForCausalLM"]}), encoding="utf-8"
    )
    with pytest.raises(InputError) as info:
        inspect_path(folder)
    assert "pickle" in info.value.hint.lower() or "pickle" in info.value.message.lower()
    with pytest.raises(InputError, match="pickle"):
        inspect_path(folder / "pytorch_model.bin")
    assert not (folder / "PWNED").exists()


def test_not_a_model(user_dir):
    (user_dir / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(InputError, match="not a model folder"):
        inspect_path(user_dir)
    with pytest.raises(InputError, match="not a model file"):
        inspect_path(user_dir / "notes.txt")
    with pytest.raises(InputError, match="no such file"):
        inspect_path(user_dir / "missing")


def test_folder_with_model_subfolders_says_which(user_dir):
    write_tiny_model(user_dir / "merged")
    with pytest.raises(InputError) as info:
        inspect_path(user_dir)
    assert "merged" in info.value.hint


def test_truncated_gguf(user_dir):
    path = write_tiny_gguf(user_dir / "m.gguf")
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(InputError, match="truncated or corrupt"):
        inspect_path(path)


def test_invalid_config_json_names_line(user_dir):
    folder = write_tiny_model(user_dir / "m")
    (folder / "config.json").write_text('{\n  "architectures": ["X"],\n  oops\n}', encoding="utf-8")
    with pytest.raises(InputError) as info:
        inspect_path(folder)
    assert info.value.line == 3
