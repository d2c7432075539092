"""A keyring backend that works headless (no D-Bus, no desktop session) for the tests: a JSON
file named by ``TUNEFORGE_TEST_KEYRING``. Picked through the ``keyring`` library itself
(``keyring.set_keyring`` here, ``PYTHON_KEYRING_BACKEND`` in child processes), so the engine's
password path is the one it takes with the OS keyring."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    @staticmethod
    def _path() -> Path:
        return Path(os.environ["TUNEFORGE_TEST_KEYRING"])

    def _load(self) -> dict[str, dict[str, str]]:
        path = self._path()
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def _save(self, data: dict[str, dict[str, str]]) -> None:
        self._path().write_text(json.dumps(data), encoding="utf-8")

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data.setdefault(service, {})[username] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if username not in data.get(service, {}):
            raise PasswordDeleteError(f"no password for {username!r}")
        del data[service][username]
        self._save(data)
