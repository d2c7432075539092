"""Every wrong path a new user tries gets a message that says what it is and what to do."""

from __future__ import annotations

import pytest

from engine.cli.main import main
from engine.formats.safetensors import lfs_pointer_error
from engine.ollama.errors import not_installed


def _run(capsys, *argv: str) -> tuple[int, str]:
    rc = main(list(argv))
    captured = capsys.readouterr()
    return rc, captured.err


def test_convert_a_gguf_file_says_what_to_do_with_it(tmp_path, capsys):
    gguf = tmp_path / "模型 model.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 60)
    rc, err = _run(capsys, "convert", str(gguf))
    assert rc == 1
    assert "does not exist" not in err
    assert "GGUF file, already converted" in err
    assert "tuneforge quantize" in err and "tuneforge package" in err


def test_convert_another_file_asks_for_the_folder(tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text("{}")
    rc, err = _run(capsys, "convert", str(path))
    assert rc == 1 and "convert takes a model folder" in err and "does not exist" not in err


def test_chat_gguf_given_a_folder(tmp_path, capsys):
    folder = tmp_path / "my model 文件夹"
    folder.mkdir()
    (folder / "model-Q4_K_M.gguf").write_bytes(b"GGUF")
    rc, err = _run(capsys, "chat", "--gguf", str(folder))
    assert rc == 1
    assert "does not exist" not in err
    assert "this is a folder" in err and "model-Q4_K_M.gguf" in err and "→" in err


@pytest.mark.parametrize(
    "argv",
    [
        ("inspect", "{missing}"),
        ("package", "{missing}", "--name", "mine"),
        ("chat", "--gguf", "{missing}"),
        ("convert", "{missing}"),
        ("modelfile", "{missing}"),
        ("template", "check", "{missing}"),
        ("quantize", "{missing}", "--type", "Q4_K_M"),
    ],
)
def test_a_missing_path_gets_a_hint(tmp_path, capsys, argv):
    missing = str(tmp_path / "no such 路径")
    rc, err = _run(capsys, *(a.format(missing=missing) for a in argv))
    assert rc == 1, err
    assert missing in err and "→" in err


def test_lfs_hint_names_only_real_tools(tmp_path):
    hint = lfs_pointer_error(tmp_path / "model.safetensors").hint or ""
    assert "dialog" not in hint
    assert "git lfs pull" in hint and "huggingface-cli download" in hint


def test_ollama_missing_says_nothing_about_kept_files():
    """Shown by `ollama list` and `chat NAME` too, where no file was made."""
    error = not_installed("http://127.0.0.1:9")
    assert "kept" not in (error.hint or "") and "ollama.com/download" in (error.hint or "")


def test_ollama_list_without_ollama(capsys, monkeypatch):
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:9")
    rc, err = _run(capsys, "ollama", "list")
    assert rc == 1
    assert "Modelfile" not in err and "GGUF" not in err


def test_modelfile_of_a_missing_path_does_not_blame_the_template(tmp_path, capsys):
    rc, err = _run(capsys, "modelfile", str(tmp_path / "nope"))
    assert rc == 1 and "chat template" not in err and "no such file or folder" in err


def test_quantize_a_folder_points_to_convert(tmp_path, capsys):
    folder = tmp_path / "model 模型"
    folder.mkdir()
    rc, err = _run(capsys, "quantize", str(folder), "--type", "Q4_K_M")
    assert rc == 1 and "file not found" not in err
    assert "this is a folder" in err and "tuneforge convert" in err
