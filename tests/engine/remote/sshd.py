"""A real OpenSSH server on 127.0.0.1 for the remote tests: throwaway host and user keys in a
temp folder, key-only login for the current user, its own config (``sshd -f … -D -e``)."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)
KEYGEN = shutil.which("ssh-keygen")


def missing_reason() -> str | None:
    if sys.platform == "win32":
        return "the sshd fixture runs on POSIX only"
    if not SSHD or not KEYGEN:
        return "OpenSSH server not installed (apt-get install openssh-server)"
    return None


def keygen(path: Path) -> Path:
    subprocess.run([KEYGEN, "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)  # type: ignore[list-item]
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sshd:
    def __init__(self, root: Path, *, extra: tuple[str, ...] = ()) -> None:
        self.root = root
        self.extra = extra  # more sshd_config lines (e.g. ``SetEnv NAME=VALUE`` for the box)
        root.mkdir(parents=True, exist_ok=True)
        self.user = getpass.getuser()
        self.user_key = keygen(root / "user_key")
        self.other_key = keygen(root / "other_key")
        (root / "authorized_keys").write_text((root / "user_key.pub").read_text())
        os.chmod(root / "authorized_keys", 0o600)
        self.host_key = keygen(root / "host_key")
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def config(self) -> Path:
        lines = [
            f"Port {self.port}", "ListenAddress 127.0.0.1", f"HostKey {self.host_key}",
            f"AuthorizedKeysFile {self.root / 'authorized_keys'}", "PubkeyAuthentication yes",
            "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no",
            "StrictModes no", "PermitRootLogin prohibit-password", f"PidFile {self.root / 'sshd.pid'}",
            "Subsystem sftp internal-sftp", f"AllowUsers {self.user}", "MaxSessions 50",
            "MaxStartups 50", *self.extra,
        ]  # fmt: skip
        path = self.root / "sshd_config"
        path.write_text("\n".join(lines) + "\n")
        return path

    def start(self) -> None:
        Path("/run/sshd").mkdir(exist_ok=True) if os.geteuid() == 0 else None
        log = open(self.root / "sshd.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.config())],  # type: ignore[list-item]
                                     stdout=log, stderr=log)  # fmt: skip
        for _ in range(100):  # bounded: 10 s
            if self.proc.poll() is not None:
                raise RuntimeError((self.root / "sshd.log").read_text())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("sshd did not start listening")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def new_host_key(self) -> None:
        """Re-create the box: another host key, same address."""
        self.stop()
        for suffix in ("", ".pub"):
            Path(str(self.host_key) + suffix).unlink()
        keygen(self.host_key)
        self.start()
