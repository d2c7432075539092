"""Uploads and downloads resume from a cut ``.partial`` and are checked by SHA-256."""

from __future__ import annotations

import os

import pytest

from engine.remote import Box, add_box, connect
from engine.remote.errors import TransferCorrupt
from engine.remote.transfer import download_file, upload_file


@pytest.fixture
def conn(sshd, tmp_path):
    add_box(
        box=Box(
            name="gpu",
            host="127.0.0.1",
            port=sshd.port,
            user=sshd.user,
            key_file=str(sshd.user_key),
        )
    )
    with connect("gpu") as c:
        yield c


def test_upload_resumes_a_cut_transfer_and_checks_the_hash(conn, tmp_path):
    local = tmp_path / "数据 'a'.bin"
    payload = os.urandom(300_000)
    local.write_bytes(payload)
    remote = tmp_path / "box side" / "上传 'x'.bin"
    remote.parent.mkdir()
    partial = remote.with_name(remote.name + ".partial")
    partial.write_bytes(payload[:100_000])  # a connection dropped after 100 kB
    upload_file(conn, local, str(remote))
    assert remote.read_bytes() == payload and not partial.exists()
    # a damaged partial is caught by the hash, removed, and the next try succeeds
    remote.unlink()
    partial.write_bytes(b"\0" * 100_000)
    with pytest.raises(TransferCorrupt, match="hash mismatch"):
        upload_file(conn, local, str(remote))
    assert not partial.exists() and not remote.exists()
    upload_file(conn, local, str(remote))
    assert remote.read_bytes() == payload


def test_download_resumes_and_checks_the_hash(conn, tmp_path):
    source = tmp_path / "run" / "adapter_model.safetensors"
    source.parent.mkdir()
    payload = os.urandom(200_000)
    source.write_bytes(payload)
    local = tmp_path / "本地" / "adapter_model.safetensors"
    local.parent.mkdir()
    (local.parent / (local.name + ".partial")).write_bytes(payload[:50_000])
    download_file(conn, str(source), local)
    assert local.read_bytes() == payload
    assert not (local.parent / (local.name + ".partial")).exists()
    (local.parent / (local.name + ".partial")).write_bytes(b"x" * 50_000)
    local.unlink()
    with pytest.raises(TransferCorrupt):
        download_file(conn, str(source), local)
    assert not local.exists()
