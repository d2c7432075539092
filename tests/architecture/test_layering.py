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
