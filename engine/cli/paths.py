"""Path checks shared by the commands: say what the path is and what to do with it."""

from __future__ import annotations

from pathlib import Path

from engine.errors import InputError


def check_gguf_file(path: Path) -> None:
    """``chat --gguf PATH``: a file, not a folder, and there."""
    path = Path(path)
    if path.is_dir():
        found = sorted(p.name for p in path.glob("*.gguf"))[:3]
        pick = f" or pick the .gguf inside it ({', '.join(found)})" if found else ""
        raise InputError(
            "this is a folder; --gguf takes a .gguf file",
            path=path,
            hint=f'Convert the model folder first (`tuneforge convert "{path}"`){pick}.',
        )
    if not path.exists():
        raise InputError(
            "the GGUF file does not exist",
            path=path,
            hint="Check the path (put quotes around a path with spaces); "
            "`tuneforge convert MODEL_DIR` makes a .gguf from a model folder.",
        )


def check_model_path(path: Path) -> None:
    """A model folder or .gguf given to modelfile / template: it must be there."""
    if not Path(path).exists():
        raise InputError(
            "no such file or folder",
            path=path,
            hint="Check the path: a model folder (with config.json) or a .gguf file. "
            "Put quotes around a path with spaces.",
        )


def check_gguf_input(path: Path) -> None:
    """``quantize IN.gguf``: a file that is there, not a model folder."""
    path = Path(path)
    if path.is_dir():
        raise InputError(
            "this is a folder; quantize takes a .gguf file",
            path=path,
            hint=f'For a model folder use `tuneforge convert "{path}" --type TYPE`: it '
            "converts and quantizes in one pass.",
        )
    if not path.exists():
        raise InputError(
            "the GGUF file does not exist",
            path=path,
            hint="Check the path (put quotes around a path with spaces).",
        )
