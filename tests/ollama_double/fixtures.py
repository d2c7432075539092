"""Pytest fixtures for the Ollama test double and for a real Ollama (marker ``ollama``).

Use from a ``conftest.py``: ``from tests.ollama_double.fixtures import *  # noqa: F403``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.ollama_double.server import OllamaDouble
from tests.ollama_double.tiny_gguf import write_tiny_chat_gguf

__all__ = [
    "any_ollama_double",
    "make_ollama_double",
    "ollama_double",
    "real_ollama_host",
    "tiny_chat_gguf",
]

NEW_VERSION = "0.12.6"  # JSON create form (observed real server, see docs/OLLAMA.md)
LEGACY_VERSION = "0.5.4"  # last version that only takes {"name", "modelfile"}


def _check_violations(double: OllamaDouble) -> None:
    if double.violations:
        pytest.fail(
            "the client sent what real Ollama would accept now and fail on later:\n  "
            + "\n  ".join(double.violations)
            + "\n(call double.take_violations() in a test that expects this)"
        )


@pytest.fixture
def make_ollama_double(tmp_path) -> Iterator[Callable[..., OllamaDouble]]:
    """Factory: ``make_ollama_double(version="0.12.6")`` → a started double.

    Its files live under a folder whose name has a space and Chinese characters."""
    started: list[OllamaDouble] = []

    def make(version: str = NEW_VERSION) -> OllamaDouble:
        root = tmp_path / f"ollama 模型 {len(started)}"
        double = OllamaDouble(root, version=version).start()
        started.append(double)
        return double

    yield make
    for double in started:
        double.stop()
    for double in started:
        _check_violations(double)


@pytest.fixture
def ollama_double(make_ollama_double) -> OllamaDouble:
    """A double that speaks like Ollama 0.12.6 (JSON create form)."""
    return make_ollama_double(NEW_VERSION)


@pytest.fixture(params=[NEW_VERSION, LEGACY_VERSION], ids=["json-create", "modelfile-create"])
def any_ollama_double(request, make_ollama_double) -> OllamaDouble:
    """Each create form in turn: a test using this runs against 0.12.6 and 0.5.4."""
    return make_ollama_double(request.param)


@pytest.fixture(scope="session")
def tiny_chat_gguf(tmp_path_factory) -> tuple[Path, str]:
    """``(path, sha256 digest)`` of a tiny deterministic chat GGUF that answers ``Hi!``.

    Shared by the session: read it, do not change it."""
    path = tmp_path_factory.mktemp("tiny gguf") / "投喂的 资料" / "tiny chat 模型.gguf"
    digest = write_tiny_chat_gguf(path)
    return path, digest


REAL_OLLAMA_ENV = "TUNEFORGE_REAL_OLLAMA"


@pytest.fixture
def real_ollama_host() -> str:
    """The base URL of a real Ollama (OLLAMA_HOST or the default).

    Opt-in: these tests create and delete models, so they run only with
    ``TUNEFORGE_REAL_OLLAMA=1``, never against a developer's own Ollama by accident.
    Skips too when nothing answers."""
    if os.environ.get(REAL_OLLAMA_ENV) != "1":
        pytest.skip(f"real-Ollama tests are opt-in: set {REAL_OLLAMA_ENV}=1 to run them")
    import requests

    from engine.ollama import resolve_host

    host = resolve_host(None)
    try:
        resp = requests.get(f"{host}/api/version", timeout=2)
        resp.json()["version"]
    except (requests.RequestException, ValueError, KeyError):
        pytest.skip(f"no Ollama answers at {host} (set OLLAMA_HOST to test against one)")
    return host
