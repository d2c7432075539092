"""A second real SSH server, for password login only: paramiko's server side.

OpenSSH checks a password against PAM or the shadow file of a real account, and a test must
not set the password of the account it runs as. So this server (on 127.0.0.1, a throwaway RSA
host key) accepts one user name and password; commands run with ``sh -c`` as the current
user and SFTP is OpenSSH's own ``sftp-server`` on the channel, like ``internal-sftp``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

SFTP_SERVER = next((p for p in ("/usr/lib/openssh/sftp-server", "/usr/lib/sftp-server",
                                "/usr/libexec/sftp-server", "/usr/libexec/openssh/sftp-server")
                    if Path(p).is_file()), shutil.which("sftp-server"))  # fmt: skip


def _pump(channel: Any, argv: list[str]) -> None:
    """Run ``argv`` with the channel as its stdin/stdout/stderr; send the exit status."""
    proc = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )

    def feed() -> None:
        assert proc.stdin is not None
        try:
            while data := channel.recv(32768):
                proc.stdin.write(data)
                proc.stdin.flush()
        except OSError:
            pass
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

    def drain(stream: Any, send: Any) -> None:
        while data := stream.read1(32768):
            send(data)

    threads = [threading.Thread(target=feed, daemon=True),
               threading.Thread(target=drain, args=(proc.stdout, channel.sendall), daemon=True),
               threading.Thread(target=drain, args=(proc.stderr, channel.sendall_stderr), daemon=True)]  # fmt: skip
    for t in threads:
        t.start()
    rc = proc.wait()
    threads[1].join(30)
    threads[2].join(30)
    channel.send_exit_status(rc)
    channel.close()


def _server_class() -> Any:
    import paramiko

    class PasswordOnly(paramiko.ServerInterface):
        def __init__(self, user: str, password: str) -> None:
            self.user, self.password = user, password

        def get_allowed_auths(self, username: str) -> str:
            return "password"

        def check_auth_password(self, username: str, password: str) -> int:
            ok = (username, password) == (self.user, self.password)
            return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

        def check_channel_request(self, kind: str, chanid: int) -> int:
            if kind == "session":
                return paramiko.OPEN_SUCCEEDED
            return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

        def check_channel_exec_request(self, channel: Any, command: bytes) -> bool:
            argv = ["sh", "-c", command.decode("utf-8")]
            threading.Thread(target=_pump, args=(channel, argv), daemon=True).start()
            return True

        def check_channel_subsystem_request(self, channel: Any, name: str) -> bool:
            if name != "sftp" or not SFTP_SERVER:
                return False
            threading.Thread(target=_pump, args=(channel, [SFTP_SERVER]), daemon=True).start()
            return True

    return PasswordOnly


class PasswordSshd:
    def __init__(self, *, user: str, password: str) -> None:
        import paramiko

        self.user, self.password = user, password
        self.host_key = paramiko.RSAKey.generate(2048)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(20)
        self.port = int(self.sock.getsockname()[1])
        self.transports: list[Any] = []
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import paramiko

        server = _server_class()
        while not self._stopped:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            transport = paramiko.Transport(client)
            transport.add_server_key(self.host_key)
            self.transports.append(transport)
            try:
                transport.start_server(server=server(self.user, self.password))
            except (paramiko.SSHException, EOFError, OSError):
                continue  # a client that only looked at the host key, or went away

    def stop(self) -> None:
        self._stopped = True
        self.sock.close()
        for transport in self.transports:
            transport.close()
