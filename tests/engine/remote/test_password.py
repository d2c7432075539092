"""Password login end to end: `remote add --password-stdin` puts the password in the keyring
(the ``keyring`` library with a headless file backend), never in a plain settings file; the
box answers check, runs a tiny training started from another process (which reads the same
keyring) and downloads it; a wrong password is one clear line.

The server is paramiko's (tests/engine/remote/password_sshd.py): OpenSSH password login needs
the real account's password (PAM or shadow), which a test must not set."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import keyring
import pytest

from engine.remote import load_boxes, set_secret_store
from engine.remote.boxes import KEYRING_SERVICE
from tests.engine.remote.conftest import REPO
from tests.engine.remote.file_keyring import FileKeyring
from tests.engine.remote.password_sshd import SFTP_SERVER, PasswordSshd

PASSWORD = "s3cret 密码 'q'"


@pytest.fixture(scope="module")
def password_sshd():
    pytest.importorskip("paramiko")
    if sys.platform == "win32" or not SFTP_SERVER:
        pytest.skip("needs a POSIX shell and OpenSSH's sftp-server")
    import getpass

    server = PasswordSshd(user=getpass.getuser(), password=PASSWORD)
    yield server
    server.stop()


@pytest.fixture
def file_keyring(tmp_path, monkeypatch):
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("TUNEFORGE_TEST_KEYRING", str(path))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.engine.remote.file_keyring.FileKeyring")
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    set_secret_store(None)  # the engine goes through the keyring library
    yield path
    keyring.set_keyring(previous)


def _add(server, name, password, monkeypatch, *extra):
    from engine.cli.main import main

    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return main(["remote", "add", name, "--host", "127.0.0.1", "--port", str(server.port),
                 "--user", server.user, "--password-stdin", "--yes", *extra])  # fmt: skip


def test_wrong_password_is_one_clear_line_and_stores_nothing(password_sshd, file_keyring,
                                                              monkeypatch, capsys):  # fmt: skip
    rc = _add(password_sshd, "bad", "not it", monkeypatch)
    captured = capsys.readouterr()
    assert rc == 1 and "refused the password" in captured.err and "Traceback" not in captured.err
    assert "not it" not in captured.out + captured.err
    assert keyring.get_password(KEYRING_SERVICE, "bad") is None
    assert "bad" not in load_boxes()


@pytest.mark.slow
def test_password_box_end_to_end(password_sshd, file_keyring, box_python, tiny_models,
                                 app_home, tmp_path, monkeypatch, capsys):  # fmt: skip
    pytest.importorskip("torch")
    from engine.cli.main import main
    from tests.engine.train.helpers import write_dataset

    work = tmp_path / "密码 box 'work'"
    rc = _add(password_sshd, "pw", PASSWORD, monkeypatch, "--python", box_python,
              "--work-dir", str(work))  # fmt: skip
    added = capsys.readouterr()
    assert rc == 0, added.err
    assert "saved box pw" in added.out and PASSWORD not in added.out + added.err
    assert load_boxes()["pw"].has_password
    assert json.loads(file_keyring.read_text())[KEYRING_SERVICE] == {"pw": PASSWORD}
    for path in app_home.rglob("*"):  # the settings never hold it
        assert not path.is_file() or PASSWORD not in path.read_text(errors="replace"), path
    assert main(["remote", "check", "pw", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["runtime"] is not None
    # another process (a new CLI, the desktop) finds the password in the keyring
    data = write_dataset(tmp_path / "数据.jsonl", n=8)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "engine", "train", "--on", "pw", "--base",
                           str(tiny_models("qwen2")), "--data", str(data), "--out", str(out),
                           "--device", "cpu", "--max-steps", "2", "--batch-size", "4", "--cutoff", "128",
                           "--no-gradient-checkpointing"],
                          env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert PASSWORD not in proc.stdout + proc.stderr
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    # forgetting the box forgets its password
    assert main(["remote", "rm", "pw"]) == 0
    assert keyring.get_password(KEYRING_SERVICE, "pw") is None
