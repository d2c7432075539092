"""One SSH connection to a box (paramiko): pinned host keys, quoted commands, SFTP.

Every command is a list of arguments joined with :func:`shlex.join` (POSIX quoting), so work
dirs, file names and run ids with spaces, quotes or Chinese never reach the shell unquoted.
Passwords and key passphrases are never logged or written to a plain file.
"""

from __future__ import annotations

import shlex
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.remote.boxes import Box, known_hosts_file, load_password
from engine.remote.errors import (
    AuthFailed,
    ConnectionLost,
    HostKeyChanged,
    HostKeyUnknown,
    RemoteCommandFailed,
    Unreachable,
)


@dataclass(frozen=True, kw_only=True)
class CommandResult:
    rc: int
    stdout: str
    stderr: str


def quote_command(argv: Sequence[str]) -> str:
    return shlex.join([str(a) for a in argv])


def fingerprint(key: Any) -> str:
    import base64
    import hashlib

    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def host_entry(box: Box) -> str:
    return box.host if box.port == 22 else f"[{box.host}]:{box.port}"


def scan_host_key(*, host: str, port: int, timeout: float = 10.0) -> Any:
    """The key the host presents, without authenticating (for ``remote add`` to show)."""
    import paramiko

    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise Unreachable(f"cannot reach {host}:{port}: {exc.strerror or exc}", host=host,
                          hint="Check the host and port your GPU provider gave you.") from exc  # fmt: skip
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=timeout)
        return transport.get_remote_server_key()
    except (paramiko.SSHException, OSError) as exc:
        raise Unreachable(
            f"{host}:{port} does not answer as an SSH server: {exc}", host=host
        ) from exc
    finally:
        transport.close()


def trust_host_key(box: Box, key: Any) -> None:
    """Pin ``key`` for the box's host and port (replacing an earlier pin)."""
    import paramiko

    path = known_hosts_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = paramiko.HostKeys()
    if path.is_file():
        keys.load(str(path))
    entry = host_entry(box)
    if entry in keys:
        del keys[entry]
    keys.add(entry, key.get_name(), key)
    keys.save(str(path))


class _Refuse:
    """paramiko missing-host-key policy: never accept, say how to trust."""

    def __init__(self, box: Box) -> None:
        self.box = box

    def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
        raise HostKeyUnknown(
            f"the host key of {hostname} is not trusted yet ({key.get_name()} {fingerprint(key)})",
            box=self.box.name, host=self.box.host,
            hint=f"Add the box with `tuneforge remote add {self.box.name} …` and confirm the fingerprint.",
        )  # fmt: skip


class Connection:
    """An open SSH connection; use as a context manager."""

    def __init__(self, box: Box, *, timeout: float = 15.0) -> None:
        import paramiko

        self.box = box
        client = paramiko.SSHClient()
        path = known_hosts_file()
        if path.is_file():
            client.load_host_keys(str(path))
        client.set_missing_host_key_policy(_Refuse(box))  # type: ignore[arg-type]
        password = load_password(box.name) if box.has_password else None
        try:
            client.connect(
                box.host, port=box.port, username=box.user, password=password,
                key_filename=box.key_file, timeout=timeout, banner_timeout=timeout,
                auth_timeout=timeout, allow_agent=False, look_for_keys=False,
            )  # fmt: skip
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise HostKeyChanged(
                f"the host key of {box.host}:{box.port} changed (now {fingerprint(exc.key)}); "
                "refusing to connect. This happens when the box was re-created, or when someone "
                "is in between.",
                box=box.name, host=box.host, fingerprint=fingerprint(exc.key),
                hint=f"If your provider re-created the box, trust the new key with: "
                f"tuneforge remote add {box.name} --host {box.host} --port {box.port} --user {box.user} "
                "… (it shows the new fingerprint to confirm)",
            ) from None  # fmt: skip
        except paramiko.AuthenticationException:
            client.close()
            how = "password" if password else "key"
            raise AuthFailed(f"{box.address} refused the {how}", box=box.name, host=box.host,
                             hint="Check the user and the key file or password (re-add the box to change them).") from None  # fmt: skip
        except HostKeyUnknown:
            client.close()
            raise
        except (OSError, paramiko.SSHException) as exc:
            client.close()
            raise Unreachable(f"cannot connect to {box.address}: {exc}", box=box.name,
                              host=box.host, hint="Is the box running? Check host and port.") from None  # fmt: skip
        self.client = client
        self._sftp: Any = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._sftp is not None:
            self._sftp.close()
        self.client.close()

    @property
    def sftp(self) -> Any:
        if self._sftp is None:
            self._sftp = self.client.open_sftp()
        return self._sftp

    def run(
        self, argv: Sequence[str] | str, *, check: bool = True, timeout: float = 600
    ) -> CommandResult:
        """Run a command. A list is quoted argument by argument; a string is taken as shell
        text and must have been built from quoted parts (see :func:`quote_command`)."""
        command = argv if isinstance(argv, str) else quote_command(argv)
        _stdin, stdout, stderr = self.client.exec_command(command, timeout=timeout)
        out = stdout.read().decode("utf-8", "replace")
        err = stderr.read().decode("utf-8", "replace")
        rc = stdout.channel.recv_exit_status()
        if check and rc != 0:
            first = command.split(" ", 1)[0] if isinstance(argv, str) else shlex.join(
                [str(argv[0]).rsplit("/", 1)[-1], *map(str, argv[1:3])])  # fmt: skip
            raise RemoteCommandFailed(f"{first} failed on {self.box.name} (exit {rc}): {err.strip()[-800:]}",
                                      box=self.box.name, rc=rc)  # fmt: skip
        return CommandResult(rc=rc, stdout=out, stderr=err)

    def run_lines(self, argv: Sequence[str], *, on_line: Callable[[str], None],
                  timeout: float = 3600, cancelled: Callable[[], bool] | None = None) -> CommandResult:  # fmt: skip
        """Run a command, its output (stdout and stderr together) to ``on_line`` line by line
        as it comes (an install's progress). A failure names the command and its last words.

        ``cancelled``: polled while the command runs; once true, the command's whole process
        group is killed on the box, the channel closed, and :class:`JobCancelled` raised."""
        from engine.errors import JobCancelled

        command = quote_command(argv)
        if cancelled is not None:  # its own process group, whose id it says first
            command = (
                "setsid -w sh -c "
                + shlex.quote('echo "tuneforge-pgid $$"; exec "$@"')
                + " sh "
                + command
            )
        transport = self.client.get_transport()
        assert transport is not None
        channel = transport.open_session(timeout=timeout)
        channel.set_combine_stderr(True)
        channel.settimeout(0.25 if cancelled is not None else timeout)
        channel.exec_command(command)
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        pending, group = b"", ""
        try:
            while True:
                if cancelled is not None and cancelled():
                    if group.isdigit():
                        self.run(["kill", "-TERM", "--", f"-{group}"], check=False, timeout=30)
                    raise JobCancelled()
                try:
                    chunk = channel.recv(65536)
                except TimeoutError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{argv[0]} ran past {timeout:.0f} s") from None
                    continue
                *whole, pending = (pending + chunk).split(b"\n") if chunk else [pending, b""]
                for raw in whole:
                    line = raw.decode("utf-8", "replace").rstrip()
                    if cancelled is not None and not group and line.startswith("tuneforge-pgid "):
                        group = line.split(" ", 1)[1]
                    elif line:
                        lines.append(line)
                        del lines[:-40]
                        on_line(line)
                if not chunk:
                    break
            rc = channel.recv_exit_status()
        finally:
            channel.close()
        text = "\n".join(lines)
        if rc != 0:
            first = shlex.join([str(argv[0]).rsplit("/", 1)[-1], *map(str, argv[1:3])])
            raise RemoteCommandFailed(f"{first} failed on {self.box.name} (exit {rc}): {text[-800:]}",
                                      box=self.box.name, rc=rc)  # fmt: skip
        return CommandResult(rc=rc, stdout=text, stderr="")

    def home(self) -> str:
        return self.sftp.normalize(".")  # type: ignore[no-any-return]

    def resolve(self, path: str) -> str:
        """``~/x`` → the absolute path on the box (SFTP does not expand ``~``)."""
        if path == "~":
            return self.home()
        if path.startswith("~/"):
            return self.home().rstrip("/") + "/" + path[2:]
        return path


def local_path(path: str | Path) -> Path:
    return Path(path).expanduser()


def guard_connection(func: Any) -> Any:
    """Decorator for a command's handler: a dropped connection (network, box rebooted) is one
    clear error, not a traceback from deep inside paramiko."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import paramiko

        try:
            return func(*args, **kwargs)
        except (TimeoutError, EOFError, ConnectionError, paramiko.SSHException) as exc:
            raise ConnectionLost(f"lost the connection to the box: {exc or type(exc).__name__}",
                                 hint="A run on the box goes on; follow it again with "
                                 "`tuneforge remote attach NAME RUN_ID --out DIR`, or run the "
                                 "same command again (transfers resume).") from None  # fmt: skip

    return wrapper
