"""Is the runtime there, complete and working? ``installed`` only when the final marker is
written, the engine inside is this version and every package imports in the runtime's own
Python (a deleted package shows up as ``broken``)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engine import __version__
from engine.runtime.layout import RuntimeLayout
from engine.runtime.lock import load_lock
from engine.runtime.process import clean_env

# Runs inside the runtime: imports each module and reports its version or the error.
PROBE = r"""
import importlib, json, sys
out = {}
for name in sys.argv[1:]:
    try:
        mod = importlib.import_module(name)
        out[name] = {"version": str(getattr(mod, "__version__", "?"))}
    except BaseException as exc:
        out[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
torch = sys.modules.get("torch")
if torch is not None and "version" in out.get("torch", {}):
    cuda = getattr(getattr(torch, "version", None), "cuda", None)
    out["torch"]["cuda"] = cuda
    try:
        out["torch"]["cuda_available"] = bool(torch.cuda.is_available()) if cuda else False
    except BaseException:
        out["torch"]["cuda_available"] = False
print("TUNEFORGE-PROBE " + json.dumps(out))
"""

MISSING, INCOMPLETE, BROKEN, OUTDATED, INSTALLED = (
    "missing",
    "incomplete",
    "broken",
    "outdated",
    "installed",
)


@dataclass(frozen=True, kw_only=True)
class RuntimeStatus:
    state: str  # missing | incomplete | broken | outdated | installed
    path: str
    python: str
    engine: str | None = None  # the engine version inside the runtime
    torch: str | None = None
    cuda: str | None = None  # the CUDA version torch was built for; None for CPU
    cuda_available: bool = False
    build: str | None = None  # "cpu", "cu128" …
    size_bytes: int = 0
    steps_done: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def installed(self) -> bool:
        return self.state == INSTALLED

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["installed"] = self.installed
        data["steps_done"] = list(self.steps_done)
        data["problems"] = list(self.problems)
        return data


def probe(python: Path, modules: list[str], *, timeout: float = 180) -> dict[str, dict[str, Any]]:
    """Import ``modules`` in the runtime's Python; {module: {"version"} or {"error"}}."""
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    try:
        proc = subprocess.run([str(python), "-c", PROBE, *modules], capture_output=True, text=True,
                              encoding="utf-8", errors="replace", timeout=timeout, env=clean_env(),
                              creationflags=flags, stdin=subprocess.DEVNULL)  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        return {m: {"error": f"the runtime's Python did not run: {exc}"} for m in modules}
    for line in proc.stdout.splitlines():
        if line.startswith("TUNEFORGE-PROBE "):
            result: dict[str, dict[str, Any]] = json.loads(line.split(" ", 1)[1])
            return result
    tail = (proc.stderr or proc.stdout).strip()[-300:]
    return {
        m: {"error": f"the runtime's Python failed (exit {proc.returncode}): {tail}"}
        for m in modules
    }


def runtime_status(layout: RuntimeLayout | None = None, *, check_imports: bool = True,
                   with_size: bool = True) -> RuntimeStatus:  # fmt: skip
    layout = layout or RuntimeLayout.default()
    base: dict[str, Any] = {"path": str(layout.root), "python": str(layout.python)}
    state_data = layout.read_state()
    done = tuple(state_data.get("done", ()))
    size = layout.size_bytes() if with_size and layout.root.exists() else 0
    marker = layout.read_marker()
    if marker is None:
        if not layout.root.exists() or not (done or layout.venv.exists()):
            return RuntimeStatus(state=MISSING, **base)
        return RuntimeStatus(state=INCOMPLETE, steps_done=done, size_bytes=size,
                             build=state_data.get("build"), **base,
                             problems=("the install was interrupted; run the install again to continue",))  # fmt: skip
    build_tag = str(marker.get("build", "cpu"))
    fields: dict[str, Any] = {"build": build_tag, "torch": marker.get("torch"), "cuda": marker.get("cuda"),
                              "engine": marker.get("engine"), "size_bytes": size, "steps_done": done}  # fmt: skip
    problems: list[str] = []
    if not layout.python.is_file():
        problems.append(f"the runtime's Python is missing ({layout.python})")
    elif check_imports:
        lock = load_lock()
        try:
            build = lock.build(build_tag)
            modules = ["engine", *lock.modules(build)]
        except Exception:
            modules = ["engine", *lock.probe_modules]
        found = probe(layout.python, modules)
        for name in modules:
            info = found.get(name, {"error": "not reported"})
            if "error" in info:
                problems.append(f"{name}: {info['error']}")
        torch_info = found.get("torch", {})
        if "version" in torch_info:
            fields.update(torch=torch_info["version"], cuda=torch_info.get("cuda"),
                          cuda_available=bool(torch_info.get("cuda_available")))  # fmt: skip
        if "version" in found.get("engine", {}):
            fields["engine"] = found["engine"]["version"]
    if problems:
        return RuntimeStatus(state=BROKEN, problems=tuple(problems), **fields, **base)
    if fields.get("engine") != __version__:
        return RuntimeStatus(state=OUTDATED, **fields, **base, problems=(
            f"the runtime has Tuneforge {fields.get('engine')}, this app is {__version__}: install again to update",))  # fmt: skip
    return RuntimeStatus(state=INSTALLED, **fields, **base)


def describe(status: RuntimeStatus) -> str:
    """A few lines for the CLI."""
    lines = [f"runtime: {status.state}", f"path: {status.path}"]
    if status.torch:
        lines.append(f"torch: {status.torch} ({'CUDA ' + status.cuda if status.cuda else 'CPU'})")
    if status.engine:
        lines.append(f"engine: {status.engine}")
    if status.size_bytes:
        from engine.sizes import format_size

        lines.append(f"size: {format_size(status.size_bytes)}")
    if status.steps_done and not status.installed:
        lines.append("steps done: " + ", ".join(status.steps_done))
    lines += [f"problem: {p}" for p in status.problems]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - a debugging aid
    print(json.dumps(runtime_status().to_dict(), indent=2), file=sys.stdout)
