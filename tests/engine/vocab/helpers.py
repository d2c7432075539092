"""Helpers for the vocab tests: write a vocab-only GGUF, load it with llama.cpp, texts."""

from __future__ import annotations

import ctypes
import shutil
from pathlib import Path
from typing import Any

import pytest

from engine.convert.vocab import VocabExport
from tests.fixtures.isolated import IsolatedObject
from tests.fixtures.tokenizer_build import corpus_text

EXTRA_TEXTS = [
    "Hello world",
    " Hello world",
    "  two leading spaces, trailing three   ",
    "\n",
    "\n\n\n",
    " \n \n\n \t \t\t \t\n  \n   \n    \n     \n",
    "\tdef f(x):\n\t\treturn x  # tab-indented code\n",
    "1234567 3.14159 33333333 1,000,000",
    "I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL",
    "emoji 🤖👍🏽 🚀 (normal) 😶\u200d🌫️ 🦙🦙 ✅",
    "中文测试：模型微调以后在本地运行。",
    "Русский текст: привет, мир!",
    "العربية: مرحبا بالعالم",
    "Ελληνικά, עברית, हिन्दी, ไทย, 日本語のテキスト",
    "------======= ''''''```````\"\"\"\"......!!!!!!??????",
    "Café naïve Straße ẞ ǅ ŉ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "a",
    "",
]


def corpus_texts() -> list[str]:
    """Each corpus paragraph, each non-empty line, the whole corpus and the extras."""
    text = corpus_text()
    paragraphs = [p for p in text.split("\n\n") if p]
    lines = [ln for ln in text.split("\n") if ln.strip()]
    return [text, *paragraphs, *lines, *EXTRA_TEXTS]


class _GGUFKeyWriter:
    """Adapter: gguf.GGUFWriter behind the converter's ``add_key(key, value, value_type)``."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer

    def add_key(self, key: str, value: Any, value_type: Any = None) -> None:
        import gguf

        self.writer.add_key_value(key, value, value_type or gguf.GGUFValueType.get_type(value))


def write_vocab_gguf(export: VocabExport, path: Path, *, arch: str, name: str = "tiny") -> Path:
    """A vocab-only GGUF: general.architecture/name + the exported tokenizer keys."""
    import gguf

    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name(name)
    export.write_to(_GGUFKeyWriter(writer))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.close()
    return path


class LlamaVocab(IsolatedObject):
    """llama.cpp's tokenizer on a vocab-only GGUF, in a subprocess (tests.fixtures.isolated):
    a native crash fails one test. Same methods as :class:`InProcessLlamaVocab`."""

    def __init__(self, path: Path) -> None:
        pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
        super().__init__("tests.engine.vocab.helpers:InProcessLlamaVocab", path)


class InProcessLlamaVocab:
    """llama.cpp's tokenizer on a vocab-only GGUF (llama-cpp-python); runs in the subprocess."""

    def __init__(self, path: str | Path) -> None:
        import llama_cpp

        self._lib = llama_cpp
        self.llm = llama_cpp.Llama(str(path), vocab_only=True, verbose=False)

    def tokenize(self, text: str, *, add_special: bool, parse_special: bool) -> list[int]:
        return list(
            self.llm.tokenize(text.encode("utf-8"), add_bos=add_special, special=parse_special)
        )

    def detokenize(self, ids: list[int], *, remove_special: bool, unparse_special: bool) -> str:
        lib = self._lib
        arr = (lib.llama_token * max(1, len(ids)))(*ids)
        size = 64 + 16 * len(ids)
        buf = ctypes.create_string_buffer(size)
        n = lib.llama_detokenize(
            self.llm._model.vocab, arr, len(ids), buf, size, remove_special, unparse_special
        )
        assert n >= 0, "detokenize buffer too small"
        return buf.raw[:n].decode("utf-8")

    def pieces(self, ids: list[int]) -> str:
        """Concatenated token pieces (special tokens as text): what a streaming chat shows."""
        lib = self._lib
        out = b""
        buf = ctypes.create_string_buffer(256)
        for token in ids:
            n = lib.llama_token_to_piece(self.llm._model.vocab, token, buf, 256, 0, True)
            assert 0 <= n <= 256
            out += buf.raw[:n]
        return out.decode("utf-8")

    def close(self) -> None:
        self.llm.close()


def copy_tokenizer_folder(src: Path, dst: Path, *, drop: tuple[str, ...] = ()) -> Path:
    """Copy a model folder's small files (no weights) into ``dst``, leaving out ``drop``."""
    dst.mkdir(parents=True, exist_ok=True)
    for item in src.iterdir():
        if item.is_file() and not item.name.endswith(".safetensors") and item.name not in drop:
            shutil.copy2(item, dst / item.name)
    return dst
