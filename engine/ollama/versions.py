"""Ollama versions and the features that depend on them."""

from __future__ import annotations

import re

# POST /api/create takes {"files", "template", …} from 0.5.5 on (api/types.go CreateRequest
# at v0.5.5); before, only {"name", "modelfile": "FROM @sha256:…"} (v0.5.4).
JSON_CREATE_SINCE = "0.5.5"
# The oldest server Tuneforge talks to: older ones cannot run the architectures we export
# (Llama 3.1 rope scaling arrived in 0.3.0) and lack `done_reason` in chat answers.
MIN_SUPPORTED = "0.3.0"
# `"think"` in /api/chat (api/types.go ChatRequest.Think) exists from 0.9.0 on.
THINK_SINCE = "0.9.0"

_DEV = (10**6, 0, 0)
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(text: str) -> tuple[int, int, int]:
    """``"0.12.6"`` → ``(0, 12, 6)``; ``"0.0.0"`` (a development build) sorts newest.

    Pre-release suffixes (``-rc1``) are ignored: an rc has the features of its release.
    Unreadable text also sorts newest: a version we cannot read is not "too old".
    """
    match = _VERSION.match(text.strip())
    if not match:
        return _DEV
    major, minor, patch = (int(g) if g else 0 for g in match.groups())
    if (major, minor, patch) == (0, 0, 0):
        return _DEV
    return major, minor, patch


def at_least(version: str, wanted: str) -> bool:
    return parse_version(version) >= parse_version(wanted)


def supports_json_create(version: str) -> bool:
    return at_least(version, JSON_CREATE_SINCE)
