"""Tokenizer-only folders of the tiny families (no weights), for fast unit tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.fixtures.models import _resolve_ids, config_vocab_size
from tests.fixtures.specs import FAMILIES_SPEC
from tests.fixtures.tokenizer_build import write_tokenizer

TEMPLATE = "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}{% endfor %}"


@pytest.fixture(scope="session")
def tokenizer_folders(tmp_path_factory):
    """Factory: tokenizer_folders(family) -> read-only folder with the family's tokenizer
    files (as tests/fixtures writes them) and a config.json, without model weights."""
    root = tmp_path_factory.mktemp("tokenizers 分词器")
    cache: dict[str, Path] = {}

    def get(family: str) -> Path:
        if family not in cache:
            folder = root / family
            folder.mkdir()
            vocab = write_tokenizer(family, folder, TEMPLATE)
            config = _resolve_ids(FAMILIES_SPEC[family]["config"], vocab)
            config["vocab_size"] = config_vocab_size(family, max(vocab.values()) + 1)
            (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
            cache[family] = folder
        return cache[family]

    return get


@pytest.fixture()
def tokenizer_copy(tokenizer_folders, tmp_path):
    """Factory: a writable copy of a family's tokenizer folder (path has a space + Chinese)."""

    def get(family: str) -> Path:
        dst = tmp_path / f"{family} 副本"
        shutil.copytree(tokenizer_folders(family), dst)
        return dst

    return get
