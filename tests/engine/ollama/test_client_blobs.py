"""Blob upload: skip when present, stream with progress, verify digests, cancel for real."""

from __future__ import annotations

import hashlib
import threading
import time

import pytest
import requests

from engine.errors import InputError, JobCancelled
from engine.ollama import DigestMismatch, OllamaClient


@pytest.fixture
def blob_file(tmp_path):
    path = tmp_path / "上传 测试" / "blob file.bin"
    path.parent.mkdir()
    data = bytes(range(256)) * (12 * 1024)  # 3 MiB: several upload pieces
    path.write_bytes(data)
    return path, "sha256:" + hashlib.sha256(data).hexdigest()


def test_upload_then_present(ollama_double, blob_file):
    path, digest = blob_file
    client = OllamaClient(ollama_double.url)
    assert not client.has_blob(digest)
    seen: list[tuple[int, int]] = []
    assert client.push_blob(path, digest, progress=lambda d, t: seen.append((d, t))) is True
    assert client.has_blob(digest)
    assert ollama_double.blob_path(digest).read_bytes() == path.read_bytes()
    # progress: increasing, in pieces, ending at the file size
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert len(seen) >= 3 and seen[-1] == (path.stat().st_size,) * 2
    upload = ollama_double.calls("POST", "/api/blobs/")[-1]
    assert upload.headers["content-length"] == str(path.stat().st_size)
    assert upload.body == path.stat().st_size


def test_second_push_is_skipped(ollama_double, blob_file):
    path, digest = blob_file
    client = OllamaClient(ollama_double.url)
    client.push_blob(path, digest)
    seen: list[tuple[int, int]] = []
    assert client.push_blob(path, digest, progress=lambda d, t: seen.append((d, t))) is False
    assert len(ollama_double.calls("POST", "/api/blobs/")) == 1  # no second upload
    assert seen == [(path.stat().st_size, path.stat().st_size)]


def test_forced_push_of_present_blob_answers_200(ollama_double, blob_file):
    # Ollama answers 200 without reading the body; the client must cope either way
    path, digest = blob_file
    client = OllamaClient(ollama_double.url)
    client.push_blob(path, digest)
    assert client.push_blob(path, digest, skip_if_present=False) is False


def test_uppercase_digest_is_normalized_by_the_client(ollama_double, blob_file):
    path, digest = blob_file
    upper = "sha256:" + digest[7:].upper()
    client = OllamaClient(ollama_double.url)
    assert client.push_blob(path, upper) is True
    assert ollama_double.calls("POST", "/api/blobs/")[-1].path == f"/api/blobs/{digest}"
    assert client.has_blob(upper)


def test_wrong_digest_is_a_digest_mismatch(ollama_double, blob_file):
    path, digest = blob_file
    wrong = "sha256:" + "0" * 64
    with pytest.raises(DigestMismatch) as info:
        OllamaClient(ollama_double.url).push_blob(path, wrong)
    assert "changed after it was written" in info.value.hint
    assert info.value.status == 400
    # like Ollama, the bytes stay on disk under their real digest
    assert ollama_double.has_blob_file(digest)
    assert not ollama_double.has_blob_file(wrong)


def test_bad_digest_is_refused_before_sending(ollama_double, blob_file):
    path, _ = blob_file
    with pytest.raises(InputError):
        OllamaClient(ollama_double.url).push_blob(path, "md5:abc")
    assert ollama_double.requests == []


def test_cancel_stops_the_upload_mid_stream(ollama_double, blob_file):
    path, digest = blob_file
    size = path.stat().st_size
    ollama_double.faults.upload_bytes_per_second = 4 * 2**20  # ~0.75 s for the file
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done >= 2**20:
            cancel.set()

    started = time.monotonic()
    with pytest.raises(JobCancelled):
        OllamaClient(ollama_double.url).push_blob(
            path, digest, progress=progress, cancel_event=cancel
        )
    assert time.monotonic() - started < 5
    assert max(seen) < size  # stopped before the end
    deadline = time.monotonic() + 5
    while ollama_double.aborted_uploads == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ollama_double.aborted_uploads == 1  # the server saw the connection close
    assert ollama_double.blob_names() == set()  # no blob, no partial temp file
    assert not OllamaClient(ollama_double.url).has_blob(digest)


def test_cancel_before_start_sends_nothing(ollama_double, blob_file):
    path, digest = blob_file
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(JobCancelled):
        OllamaClient(ollama_double.url).push_blob(path, digest, cancel_event=cancel)
    assert ollama_double.calls("POST", "/api/blobs/") == []


def test_missing_file(ollama_double, tmp_path):
    with pytest.raises(InputError) as info:
        OllamaClient(ollama_double.url).push_blob(tmp_path / "没有.gguf", "sha256:" + "1" * 64)
    assert "没有.gguf" in str(info.value)


def test_chunked_upload_is_accepted_too(ollama_double, blob_file):
    # Ollama takes a chunked body as well as Content-Length (a plain generator → chunked)
    path, digest = blob_file
    data = path.read_bytes()
    resp = requests.post(
        f"{ollama_double.url}/api/blobs/{digest}",
        data=(data[i : i + 100_000] for i in range(0, len(data), 100_000)),
        timeout=10,
    )
    assert resp.status_code == 201
    assert "transfer-encoding" in ollama_double.calls("POST", "/api/blobs/")[-1].headers
