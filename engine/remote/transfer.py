"""Resumable, hash-checked file transfer over SFTP.

Upload: bytes go to ``NAME.partial`` on the box, appended from its current size after a
dropped connection; the SHA-256 computed on the box (``sha256sum``) must match before the
rename. Download: the same in the other direction, ``*.partial`` locally.

An upload given a job ``ctx`` reports its bytes and checks ``ctx.cancelled`` between chunks:
a cancel raises :class:`~engine.errors.JobCancelled` and leaves ``NAME.partial`` to resume.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from pathlib import Path
from typing import Any

from engine.errors import JobCancelled
from engine.remote.errors import DiskFull, RemoteError, TransferCorrupt, TransferFailed
from engine.remote.ssh import Connection

CHUNK = 1 << 20


def sha256_file(path: Path, *, ctx: Any = None) -> str:
    """SHA-256 of a local file; with a job ``ctx``, a cancel between chunks (a base of many
    GB takes minutes to hash) raises :class:`~engine.errors.JobCancelled`."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            check_cancel(ctx)
            digest.update(block)
    return digest.hexdigest()


def remote_sha256(conn: Connection, path: str) -> str | None:
    result = conn.run(["sha256sum", "--", path], check=False)
    if result.rc != 0:
        return None
    return result.stdout.split(" ", 1)[0].strip() or None


def remote_size(conn: Connection, path: str) -> int | None:
    try:
        return int(conn.sftp.stat(path).st_size)
    except OSError:
        return None


def makedirs(conn: Connection, path: str) -> None:
    conn.run(["mkdir", "-p", "--", path])


def check_cancel(ctx: Any) -> None:
    if ctx is not None and ctx.cancelled:
        raise JobCancelled()


def upload_file(conn: Connection, local: Path, remote: str, *, digest: str | None = None,
                ctx: Any = None) -> str:  # fmt: skip
    """Upload ``local`` to ``remote`` (skipped when already there with the same hash).
    ``ctx`` (a job context): progress in bytes, and a cancel between chunks."""
    digest = digest or sha256_file(local, ctx=ctx)
    check_cancel(ctx)
    if remote_size(conn, remote) == local.stat().st_size and remote_sha256(conn, remote) == digest:
        return digest
    makedirs(conn, posixpath.dirname(remote))
    partial = remote + ".partial"
    offset = remote_size(conn, partial) or 0
    size = local.stat().st_size
    if offset > size:
        offset = 0
    if ctx is not None and offset:
        ctx.log(f"resuming the upload of {local.name} at {offset / 2**20:.1f} MB")
    try:
        with open(local, "rb") as src, conn.sftp.open(partial, "ab" if offset else "wb") as dst:
            src.seek(offset)
            dst.set_pipelined(True)
            done = offset
            while block := src.read(CHUNK):
                check_cancel(ctx)  # what arrived stays in NAME.partial: the next upload resumes
                dst.write(block)
                done += len(block)
                if ctx is not None:
                    ctx.progress(f"upload {local.name}", done, size, unit="B")
    except OSError as exc:  # SFTP reports a full disk as a bare "Failure"
        raise _upload_failed(conn, local, remote, exc) from None
    arrived = remote_size(conn, partial)
    if arrived != size:  # a pipelined write's error can go unreported
        raise _upload_failed(
            conn, local, remote, OSError(f"{arrived or 0} of {size} bytes arrived")
        )
    got = remote_sha256(conn, partial)
    if got != digest:
        conn.sftp.remove(partial)
        raise TransferCorrupt(f"upload of {local.name} arrived damaged (hash mismatch); try again",
                              path=local, box=conn.box.name)  # fmt: skip
    conn.sftp.posix_rename(partial, remote)
    return digest


def free_mb(conn: Connection, path: str) -> float | None:
    """Free space (MB) of the file system holding ``path`` on the box."""
    result = conn.run(["df", "-Pk", "--", path], check=False)
    try:
        return round(int(result.stdout.strip().splitlines()[-1].split()[3]) / 1024, 1)
    except (IndexError, ValueError):
        return None


def _upload_failed(conn: Connection, local: Path, remote: str, exc: OSError) -> RemoteError:
    folder = posixpath.dirname(remote)
    free = free_mb(conn, folder)
    if free is not None and free < 1 + local.stat().st_size / 2**20:
        return DiskFull(f"the disk on {conn.box.name} is full: {free} MB free in {folder}, "
                        f"{local.name} needs {local.stat().st_size / 2**20:.1f} MB",
                        box=conn.box.name, path=local,
                        hint="Free space on the box or choose another --work-dir, then run the "
                        "same command again (the upload resumes).")  # fmt: skip
    return TransferFailed(f"uploading {local.name} to {conn.box.name} failed: {exc}",
                          box=conn.box.name, path=local,
                          hint="Run the same command again; the upload resumes.")  # fmt: skip


def download_file(conn: Connection, remote: str, local: Path) -> None:
    """Download ``remote`` to ``local`` through ``local.partial``, resuming a cut transfer."""
    want = remote_sha256(conn, remote)
    if local.is_file() and want and sha256_file(local) == want:
        return
    local.parent.mkdir(parents=True, exist_ok=True)
    partial = local.with_name(local.name + ".partial")
    offset = partial.stat().st_size if partial.is_file() else 0
    size = remote_size(conn, remote) or 0
    if offset > size:
        offset = 0
    with conn.sftp.open(remote, "rb") as src, open(partial, "ab" if offset else "wb") as dst:
        src.seek(offset)
        src.prefetch(max(0, size - offset))
        while block := src.read(CHUNK):
            dst.write(block)
    if want and sha256_file(partial) != want:
        partial.unlink()
        raise TransferCorrupt(f"download of {remote} arrived damaged (hash mismatch); try again",
                              path=local, box=conn.box.name)  # fmt: skip
    os.replace(partial, local)


def remote_walk(conn: Connection, root: str) -> list[str]:
    """Files under ``root`` on the box, relative to it (POSIX separators)."""
    import stat

    out: list[str] = []
    stack = [""]
    while stack:
        rel = stack.pop()
        for entry in conn.sftp.listdir_attr(posixpath.join(root, rel) if rel else root):
            sub = posixpath.join(rel, entry.filename) if rel else entry.filename
            if stat.S_ISDIR(entry.st_mode or 0):
                stack.append(sub)
            else:
                out.append(sub)
    return sorted(out)
