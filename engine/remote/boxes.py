"""Saved boxes (``CONFIG/remote/boxes.json``), pinned host keys (``CONFIG/remote/known_hosts``)
and passwords (the OS keyring, service ``tuneforge-remote``; never a plain file).

Tests pick a keyring backend through the ``PYTHON_KEYRING_BACKEND`` environment variable
(e.g. ``keyring.backends.null.Keyring`` or an in-memory one); ``set_secret_store`` injects one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from engine.appdirs import config_dir
from engine.jobs.atomic import atomic_file
from engine.remote.errors import BoxNotFound, RemoteError

KEYRING_SERVICE = "tuneforge-remote"


@dataclass(frozen=True, kw_only=True)
class Box:
    name: str
    host: str
    port: int = 22
    user: str
    key_file: str | None = None
    has_password: bool = False
    python: str | None = None  # an existing environment on the box (``--python``)
    work_dir: str = "~/tuneforge"

    @property
    def address(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"


def remote_dir() -> Path:
    return config_dir() / "remote"


def boxes_file() -> Path:
    return remote_dir() / "boxes.json"


def known_hosts_file() -> Path:
    return remote_dir() / "known_hosts"


def load_boxes() -> dict[str, Box]:
    path = boxes_file()
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {name: Box(**fields) for name, fields in data.get("boxes", {}).items()}
    except (ValueError, TypeError) as exc:
        raise RemoteError(f"the saved boxes cannot be read: {exc}", path=path,
                          hint="Fix or delete the file, then add the boxes again.") from exc  # fmt: skip


def save_boxes(boxes: dict[str, Box]) -> None:
    path = boxes_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"boxes": {name: asdict(box) for name, box in sorted(boxes.items())}}
    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def get_box(name: str) -> Box:
    boxes = load_boxes()
    if name not in boxes:
        known = ", ".join(sorted(boxes)) or "none"
        raise BoxNotFound(f"no box named {name!r} (saved: {known})", box=name,
                          hint=f"Add it with: tuneforge remote add {name} --host H --user U --key FILE")  # fmt: skip
    return boxes[name]


class SecretStore(Protocol):
    def get_password(self, service: str, username: str) -> str | None: ...
    def set_password(self, service: str, username: str, password: str) -> None: ...
    def delete_password(self, service: str, username: str) -> None: ...


_store: SecretStore | None = None


def set_secret_store(store: SecretStore | None) -> None:
    global _store
    _store = store


def _secrets() -> SecretStore:
    if _store is not None:
        return _store
    import keyring

    return keyring  # type: ignore[return-value]


def store_password(box_name: str, password: str) -> None:
    _secrets().set_password(KEYRING_SERVICE, box_name, password)


def load_password(box_name: str) -> str | None:
    return _secrets().get_password(KEYRING_SERVICE, box_name)


def forget_password(box_name: str) -> None:
    try:
        _secrets().delete_password(KEYRING_SERVICE, box_name)
    except Exception:
        pass
