"""Install, continue, repair and remove the local training runtime: a job ``(spec, ctx)``.

Steps ``venv`` → ``torch`` → ``packages`` → ``engine``, each recorded in
``install-state.json`` when it succeeds; an interrupted install (cancel, a crash, a closed
app) continues at the first unfinished step, and uv/pip reuse what they downloaded. Only
after every step and an import check is ``installed.json`` written: nothing claims
"installed" before that.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import __version__
from engine.runtime.commands import Installer, PackageSources, choose_installer, install_commands
from engine.runtime.errors import InstallerFailed, PreflightFailed, RuntimeSetupError
from engine.runtime.layout import RuntimeLayout
from engine.runtime.lock import LOCK_FILE, load_lock
from engine.runtime.plan import build_wheel, source_root, wheel_name
from engine.runtime.preflight import run_preflight
from engine.runtime.process import clean_env, run_logged
from engine.runtime.status import RuntimeStatus, probe, runtime_status

STEPS = ("venv", "torch", "packages", "engine")
ENGINE_WHEEL_ENV = "TUNEFORGE_ENGINE_WHEEL"
INSTALL_JOB = "engine.runtime.install:install_runtime"


@dataclass(frozen=True, kw_only=True)
class RuntimeInstallSpec:
    cuda: str = "auto"  # "auto", "cpu" or a CUDA tag of the lock ("cu128")
    index_url: str | None = None
    torch_index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    repair: bool = False  # reinstall every step (a deleted or damaged package)
    installer: str = "auto"  # "auto" (uv, else pip) | "uv" | "pip"
    wheel: Path | None = None  # the engine wheel; None: the bundled or a freshly built one
    root: Path | None = None  # the runtime folder; None: the app's data folder
    model_bytes: int = 0  # the base model's size, for the disk check
    check_disk: bool = True

    def sources(self) -> PackageSources:
        return PackageSources(index_url=self.index_url, torch_index_url=self.torch_index_url,
                              extra_index_urls=self.extra_index_urls, find_links=self.find_links,
                              no_index=self.no_index).with_env()  # fmt: skip

    def layout(self) -> RuntimeLayout:
        return RuntimeLayout(self.root) if self.root else RuntimeLayout.default()


def engine_wheel(layout: RuntimeLayout, given: Path | None = None) -> Path:
    """The engine wheel of this exact version: given, ``TUNEFORGE_ENGINE_WHEEL``, shipped in
    the bundle (``wheels/``), or built from this source checkout."""
    candidates = [
        given,
        Path(os.environ[ENGINE_WHEEL_ENV]) if os.environ.get(ENGINE_WHEEL_ENV) else None,
    ]
    if getattr(sys, "frozen", False):
        for folder in (Path(getattr(sys, "_MEIPASS", "")), Path(sys.executable).parent):
            candidates.append(folder / "wheels" / wheel_name())
    for candidate in candidates:
        if candidate is not None and candidate.is_file():
            return candidate
    root = source_root()
    if root is None:
        raise RuntimeSetupError("this Tuneforge has no engine wheel to put in the runtime",
                                hint="Reinstall Tuneforge, or install the training extra into this "
                                     "Python: pip install \"tuneforge[train]\".")  # fmt: skip
    return build_wheel(root, layout.wheels)


def _lock_digest() -> str:
    return hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()[:16]


def install_runtime(spec: RuntimeInstallSpec, ctx: Any) -> RuntimeStatus:
    layout = spec.layout()
    lock = load_lock()
    report = run_preflight(cuda=spec.cuda, layout=layout, model_bytes=spec.model_bytes,
                           free_bytes=None if spec.check_disk else 1 << 62)  # fmt: skip
    for problem in report.problems:
        (ctx.log if problem.blocking else ctx.warn)(f"{problem.message} {problem.hint}")
    blocking = [p for p in report.problems if p.blocking]
    if blocking or report.build is None:
        first = blocking[0]
        raise PreflightFailed(first.message, hint=first.hint, problem=first.code, path=layout.root)
    build = report.build
    installer = choose_installer(spec.installer, tools_dir=layout.root / "tools")
    ctx.log(
        f"runtime: {build.tag} build of torch {build.torch} with {installer.label} into {layout.root}"
    )

    marker = layout.read_marker()
    repair = spec.repair
    if marker is not None and not repair:
        current = runtime_status(layout)
        if (
            current.installed
            and marker.get("build") == build.tag
            and marker.get("lock") == _lock_digest()
        ):
            ctx.log("the runtime is already installed and working")
            return current
        if current.state == "broken":  # a plain install repairs (the packages look installed)
            ctx.warn("the runtime is broken (" + "; ".join(current.problems) + "): repairing it")
            repair = True
    layout.marker.unlink(missing_ok=True)  # changing it: it is not "installed" until the end

    state = layout.read_state()
    same = state.get("build") == build.tag and state.get("lock") == _lock_digest() and not repair
    done = list(state.get("done", [])) if same else []
    if not same and "venv" in state.get("done", []) and layout.python.is_file():
        done = ["venv"]  # a new build or a repair keeps the Python environment itself
    if marker is not None and marker.get("engine") != __version__:
        done = [s for s in done if s != "engine"]
    state = {"build": build.tag, "torch": build.torch, "lock": _lock_digest(), "done": done,
             "installer": installer.kind}  # fmt: skip
    layout.write_state(state)

    wheel = engine_wheel(layout, spec.wheel)
    commands = install_commands(installer=installer, lock=lock, build=build, sources=spec.sources(),
                                venv=layout.venv, python=layout.python, wheel=wheel, repair=repair,
                                base_python=_base_python(installer, lock.python))  # fmt: skip
    env = _installer_env(installer, layout)
    expected = lock.size_bytes(build)

    def tick() -> None:
        ctx.progress(
            "runtime", float(min(layout.size_bytes(), expected)), float(expected), unit="B"
        )

    for index, step in enumerate(STEPS):
        ctx.check_cancelled()
        if step in done:
            ctx.log(f"step {index + 1}/{len(STEPS)} {step}: already done")
            continue
        ctx.log(f"step {index + 1}/{len(STEPS)} {step}")
        if step == "venv" and layout.venv.exists():
            shutil.rmtree(layout.venv)  # a half-made environment is made again
        for cmd in commands.steps[step]:
            code, tail = run_logged(cmd, ctx=ctx, env=env, log_file=layout.log_file, on_tick=tick)
            if code != 0:
                raise InstallerFailed(f"installing the runtime failed at step {step!r} ({installer.label} exited {code})"
                                      + _reason(tail),
                                      hint=_hint(tail), step=step, output=tail[-1500:], path=layout.log_file)  # fmt: skip
        done.append(step)
        layout.write_state({**state, "done": done})
        tick()

    ctx.log("checking that every package imports…")
    modules = ["engine", *lock.modules(build)]
    found = probe(layout.python, modules)
    broken = [
        f"{m}: {found.get(m, {}).get('error')}"
        for m in modules
        if "error" in found.get(m, {"error": "?"})
    ]
    if broken:
        raise InstallerFailed("the runtime was installed but does not work: " + "; ".join(broken),
                              hint="Run the install again with repair; see the install log.", path=layout.log_file)  # fmt: skip
    torch_info = found.get("torch", {})
    layout.write_marker({"engine": __version__, "build": build.tag, "torch": torch_info.get("version"),
                         "cuda": torch_info.get("cuda"), "installer": installer.kind, "lock": _lock_digest(),
                         "installed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})  # fmt: skip
    ctx.progress("runtime", float(expected), float(expected), unit="B")
    ctx.log("the training runtime is installed")
    return runtime_status(layout, check_imports=False)


PYTHON_ENV = "TUNEFORGE_RUNTIME_PYTHON"  # the Python (path or version) the runtime is made from


def _base_python(installer: Installer, wanted: str) -> str:
    """A dev or pip-installed app makes the runtime from its own Python; the frozen app has
    none to offer, so uv finds (or downloads) the lock's version. ``TUNEFORGE_RUNTIME_PYTHON``
    chooses another (offline CI: a Python that is already there)."""
    override = os.environ.get(PYTHON_ENV)
    if override:
        return override
    return wanted if getattr(sys, "frozen", False) else sys.executable


def _installer_env(installer: Installer, layout: RuntimeLayout) -> dict[str, str]:
    extra = {"PIP_PROGRESS_BAR": "off", "PYTHONUTF8": "1"}
    if installer.kind == "uv":
        extra["UV_PYTHON_INSTALL_DIR"] = str(layout.managed_python)
    return clean_env(extra)


def _reason(tail: str) -> str:
    """uv's or pip's own error lines, for the message."""
    lines = [ln.strip() for ln in tail.splitlines()
             if ln.strip().lower().startswith(("error", "cause", "×", "╰─▶", "hint"))]  # fmt: skip
    return (": " + " ".join(lines[-4:]))[:600] if lines else ""


def _hint(tail: str) -> str:
    lower = tail.lower()
    if any(w in lower for w in ("connection", "timed out", "network", "dns", "failed to fetch")):
        return (
            "The package index could not be reached. Check the internet connection, or set a "
            "mirror (Settings, or --index-url / --torch-index-url), then install again: it continues."
        )
    if "no space" in lower or "disk" in lower:
        return (
            "The disk is full: free some space, then install again (it continues where it stopped)."
        )
    if (
        "no matching distribution" in lower
        or "not found in the package registry" in lower
        or "no solution" in lower
    ):
        return "A pinned package is not on the index: check --index-url / --torch-index-url (a mirror may lag behind)."
    return (
        "See the install log for uv/pip's own message; installing again continues where it stopped."
    )


def remove_runtime(root: Path | None = None) -> int:
    """Delete the runtime; returns the bytes freed."""
    layout = RuntimeLayout(root) if root else RuntimeLayout.default()
    size = layout.size_bytes() if layout.root.exists() else 0
    layout.marker.unlink(missing_ok=True)  # first: a half-removed runtime is never "installed"
    layout.remove()
    return size
