"""Faults on a real sshd box are one clear line, never a traceback: a full disk (a real tiny
file system as the work dir), a failing write, a dropped connection."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from engine.remote import Box, add_box, connect
from engine.remote.errors import ConnectionLost, DiskFull, TransferFailed
from engine.remote.ssh import guard_connection
from engine.remote.transfer import upload_file


def _add(sshd, work) -> None:
    add_box(box=Box(name="gpu", host="127.0.0.1", port=sshd.port, user=sshd.user,
                    key_file=str(sshd.user_key), work_dir=str(work)))  # fmt: skip


@pytest.fixture
def tiny_disk(tmp_path):
    """A 2 MB tmpfs: a box whose disk is full (needs root to mount; skipped otherwise)."""
    mount = tmp_path / "小 disk"
    mount.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_full_disk_before_training_and_during_upload(sshd, tiny_disk, tmp_path, capsys):
    from engine.cli.main import main

    _add(sshd, tiny_disk / "work")
    data = tmp_path / "数据.jsonl"
    data.write_bytes(b'{"instruction": "a", "output": "b"}\n' * 100_000)  # 3.6 MB
    rc = main(["train", "--on", "gpu", "--device", "cpu", "--base", "/nowhere", "--data", str(data),
               "--out", str(tmp_path / "o")])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 1 and "only 0.0 GB free" in err and "Traceback" not in err
    target = str(tiny_disk / "work" / "data" / data.name)
    with connect("gpu") as conn, pytest.raises(DiskFull, match="the disk on gpu is full") as info:
        upload_file(conn, data, target)
    assert "MB free in" in info.value.message and "resumes" in (info.value.hint or "")
    partial = tiny_disk / "work" / "data" / (data.name + ".partial")
    assert partial.is_file() and 0 < partial.stat().st_size < data.stat().st_size  # kept to resume


def test_a_failing_write_is_one_error(sshd, tmp_path):
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    _add(sshd, tmp_path / "w")
    local = tmp_path / "a.bin"
    local.write_bytes(os.urandom(100_000))
    remote = tmp_path / "box" / "a.bin"
    remote.parent.mkdir()
    (remote.parent / "a.bin.partial").symlink_to("/dev/full")  # every write fails (ENOSPC)
    with (
        connect("gpu") as conn,
        pytest.raises(
            TransferFailed, match=r"uploading a\.bin to gpu failed: 0 of 100000 bytes arrived"
        ),
    ):
        upload_file(conn, local, str(remote))


def test_a_dropped_connection_is_one_error(sshd, tmp_path):
    _add(sshd, tmp_path / "w")
    with connect("gpu") as conn:
        conn.client.get_transport().close()  # the network went away
        with pytest.raises(ConnectionLost, match="lost the connection") as info:
            guard_connection(conn.run)(["true"])
    assert "remote attach" in (info.value.hint or "")
