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


def test_a_cancel_during_the_upload_starts_no_run_and_the_upload_resumes(sshd, tmp_path):
    from engine.errors import JobCancelled
    from engine.jobs import JobContext
    from engine.jobs.events import Log, Progress
    from engine.remote import submit
    from engine.remote.runs import upload_tree

    work = tmp_path / "box work 上传"
    add_box(box=Box(name="box", host="127.0.0.1", port=sshd.port, user=sshd.user,
                    key_file=str(sshd.user_key), work_dir=str(work)))  # fmt: skip
    data = tmp_path / "数据.jsonl"
    data.write_text('{"instruction": "hi", "output": "hello"}\n', encoding="utf-8")
    base = tmp_path / "本地 base"
    base.mkdir()
    (base / "config.json").write_text("{}", encoding="utf-8")
    weights = os.urandom(6 << 20)
    (base / "model.safetensors").write_bytes(weights)
    seen: list = []
    holder: dict = {}

    def press_stop(event) -> None:
        seen.append(event)
        base_upload = isinstance(event, Progress) and "model.safetensors" in event.stage
        if base_upload and event.done >= 2 << 20:
            holder["ctx"].cancel()  # the user presses Stop while the base uploads

    ctx = holder["ctx"] = JobContext(press_stop, min_interval=0)
    with connect("box") as conn, pytest.raises(JobCancelled):
        submit(conn, train_args=["--device", "cpu"], data=data, base="", upload_base=base, ctx=ctx)
    assert not (work / "runs").exists()  # no run was started
    target = work / "models" / base.name
    partial = target / "model.safetensors.partial"
    assert (2 << 20) <= partial.stat().st_size < len(weights)
    assert not (target / "model.safetensors").exists()
    assert any(isinstance(e, Progress) and e.unit == "B" for e in seen)

    logs: list[str] = []
    again = JobContext(lambda e: logs.append(e.text) if isinstance(e, Log) else None)
    with connect("box") as conn:
        upload_tree(conn, base, str(work / "models"), ctx=again)
    assert (target / "model.safetensors").read_bytes() == weights and not partial.exists()
    assert any(t.startswith("resuming the upload of model.safetensors at") for t in logs), logs


def test_a_cancel_while_hashing_a_big_dataset_stops_between_chunks(sshd, tmp_path, monkeypatch):
    import hashlib

    from engine.errors import JobCancelled
    from engine.jobs import JobContext
    from engine.remote import submit, transfer

    work = tmp_path / "box work 哈希"
    add_box(box=Box(name="box", host="127.0.0.1", port=sshd.port, user=sshd.user,
                    key_file=str(sshd.user_key), work_dir=str(work)))  # fmt: skip
    data = tmp_path / "大 数据.jsonl"
    data.write_bytes(b'{"instruction": "hi", "output": "hello"}\n' * (200_000))  # ~8 MB
    hashed: list[int] = []
    holder: dict = {}
    real_sha256 = hashlib.sha256

    class CountingSha:  # the real digest; counts bytes and presses Stop after 2 chunks
        def __init__(self) -> None:
            self.inner = real_sha256()

        def update(self, block: bytes) -> None:
            hashed.append(len(block))
            if len(hashed) == 2:
                holder["ctx"].cancel()
            self.inner.update(block)

        def hexdigest(self) -> str:
            return self.inner.hexdigest()

    monkeypatch.setattr(transfer.hashlib, "sha256", CountingSha)
    ctx = holder["ctx"] = JobContext()
    with connect("box") as conn, pytest.raises(JobCancelled):
        submit(conn, train_args=["--device", "cpu"], data=data, base="org/model", ctx=ctx)
    assert sum(hashed) == 2 * transfer.CHUNK < data.stat().st_size  # stopped at the next chunk
    assert not (work / "runs").exists() and not (work / "data").exists()
