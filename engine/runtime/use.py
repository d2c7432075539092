"""Which Python runs training: this one when it has torch, else the local runtime's.

The frozen app (and a pip install without the ``train`` extra) has no torch; it starts the
runtime's Python on the same job child (``engine.jobs.child``), so training sends the same
NDJSON events as everywhere else.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from engine.runtime.errors import RuntimeMissing
from engine.runtime.layout import RuntimeLayout
from engine.runtime.process import clean_env
from engine.runtime.status import runtime_status

INSTALL_HINT = ("Set up training on this PC (Fine-tune → Set up training on this PC, or "
                "`tuneforge runtime install`), or train on a rented GPU box (Remote).")  # fmt: skip


FORCE_ENV = "TUNEFORGE_USE_RUNTIME"  # "1": train through the runtime even where torch is here


def has_local_torch() -> bool:
    if getattr(sys, "frozen", False) or os.environ.get(FORCE_ENV) == "1":
        return False
    return importlib.util.find_spec("torch") is not None


def needs_runtime() -> bool:
    return not has_local_torch()


def train_child(
    layout: RuntimeLayout | None = None,
) -> tuple[list[str] | None, dict[str, str] | None]:
    """(command, environment) for :func:`engine.jobs.run_in_child`; (None, None) means the
    default child of this interpreter. Raises :class:`RuntimeMissing` when training needs
    the runtime and it is not installed."""
    if has_local_torch():
        return None, None
    python, env = runtime_python(layout)
    return [python, "-m", "engine.jobs.child"], env


def training_python(layout: RuntimeLayout | None = None) -> tuple[str, dict[str, str] | None]:
    """(Python, environment) that runs training code directly (``accelerate launch`` of
    several processes): this interpreter (environment None: inherit) when it has torch,
    else the runtime's. Raises :class:`RuntimeMissing` like :func:`train_child`."""
    if has_local_torch():
        return sys.executable, None
    return runtime_python(layout)


def runtime_python(layout: RuntimeLayout | None = None) -> tuple[str, dict[str, str]]:
    """The installed runtime's Python and the clean environment to start it with."""
    layout = layout or RuntimeLayout.default()
    status = runtime_status(layout, with_size=False)  # imports each package: a broken one shows
    if not status.installed or not layout.python.is_file():
        detail = f" ({status.problems[0]})" if status.problems else ""
        raise RuntimeMissing(f"training on this PC needs the training runtime, which is {status.state}{detail}",
                             hint=INSTALL_HINT, path=layout.root)  # fmt: skip
    return str(layout.python), clean_env({"PYTHONUTF8": "1"})


def visible_gpu_count() -> int:
    """CUDA GPUs training would see, asked of the driver (NVML or ``nvidia-smi``), never of
    torch: this process may have none. ``CUDA_VISIBLE_DEVICES`` narrows it like CUDA does."""
    from engine.runtime.nvidia import detect

    found = len(detect().gpus)
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return found
    listed = []
    for item in visible.split(","):
        item = item.strip()
        if not item or item.startswith("-"):
            break  # CUDA stops at the first invalid entry
        listed.append(item)
    return min(found, len(listed))


CHECK_JOB = "engine.runtime.use:child_check_job"


def child_check_job(spec: object, ctx: object) -> dict[str, object]:
    """Runs in a training child: which Python, engine and torch it has (a check that the
    runtime starts the same child the app's training uses)."""
    import platform

    import engine

    info: dict[str, object] = {"python": sys.executable, "engine": engine.__version__,
                               "python_version": platform.python_version()}  # fmt: skip
    from importlib.metadata import PackageNotFoundError, version

    try:  # the installed distribution (no torch import outside engine/train)
        info["torch"] = version("torch")
    except PackageNotFoundError:
        info["torch"] = None
    return info
