"""Errors of the remote (SSH) package. Each names the box (``box``) and, where known, the host."""

from __future__ import annotations

from engine.errors import TuneforgeError


class RemoteError(TuneforgeError):
    code = "remote"


class BoxNotFound(RemoteError):
    code = "remote_box_not_found"


class AuthFailed(RemoteError):
    """Wrong key or password."""

    code = "remote_auth"


class HostKeyChanged(RemoteError):
    """The box presented a different host key than the pinned one: refused, never accepted."""

    code = "remote_host_key_changed"


class HostKeyUnknown(RemoteError):
    code = "remote_host_key_unknown"


class Unreachable(RemoteError):
    code = "remote_unreachable"


class RemoteCommandFailed(RemoteError):
    code = "remote_command"


class DiskFull(RemoteError):
    code = "remote_disk_full"


class NoGpu(RemoteError):
    code = "remote_no_gpu"


class RunNotFound(RemoteError):
    code = "remote_run_not_found"


class TransferCorrupt(RemoteError):
    code = "remote_transfer_hash"


class TransferFailed(RemoteError):
    """An upload or download stopped (the ``.partial`` stays; the next try resumes)."""

    code = "remote_transfer"


class ConnectionLost(RemoteError):
    code = "remote_connection_lost"
