"""The import rules of the architecture, checked on the source and at run time.

- ``engine`` never imports Qt (PySide6/shiboken6) nor ``desktop``.
- Outside ``engine/train/`` the engine never imports torch/transformers/peft/accelerate,
  not even inside functions.
- ``desktop`` never imports torch/transformers/peft/llama_cpp directly.
- ``import engine`` and ``tuneforge inspect`` do not pull torch in at run time.
- Inside the engine, packages import only their own layer or lower ones (``ENGINE_LAYERS``:
  base < hf < stages < services < apps), and no packages import each other in a cycle.
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


# -- the engine's internal layer order ------------------------------------------------
# A package may import its own layer and the layers below it, never a layer above.
# Every engine package and top-level module must be listed (a new one fails the test
# until it is given a layer).
ENGINE_LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("base", frozenset({"errors", "formats", "jobs", "messages", "sizes", "logfile", "appdirs"})),
    ("hf", frozenset({"hf"})),
    (
        "stages",
        frozenset({"convert", "quant", "lora", "template", "modelfile", "inspect", "runtime"}),
    ),
    ("services", frozenset({"ollama", "chat", "remote"})),
    ("apps", frozenset({"package", "cli", "__main__", "selftest_model", "train"})),
)
# Import cycles between packages of one layer still to be removed (none: convert↔inspect,
# convert↔lora and convert↔quant are gone; the cycle test keeps them gone).
KNOWN_CYCLES_TO_REMOVE: frozenset[frozenset[str]] = frozenset()


def _layer_of(package: str) -> int:
    for index, (_, members) in enumerate(ENGINE_LAYERS):
        if package in members:
            return index
    raise AssertionError(
        f"engine/{package} has no layer: add it to ENGINE_LAYERS in {Path(__file__).name}"
    )


def engine_imports() -> list[tuple[str, int, str, str]]:
    """(file, line, importing package, imported package) for each cross-package import."""
    out = []
    for path in python_files("engine"):
        parts = path.relative_to(ROOT / "engine").with_suffix("").parts
        if parts == ("__init__",):
            continue
        source = parts[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module == "engine":
                    targets = [f"engine.{alias.name}" for alias in node.names]
                else:
                    targets = [node.module]
            for target in targets:
                pieces = target.split(".")
                if pieces[0] != "engine" or len(pieces) < 2 or pieces[1] == "__version__":
                    continue
                if pieces[1] != source:
                    rel = path.relative_to(ROOT).as_posix()
                    out.append((rel, node.lineno, source, pieces[1]))
    return out


def test_every_engine_package_has_a_layer():
    for _, _, source, target in engine_imports():
        _layer_of(source), _layer_of(target)


def test_engine_never_imports_upward():
    upward = [
        f"{rel}:{line}: {source} ({ENGINE_LAYERS[_layer_of(source)][0]}) imports engine."
        f"{target} ({ENGINE_LAYERS[_layer_of(target)][0]})"
        for rel, line, source, target in engine_imports()
        if _layer_of(target) > _layer_of(source)
    ]
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                item = stack.pop()
                group.append(item)
                if item == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_engine_packages_import_each_other_in_no_cycle():
    edges: dict[str, set[str]] = {}
    for _, _, source, target in engine_imports():
        if frozenset({source, target}) not in KNOWN_CYCLES_TO_REMOVE:
            edges.setdefault(source, set()).add(target)
    assert not _cycles(edges), f"import cycles between engine packages: {_cycles(edges)}"


def test_layer_check_finds_upward_imports_and_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    assert _layer_of("ollama") > _layer_of("modelfile") > _layer_of("errors")
