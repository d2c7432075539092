"""A tiny local stand-in for the Hugging Face Hub (``HF_ENDPOINT=http://127.0.0.1:PORT``):
the routes ``huggingface_hub.snapshot_download`` uses, serving one folder as one model repo.

- ``GET /api/models/ORG/NAME/revision/REV``: repo info with the commit sha and file list
- ``GET /api/models/ORG/NAME/tree/REV[/PATH]``: the file tree (one page)
- ``HEAD|GET /ORG/NAME/resolve/REV/FILE``: a file, with ``X-Repo-Commit``, ``ETag`` and size
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

SHA = "0123456789abcdef0123456789abcdef01234567"


class HubServer:
    def __init__(self, *, repo_id: str, folder: Path) -> None:
        self.repo_id, self.folder = repo_id, folder
        self.requests: list[str] = []
        self.files = {
            p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()
        }
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self._serve(body=False)

            def do_GET(self) -> None:
                self._serve(body=True)

            def _send(self, code: int, data: bytes, headers: dict[str, str], body: bool) -> None:
                self.send_response(code)
                for key, value in {"Content-Length": str(len(data)), **headers}.items():
                    self.send_header(key, value)
                self.end_headers()
                if body:
                    self.wfile.write(data)

            def _serve(self, *, body: bool) -> None:
                path = unquote(urlsplit(self.path).path)
                hub.requests.append(f"{self.command} {path}")
                api = f"/api/models/{hub.repo_id}/"
                if path.startswith(api + "revision/"):
                    info = {"id": hub.repo_id, "modelId": hub.repo_id, "sha": SHA, "private": False,
                            "siblings": [{"rfilename": name} for name in hub.files]}  # fmt: skip
                    return self._send(
                        200, json.dumps(info).encode(), {"Content-Type": "application/json"}, body
                    )
                if path.startswith(api + "tree/"):
                    tree = [{"type": "file", "path": name, "size": p.stat().st_size,
                             "oid": hashlib.sha1(p.read_bytes()).hexdigest()} for name, p in hub.files.items()]  # fmt: skip
                    return self._send(
                        200, json.dumps(tree).encode(), {"Content-Type": "application/json"}, body
                    )
                prefix = f"/{hub.repo_id}/resolve/"
                if path.startswith(prefix):
                    name = path[len(prefix) :].split("/", 1)[1]
                    if name in hub.files:
                        data = hub.files[name].read_bytes()
                        etag = hashlib.sha256(data).hexdigest()
                        return self._send(200, data, {"X-Repo-Commit": SHA, "ETag": f'"{etag}"',
                                                      "Content-Type": "application/octet-stream"}, body)  # fmt: skip
                    return self._send(404, b"", {"X-Error-Code": "EntryNotFound"}, body)
                self._send(404, b'{"error": "Repository not found"}',
                           {"X-Error-Code": "RepoNotFound", "Content-Type": "application/json"}, body)  # fmt: skip

        return Handler
