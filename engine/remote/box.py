"""Box management: add (with host-key pinning), remove, check (GPUs, disk, Python, runtime)
and setup (the training runtime, from :mod:`engine.runtime.plan`)."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine.remote.boxes import (
    Box,
    forget_password,
    get_box,
    load_boxes,
    save_boxes,
    store_password,
)
from engine.remote.errors import DiskFull, NoGpu, RemoteCommandFailed
from engine.remote.runs import runtime_python, work_dir
from engine.remote.ssh import (
    Connection,
    fingerprint,
    quote_command,
    scan_host_key,
    trust_host_key,
)
from engine.remote.transfer import check_cancel, makedirs, upload_file
from engine.runtime.plan import RuntimePlan, build_wheel, lock_pins, source_root, wheel_name

MIN_FREE_GB = 5.0


def add_box(*, box: Box, password: str | None = None,
            confirm: Callable[[str], bool] = lambda _fp: True) -> Box:  # fmt: skip
    """Show the host key to ``confirm`` (gets the fingerprint); pin it, save the box, test login."""
    key = scan_host_key(host=box.host, port=box.port)
    fp = f"{key.get_name()} {fingerprint(key)}"
    if not confirm(fp):
        from engine.remote.errors import HostKeyUnknown

        raise HostKeyUnknown("host key not trusted; nothing saved", box=box.name, host=box.host)
    trust_host_key(box, key)
    box = replace(box, has_password=password is not None)
    if password is not None:
        store_password(box.name, password)
    try:
        with Connection(box) as conn:
            conn.run(["true"])
    except Exception:
        if password is not None and box.name not in load_boxes():
            forget_password(box.name)
        raise
    boxes = load_boxes()
    boxes[box.name] = box
    save_boxes(boxes)
    return box


def remove_box(name: str) -> None:
    boxes = load_boxes()
    get_box(name)
    del boxes[name]
    save_boxes(boxes)
    forget_password(name)


@dataclass(frozen=True, kw_only=True)
class BoxReport:
    gpus: tuple[dict[str, Any], ...]
    driver: str | None
    cuda: str | None
    free_gb: float
    work_dir: str
    python: str | None
    runtime: str | None  # installed engine version, None when there is no runtime

    def to_dict(self) -> dict[str, Any]:
        return {"gpus": list(self.gpus), "driver": self.driver, "cuda": self.cuda,
                "free_gb": self.free_gb, "work_dir": self.work_dir, "python": self.python,
                "runtime": self.runtime}  # fmt: skip


def check_box(conn: Connection) -> BoxReport:
    work = work_dir(conn)
    makedirs(conn, work)
    gpus: list[dict[str, Any]] = []
    driver = cuda = None
    smi = conn.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version",
                    "--format=csv,noheader,nounits"], check=False)  # fmt: skip
    if smi.rc == 0:
        for line in smi.stdout.strip().splitlines():
            name, mem, driver = (part.strip() for part in line.split(","))
            gpus.append({"name": name, "memory_mb": int(float(mem))})
        head = conn.run(["nvidia-smi"], check=False).stdout
        if "CUDA Version:" in head:
            cuda = head.split("CUDA Version:")[1].split()[0]
    df = conn.run(["df", "-Pk", "--", work]).stdout.strip().splitlines()[-1].split()
    free_gb = round(int(df[3]) / 2**20, 1)
    py = runtime_python(conn)
    version = conn.run([py, "-c", "import engine; print(engine.__version__)"], check=False)
    base_py = conn.run([py if conn.box.python else "python3", "--version"], check=False)
    return BoxReport(gpus=tuple(gpus), driver=driver, cuda=cuda, free_gb=free_gb, work_dir=work,
                     python=(base_py.stdout or base_py.stderr).strip() or None,
                     runtime=version.stdout.strip() if version.rc == 0 else None)  # fmt: skip


def require_trainable(report: BoxReport, *, box: str, need_gpu: bool) -> None:
    if report.free_gb < MIN_FREE_GB:
        raise DiskFull(f"only {report.free_gb} GB free in {report.work_dir} on {box}", box=box,
                       hint=f"Free at least {MIN_FREE_GB} GB or choose another --work-dir.")  # fmt: skip
    if need_gpu and not report.gpus:
        raise NoGpu(f"{box} has no NVIDIA GPU (nvidia-smi not found or failed)", box=box,
                    hint="Rent a GPU instance, or train with --device cpu (slow).")  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class SetupOptions:
    """How ``remote setup`` builds the runtime (all optional; defaults suit a box with internet)."""

    index_url: str | None = None  # a package index or mirror
    hf_endpoint: str | None = None  # a Hugging Face mirror for the runs
    installer: str = "auto"  # auto (uv when the box has it), uv or pip
    base_python: str = "python3"  # the Python the venv is made from (e.g. the image's conda one)
    system_site_packages: bool = False  # reuse the torch the box's image ships
    find_links: tuple[str, ...] = ()  # folders of wheels on the box
    no_index: bool = False  # install only from those folders (an offline box)


def find_uv(conn: Connection) -> str | None:
    """``uv`` on the box: on PATH or where its installer puts it."""
    home = conn.home().rstrip("/")
    for candidate in ("uv", f"{home}/.local/bin/uv", f"{home}/.cargo/bin/uv"):
        if conn.run([candidate, "--version"], check=False).rc == 0:
            return candidate
    return None


def setup_box(conn: Connection, *, options: SetupOptions | None = None,
              on_line: Callable[[str], None] = print, wheel: Path | None = None,
              ctx: Any = None) -> RuntimePlan:  # fmt: skip
    """Install the runtime venv with this exact engine version (or just check ``--python``).
    ``ctx`` (a job context): a cancel kills the running install command on the box (its whole
    process group) and raises :class:`~engine.errors.JobCancelled`."""
    options = options or SetupOptions()
    work = work_dir(conn)
    makedirs(conn, work)
    remote_wheel = posixpath.join(work, "wheels", wheel_name())
    uv = None
    # uv does not count the base Python's packages as installed (it would fetch torch again),
    # so auto picks pip on top of --system-site-packages
    wants_uv = options.installer == "uv" or (
        options.installer == "auto" and not options.system_site_packages
    )
    if conn.box.python is None and wants_uv:
        uv = find_uv(conn)
        if uv is None and options.installer == "uv":
            raise RemoteCommandFailed(f"uv is not installed on {conn.box.name}", box=conn.box.name,
                                      hint="Install uv on the box, or use --installer pip.")  # fmt: skip
        if uv and options.system_site_packages:
            on_line("note: uv installs every requirement into the venv even when the base Python "
                    "has it (--installer pip reuses them)")  # fmt: skip
    plan = RuntimePlan(venv=posixpath.join(work, "runtime"), wheel=remote_wheel,
                       base_python=options.base_python, index_url=options.index_url,
                       hf_endpoint=options.hf_endpoint,
                       system_site_packages=options.system_site_packages,
                       find_links=tuple(conn.resolve(d) for d in options.find_links),
                       no_index=options.no_index, installer="uv" if uv else "pip", uv=uv or "uv",
                       pins=() if options.system_site_packages else lock_pins())  # fmt: skip
    if conn.box.python is None:
        if wheel is None:
            root = source_root()
            if root is None:
                raise RemoteCommandFailed("no engine wheel to install (not a source checkout)",
                                          box=conn.box.name)  # fmt: skip
            import tempfile

            wheel = build_wheel(root, Path(tempfile.mkdtemp(prefix="tuneforge-wheel-")))
        on_line(f"uploading {wheel.name}")
        upload_file(conn, wheel, remote_wheel, ctx=ctx)
        cancelled = None if ctx is None else (lambda: bool(ctx.cancelled))
        for argv in plan.commands():
            check_cancel(ctx)
            on_line("$ " + quote_command(argv))
            conn.run_lines(argv, on_line=lambda line: on_line("  " + line), timeout=3600,
                           cancelled=cancelled)  # fmt: skip
    installed = conn.run(
        [runtime_python(conn), "-c", "import engine, torch; print(engine.__version__)"], check=False
    )
    if installed.rc != 0:
        raise RemoteCommandFailed(f"the runtime on {conn.box.name} cannot import the engine and torch: "
                                  f"{(installed.stderr.strip().splitlines() or ['?'])[-1][-400:]}", box=conn.box.name)  # fmt: skip
    found = installed.stdout.strip().splitlines()[-1:] or ["?"]
    if found[0] != plan.version:  # runs must train with the engine this client speaks to
        raise RemoteCommandFailed(f"the runtime on {conn.box.name} has tuneforge {found[0]}, this is {plan.version}",
                                  box=conn.box.name, hint="Run `tuneforge remote setup` again"
                                  + (" or update that environment." if conn.box.python else "."))  # fmt: skip
    _write_settings(conn, plan)
    return plan


def _write_settings(conn: Connection, plan: RuntimePlan) -> None:
    import json

    path = posixpath.join(work_dir(conn), "runtime.json")
    with conn.sftp.open(path, "w") as handle:
        handle.write(json.dumps({"env": plan.environment(), "version": plan.version}).encode())


def runtime_env(conn: Connection) -> dict[str, str]:
    """``HF_ENDPOINT`` etc. chosen at setup, passed to every run."""
    import json

    try:
        with conn.sftp.open(posixpath.join(work_dir(conn), "runtime.json"), "r") as handle:
            return dict(json.loads(handle.read().decode()).get("env", {}))
    except (OSError, ValueError):
        return {}
