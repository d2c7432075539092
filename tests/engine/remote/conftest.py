from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.engine.remote.sshd import Sshd, missing_reason

REPO = Path(__file__).resolve().parents[3]


class MemoryKeyring:
    def __init__(self) -> None:
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.data.pop((service, username), None)


@pytest.fixture(autouse=True)
def app_home(tmp_path, monkeypatch):
    """Settings in a temp TUNEFORGE_HOME; passwords in memory (no desktop keyring)."""
    from engine.remote import set_secret_store

    home = tmp_path / "app home"
    monkeypatch.setenv("TUNEFORGE_HOME", str(home))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    store = MemoryKeyring()
    set_secret_store(store)
    yield home
    set_secret_store(None)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    server = Sshd(tmp_path_factory.mktemp("sshd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def box_python(tmp_path_factory) -> str:
    """The box's runtime is this test venv, running this checkout's engine."""
    path = tmp_path_factory.mktemp("runtime") / "python"
    path.write_text(
        f'#!/bin/sh\nPYTHONPATH="{REPO}" TUNEFORGE_NO_SIGINT= exec "{sys.executable}" "$@"\n'
    )
    os.chmod(path, 0o755)
    return str(path)
