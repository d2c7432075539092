"""Keep the translations in step with the code (a developer tool, not used by the app).

    python -m desktop.translations_tool update    # code → resources/translations/*.ts
    python -m desktop.translations_tool compile   # *.ts → *.qm (what the app loads)

Uses ``pyside6-lupdate`` / ``pyside6-lrelease`` from PySide6-Essentials. Translate the
``.ts`` file with Qt Linguist (``pyside6-linguist``) or any text editor.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from desktop.resources import translations_dir

LANGUAGES = ("zh_CN",)
SOURCE_ROOT = Path(__file__).resolve().parent


def tool(name: str) -> str:
    """The path of ``pyside6-<name>`` next to this Python, or on PATH."""
    exe = f"pyside6-{name}" + (".exe" if sys.platform == "win32" else "")
    beside = Path(sys.executable).with_name(exe)
    found = str(beside) if beside.is_file() else shutil.which(exe)
    if not found:
        raise SystemExit(f"{exe} not found: install PySide6-Essentials")
    return found


def sources() -> list[Path]:
    return sorted(p for p in SOURCE_ROOT.rglob("*.py") if p.name != "translations_tool.py")


def ts_path(language: str) -> Path:
    return translations_dir() / f"tuneforge_{language}.ts"


def update(ts: Path | None = None, language: str = "zh_CN") -> Path:
    ts = ts or ts_path(language)
    files = [str(p.relative_to(SOURCE_ROOT.parent)) for p in sources()]
    subprocess.run(
        [
            tool("lupdate"),
            "-no-obsolete",
            "-locations",
            "absolute",
            "-target-language",
            language,
            *files,
            "-ts",
            str(ts),
        ],
        check=True,
        cwd=SOURCE_ROOT.parent,
        capture_output=True,
    )
    return ts


def compile_qm(ts: Path, qm: Path | None = None) -> Path:
    qm = qm or ts.with_suffix(".qm")
    subprocess.run(
        [tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True, capture_output=True
    )
    return qm


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    for language in LANGUAGES:
        if command == "update":
            print(update(language=language))
        elif command == "compile":
            print(compile_qm(ts_path(language)))
        else:
            print(__doc__)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
