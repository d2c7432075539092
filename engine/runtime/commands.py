"""Where packages come from and the uv/pip command lines that install the runtime.

Sources: the package index (or a mirror), the PyTorch index (or a mirror), extra indexes,
find-links folders, or no index at all (an offline wheelhouse). Each can come from the
command line or from ``TUNEFORGE_RUNTIME_*`` variables, so CI and tests point uv and pip at
the same sources (uv does not read pip's configuration files). Commands are argument lists.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from engine.runtime.lock import Lock, TorchBuild

ENV_INDEX = "TUNEFORGE_RUNTIME_INDEX_URL"
ENV_TORCH_INDEX = "TUNEFORGE_RUNTIME_TORCH_INDEX_URL"
ENV_EXTRA_INDEX = "TUNEFORGE_RUNTIME_EXTRA_INDEX_URLS"  # space-separated
ENV_FIND_LINKS = "TUNEFORGE_RUNTIME_FIND_LINKS"  # space-separated
ENV_NO_INDEX = "TUNEFORGE_RUNTIME_NO_INDEX"  # "1"
ENV_UV = "TUNEFORGE_UV"  # path of uv, or "off" to use pip
ENGINE_DIST = "tuneforge"


@dataclass(frozen=True, kw_only=True)
class PackageSources:
    index_url: str | None = None  # None: PyPI
    torch_index_url: str | None = None  # None: the lock's (download.pytorch.org)
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False

    def with_env(self) -> PackageSources:
        """Fill what is not set from the ``TUNEFORGE_RUNTIME_*`` variables."""
        env = os.environ
        return PackageSources(
            index_url=self.index_url or env.get(ENV_INDEX) or None,
            torch_index_url=self.torch_index_url or env.get(ENV_TORCH_INDEX) or None,
            extra_index_urls=self.extra_index_urls or tuple(env.get(ENV_EXTRA_INDEX, "").split()),
            find_links=self.find_links or tuple(env.get(ENV_FIND_LINKS, "").split()),
            no_index=self.no_index or env.get(ENV_NO_INDEX, "") in ("1", "true", "yes"),
        )  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Installer:
    kind: str  # "uv" | "pip"
    uv: str | None = None
    base_python: str | None = None  # the Python a pip venv is made from

    @property
    def label(self) -> str:
        return "uv" if self.kind == "uv" else "pip"


UV_ARCHIVE = "uv.zip"  # the bundle ships uv zipped (16 MB instead of 38), unpacked on first use


def find_uv(tools_dir: Path | None = None) -> str | None:
    """uv: ``TUNEFORGE_UV``, the copy shipped in the bundle (``_internal/tools/uv.zip``,
    unpacked into ``tools_dir``), the ``uv`` package, or PATH."""
    override = os.environ.get(ENV_UV)
    if override:
        return None if override.lower() == "off" else override
    exe = "uv.exe" if sys.platform == "win32" else "uv"
    if getattr(sys, "frozen", False):
        for folder in (Path(getattr(sys, "_MEIPASS", "")), Path(sys.executable).parent):
            if (folder / exe).is_file():
                return str(folder / exe)
            archive = folder / "tools" / UV_ARCHIVE
            if archive.is_file() and tools_dir is not None:
                return str(unpack_uv(archive, tools_dir / exe))
    try:
        from uv import find_uv_bin  # type: ignore[import-not-found]

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    return shutil.which("uv")


def unpack_uv(archive: Path, target: Path) -> Path:
    """``target`` from the zipped uv (again when its size differs: a new app version)."""
    import zipfile

    from engine.jobs.atomic import atomic_file

    with zipfile.ZipFile(archive) as zipped:
        info = zipped.getinfo(target.name)
        if not (target.is_file() and target.stat().st_size == info.file_size):
            with atomic_file(target) as tmp:
                tmp.write_bytes(zipped.read(info))
    target.chmod(0o755)
    return target


def pack_uv(uv: Path, archive: Path) -> Path:
    """The bundle's ``uv.zip`` (build time)."""
    import zipfile

    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
        zipped.write(uv, uv.name)
    return archive


def choose_installer(preference: str = "auto", *, tools_dir: Path | None = None) -> Installer:
    uv = find_uv(tools_dir) if preference in ("auto", "uv") else None
    if uv:
        return Installer(kind="uv", uv=uv)
    if getattr(sys, "frozen", False):
        from engine.runtime.errors import RuntimeSetupError

        raise RuntimeSetupError("the installer tool uv is missing from this Tuneforge",
                                hint="Reinstall Tuneforge (its uv is part of the installer).")  # fmt: skip
    return Installer(kind="pip", base_python=sys.executable)


@dataclass(frozen=True, kw_only=True)
class CommandSet:
    """The commands of each install step, in order."""

    steps: dict[str, list[list[str]]] = field(default_factory=dict)


def _index_args(sources: PackageSources, *, torch_index: str | None, uv: bool) -> list[str]:
    if sources.no_index:
        return ["--no-index", *[a for f in sources.find_links for a in ("--find-links", f)]]
    args: list[str] = []
    if torch_index and uv:
        args += ["--index", torch_index]  # uv: before the default index for what it holds
    if sources.index_url:
        args += ["--index-url", sources.index_url]
    if torch_index and not uv:
        args += ["--extra-index-url", torch_index]
    for url in sources.extra_index_urls:
        args += ["--extra-index-url", url]
    for folder in sources.find_links:
        args += ["--find-links", folder]
    return args


def install_commands(*, installer: Installer, lock: Lock, build: TorchBuild, sources: PackageSources,
                     venv: Path, python: Path, wheel: Path, repair: bool = False,
                     base_python: str | None = None) -> CommandSet:  # fmt: skip
    """Steps ``venv``, ``torch``, ``packages``, ``engine``."""
    uv = installer.kind == "uv"
    # a mirror's URL may name the build as "{tag}" (…/whl/{tag} → …/whl/cu128)
    torch_index = (sources.torch_index_url or lock.torch_index).replace("{tag}", build.tag)
    requirements = lock.requirements(build)
    names = [
        r.split(";")[0].split("=")[0].split(">")[0].split("<")[0].strip() for r in requirements
    ]
    torch = f"torch=={build.torch}"
    if uv:
        assert installer.uv
        pip = [installer.uv, "pip", "install", "--python", str(python)]
        venv_cmd = [installer.uv, "venv", "--python", base_python or lock.python, str(venv)]
        torch_cmds = [[*pip, torch, *_index_args(sources, torch_index=torch_index, uv=True),
                       *(["--reinstall-package", "torch"] if repair else [])]]  # fmt: skip
        pkg_cmds = [[*pip, *requirements, *_index_args(sources, torch_index=None, uv=True),
                     *([a for n in names for a in ("--reinstall-package", n)] if repair else [])]]  # fmt: skip
        engine_cmds = [
            [*pip, "--no-deps", "--no-index", "--reinstall-package", ENGINE_DIST, str(wheel)]
        ]
    else:
        pip = [str(python), "-m", "pip", "install", "--isolated", "--disable-pip-version-check",
               "--progress-bar", "off"]  # fmt: skip
        venv_cmd = [base_python or installer.base_python or sys.executable, "-m", "venv", str(venv)]
        torch_cmds = [[*pip, torch, *_index_args(sources, torch_index=torch_index, uv=False),
                       *(["--force-reinstall", "--no-deps"] if repair else [])]]  # fmt: skip
        pkg_cmds = [[*pip, *requirements, *_index_args(sources, torch_index=None, uv=False)]]
        if repair:
            pkg_cmds.insert(0, [*pkg_cmds[0], "--force-reinstall", "--no-deps"])
        engine_cmds = [[*pip, "--no-deps", "--no-index", "--force-reinstall", str(wheel)]]
    return CommandSet(steps={"venv": [venv_cmd], "torch": torch_cmds, "packages": pkg_cmds,
                             "engine": engine_cmds})  # fmt: skip
