"""Operating-system touches: reveal a file, find and start Ollama. No Qt widgets here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

OLLAMA_DOWNLOAD_URL = "https://ollama.com/download"


def reveal_command(path: Path) -> list[str]:
    """The command that shows ``path`` in the system file manager (selected where possible)."""
    path = Path(path)
    if sys.platform == "win32":
        # explorer wants "/select," glued to the path; it takes backslashes only.
        return ["explorer", f"/select,{os.path.normpath(path)}"]
    if sys.platform == "darwin":
        return ["open", "-R", str(path)]
    folder = path if path.is_dir() else path.parent
    return ["xdg-open", str(folder)]


def reveal_in_file_manager(path: Path) -> None:
    """Show in folder. Returns at once; never raises for a missing file manager."""
    try:
        subprocess.Popen(
            reveal_command(path),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
    except OSError:
        pass


def start_ollama(program: Path) -> None:
    """Start the Ollama server detached from the app (it keeps running when we exit).

    ``program`` is what ``engine.ollama.find_ollama`` found. On Windows the tray app
    next to ``ollama.exe`` is preferred: it starts the server the way users know it.
    """
    program = Path(program)
    tray = program.with_name("ollama app.exe")
    if sys.platform == "win32" and tray.is_file():
        program = tray
    if program.suffix == ".app":
        command = ["open", "-a", str(program)]
    elif program.name.lower() == "ollama app.exe":
        command = [str(program)]
    else:
        command = [str(program), "serve"]
    kwargs: dict[str, object] = {
        "stdin": subprocess.DEVNULL,
        "stdout": subprocess.DEVNULL,
        "stderr": subprocess.DEVNULL,
        "close_fds": True,
    }
    if sys.platform == "win32":
        kwargs["creationflags"] = subprocess.CREATE_NO_WINDOW | subprocess.DETACHED_PROCESS  # type: ignore[attr-defined]
    else:
        kwargs["start_new_session"] = True
    subprocess.Popen(command, **kwargs)  # type: ignore[call-overload]
