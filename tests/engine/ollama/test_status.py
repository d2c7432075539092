"""Is Ollama there? Installed / running / too old, each with a message that says what to do."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

import engine.ollama.client as client_module
from engine.ollama import (
    NotOllama,
    OllamaClient,
    OllamaNotInstalled,
    OllamaNotRunning,
    OllamaTooOld,
    find_ollama,
    is_installed,
)
from engine.ollama.detect import candidate_paths
from engine.ollama.versions import parse_version, supports_json_create


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"127.0.0.1:{port}"


def test_status_of_a_running_server(ollama_double):
    status = OllamaClient(ollama_double.url).status()
    assert status.running and status.installed and status.supported and status.json_create
    assert status.version == "0.12.6"
    assert status.message == f"Ollama 0.12.6 is running at {ollama_double.url}"


def test_status_of_an_old_server(make_ollama_double):
    double = make_ollama_double("0.2.8")
    client = OllamaClient(double.url)
    status = client.status()
    assert status.running and not status.supported
    assert "too old" in status.message and "https://ollama.com/download" in status.message
    with pytest.raises(OllamaTooOld):
        client.require_supported()


@pytest.mark.parametrize("installed", [True, False])
def test_not_running_vs_not_installed(closed_port, monkeypatch, installed):
    monkeypatch.setattr(client_module, "is_installed", lambda: installed)
    client = OllamaClient(closed_port, timeout=2)
    status = client.status()
    assert not status.running and status.version is None and status.installed is installed
    expected = OllamaNotRunning if installed else OllamaNotInstalled
    with pytest.raises(expected) as info:
        client.version()
    if installed:
        assert "installed but not running" in info.value.message
        assert "Start" in info.value.hint or "start" in info.value.hint
    else:
        assert "https://ollama.com/download" in info.value.hint
    with pytest.raises(expected):
        client.list_models()  # every request says the same


def test_windows_hint_names_the_start_menu(monkeypatch):
    from engine.ollama import errors

    monkeypatch.setattr(errors.platform, "system", lambda: "Windows")
    assert "Start menu" in errors.not_running("h", installed=True).hint


def test_something_else_on_the_port():
    class Other(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(404)
            self.send_header("Content-Length", "9")
            self.end_headers()
            self.wfile.write(b"not found")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Other)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(NotOllama) as info:
            OllamaClient(f"127.0.0.1:{server.server_address[1]}").version()
        assert "not Ollama" in info.value.message
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("0.12.6", (0, 12, 6)),
        ("0.5.5-rc1", (0, 5, 5)),
        ("v0.6", (0, 6, 0)),
        ("0.0.0", (10**6, 0, 0)),
    ],
)
def test_versions(text, parsed):
    assert parse_version(text) == parsed


def test_json_create_gate():
    assert not supports_json_create("0.5.4")
    assert supports_json_create("0.5.5") and supports_json_create("0.0.0")


def test_detect_per_os(tmp_path):
    local = tmp_path / "App Data 本地"
    exe = local / "Programs" / "Ollama" / "ollama.exe"
    env = {"LOCALAPPDATA": str(local), "PATH": ""}
    assert candidate_paths("Windows", env)[0] == exe
    assert find_ollama(system="Windows", environ=env) is None
    exe.parent.mkdir(parents=True)
    exe.write_bytes(b"MZ")
    assert find_ollama(system="Windows", environ=env) == exe
    assert is_installed(system="Windows", environ=env)
    assert str(candidate_paths("Darwin", {"HOME": "/Users/dk"})[0]) == "/Applications/Ollama.app"
    assert "/usr/local/bin/ollama" in [str(p) for p in candidate_paths("Linux", {})]


def test_detect_on_path(tmp_path):
    import os
    import stat

    exe = tmp_path / ("ollama.exe" if os.name == "nt" else "ollama")
    exe.write_text("#!/bin/sh\n", encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    assert find_ollama(system="Linux", environ={"PATH": str(tmp_path)}) == exe
