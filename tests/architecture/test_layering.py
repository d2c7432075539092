"""The import rules of the architecture, checked on the source and at run time.

- ``engine`` never imports Qt (PySide6/shiboken6) nor ``desktop``.
- Outside ``engine/train/`` the engine never imports torch/transformers/peft/accelerate,
  not even inside functions.
- ``desktop`` never imports torch/transformers/peft/llama_cpp directly.
- ``import engine`` and ``tuneforge inspect`` do not pull torch in at run time.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QT = {"PySide6", "shiboken6", "PyQt5", "PyQt6"}
HEAVY = {"torch", "transformers", "peft", "accelerate", "bitsandbytes"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", "") == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            roots.add(node.args[0].value.split(".")[0])
    return roots


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_there_is_code_to_check():
    assert len(python_files("engine")) > 5


@pytest.mark.parametrize("path", python_files("engine"), ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_imports(path):
    roots = imported_roots(path)
    rel = path.relative_to(ROOT).as_posix()
    assert not roots & QT, f"{rel} imports Qt"
    assert "desktop" not in roots, f"{rel} imports the GUI"
    if not rel.startswith("engine/train/"):
        assert not roots & HEAVY, f"{rel} imports {sorted(roots & HEAVY)} outside engine/train/"


@pytest.mark.parametrize("path", python_files("desktop"), ids=lambda p: str(p.relative_to(ROOT)))
def test_desktop_imports(path):
    roots = imported_roots(path)
    banned = (HEAVY | {"llama_cpp"}) & roots
    assert not banned, f"{path.relative_to(ROOT)} imports {sorted(banned)}; go through engine"


def _modules_after(code: str) -> set[str]:
    probe = code + "\nimport json, sys; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return {m.split(".")[0] for m in json.loads(out.strip().splitlines()[-1])}


def test_import_engine_and_cli_is_light():
    loaded = _modules_after(
        "import engine, engine.jobs, engine.inspect; from engine.cli.main import build_parser; build_parser()"
    )
    assert not loaded & (HEAVY | QT | {"llama_cpp"}), sorted(loaded & (HEAVY | QT | {"llama_cpp"}))


def test_inspect_command_does_not_import_torch(tmp_path):
    gguf = tmp_path / "m.gguf"
    from tests.engine.inspect.helpers import write_tiny_gguf

    write_tiny_gguf(gguf)
    code = (
        "import io, contextlib\nfrom engine.cli.main import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()): rc = main(['inspect', {str(gguf)!r}])\n"
        "assert rc == 0, rc"
    )
    loaded = _modules_after(code)
    assert not loaded & (HEAVY | QT), sorted(loaded & (HEAVY | QT))


# The engine's internal layer order: a package imports only packages of its own layer or
# below (lazy imports inside functions count too).
ENGINE_LAYERS = {
    "errors": 0,
    "formats": 0,
    "jobs": 0,
    "hf": 1,
    "convert": 2,
    "inspect": 2,
    "lora": 2,
    "template": 2,
    "modelfile": 2,
    "quant": 2,
    "ollama": 3,
    "chat": 3,
    "package": 4,
    "cli": 4,
}
# Import cycles between packages of one layer that are gone and must stay gone.
NO_CYCLES = (("convert", "inspect"), ("convert", "lora"))


def engine_imports(path: Path) -> set[str]:
    """The ``engine.<package>`` names ``path`` imports (anywhere in the file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        found.update(n.split(".")[1] for n in names if n.startswith("engine.") and "." in n)
    return found


def _package_of(path: Path) -> str:
    parts = path.relative_to(ROOT / "engine").parts
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


def _package_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in python_files("engine"):
        package = _package_of(path)
        edges.setdefault(package, set()).update(engine_imports(path) - {package})
    return edges


@pytest.mark.parametrize(
    "path",
    [p for p in python_files("engine") if _package_of(p) in ENGINE_LAYERS],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_engine_layer_order(path):
    package = _package_of(path)
    layer = ENGINE_LAYERS[package]
    above = {name for name in engine_imports(path) if ENGINE_LAYERS.get(name, -1) > layer}
    assert not above, f"{path.relative_to(ROOT)} ({package}) imports a higher layer: {above}"


def test_no_import_cycles_between_stages():
    edges = _package_edges()
    for a, b in NO_CYCLES:
        assert not (b in edges.get(a, set()) and a in edges.get(b, set())), f"{a} <-> {b}"


def test_layer_check_can_fail(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from engine.package import package_job\n", encoding="utf-8")
    assert engine_imports(probe) == {"package"}
