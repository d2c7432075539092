"""OLLAMA_HOST parsing: Ollama's own cases (envconfig/config_test.go TestHost), then the
client-side mapping of unconnectable addresses (ConnectableHost)."""

from __future__ import annotations

import pytest

from engine.errors import InputError
from engine.ollama import parse_host, resolve_host

OLLAMA_CASES = {
    # value: what Ollama's Host() gives, after mapping bind-all/empty hosts to loopback
    "": "http://127.0.0.1:11434",
    "1.2.3.4": "http://1.2.3.4:11434",
    ":1234": "http://127.0.0.1:1234",  # Go: "http://:1234" (all interfaces) → loopback
    "1.2.3.4:1234": "http://1.2.3.4:1234",
    "example.com": "http://example.com:11434",
    "example.com:1234": "http://example.com:1234",
    ":66000": "http://127.0.0.1:11434",  # too large port → default
    ":-1": "http://127.0.0.1:11434",  # too small port → default
    "[::1]": "http://[::1]:11434",
    "[::]": "http://[::1]:11434",  # bind-all IPv6 → ::1
    "::1": "http://[::1]:11434",
    "[::1]:1337": "http://[::1]:1337",
    " 1.2.3.4 ": "http://1.2.3.4:11434",
    '"1.2.3.4"': "http://1.2.3.4:11434",
    ' " 1.2.3.4 " ': "http://1.2.3.4:11434",
    "'1.2.3.4'": "http://1.2.3.4:11434",
    "http://1.2.3.4": "http://1.2.3.4:80",  # with a scheme the port defaults to 80
    "http://1.2.3.4:4321": "http://1.2.3.4:4321",
    "https://1.2.3.4": "https://1.2.3.4:443",
    "https://1.2.3.4:4321": "https://1.2.3.4:4321",
    "https://example.com/ollama": "https://example.com:443/ollama",
    "ollama.com": "https://ollama.com:443",
    "0.0.0.0": "http://127.0.0.1:11434",
    "0.0.0.0:8080": "http://127.0.0.1:8080",
    "http://localhost": "http://localhost:80",
    "localhost:11434": "http://localhost:11434",
}


@pytest.mark.parametrize(("value", "expected"), OLLAMA_CASES.items(), ids=repr)
def test_parse_host_follows_ollama(value, expected):
    assert parse_host(value) == expected


def test_explicit_setting_wins_over_environment():
    env = {"OLLAMA_HOST": "10.0.0.5:9999"}
    assert resolve_host(None, environ=env) == "http://10.0.0.5:9999"
    assert resolve_host("  ", environ=env) == "http://10.0.0.5:9999"
    assert resolve_host("192.168.1.20", environ=env) == "http://192.168.1.20:11434"
    assert resolve_host(None, environ={}) == "http://127.0.0.1:11434"


def test_unknown_scheme_is_refused_with_a_hint():
    with pytest.raises(InputError) as info:
        parse_host("tcp://1.2.3.4:11434")
    assert "tcp" in info.value.message
    assert "http://" in info.value.hint
