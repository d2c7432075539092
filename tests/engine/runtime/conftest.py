from __future__ import annotations

from pathlib import Path

import pytest

from engine.runtime.commands import find_uv
from engine.runtime.lock import load_lock
from engine.runtime.plan import build_wheel, source_root
from tests.engine.runtime.wheelhouse import make_wheelhouse


@pytest.fixture(scope="session")
def engine_wheel(tmp_path_factory) -> Path:
    root = source_root()
    if root is None:
        pytest.skip("not a source checkout")
    return build_wheel(root, tmp_path_factory.mktemp("engine wheel"))


@pytest.fixture(scope="session")
def cpu_wheelhouse(tmp_path_factory) -> Path:
    lock = load_lock()
    return make_wheelhouse(tmp_path_factory.mktemp("轮子 wheelhouse"), lock, lock.build("cpu"))


@pytest.fixture()
def runtime_home(tmp_path, monkeypatch) -> Path:
    """TUNEFORGE_HOME in a temp folder with a space and Chinese characters."""
    home = tmp_path / "用户 home"
    monkeypatch.setenv("TUNEFORGE_HOME", str(home))
    monkeypatch.delenv("TUNEFORGE_RUNTIME_DIR", raising=False)
    for name in ("INDEX_URL", "TORCH_INDEX_URL", "EXTRA_INDEX_URLS", "FIND_LINKS", "NO_INDEX"):
        monkeypatch.delenv(f"TUNEFORGE_RUNTIME_{name}", raising=False)
    return home


@pytest.fixture(scope="session")
def uv_bin() -> str:
    found = find_uv()
    if not found:
        pytest.skip("uv is not installed (pip install uv)")
    return found
