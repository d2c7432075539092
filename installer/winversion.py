"""The Windows version resource of the executables (Explorer → Properties → Details).

PyInstaller reads it from a text file holding a ``VSVersionInfo(...)`` expression;
:func:`write_version_file` writes one for a version such as ``0.1.0`` or ``1.2.0rc1``.
"""

from __future__ import annotations

import re
from pathlib import Path

PRODUCT = "Tuneforge"
DESCRIPTION = "Tuneforge — your own model in Ollama"
COMPANY = "Tuneforge contributors"
COPYRIGHT = "MIT License, Tuneforge contributors"


def numeric_version(version: str) -> tuple[int, int, int, int]:
    """``1.2.3rc1`` → ``(1, 2, 3, 0)``: the four numbers Windows resources hold."""
    numbers = [int(n) for n in re.findall(r"\d+", version.split("+")[0])[:3]]
    numbers += [0] * (4 - len(numbers))
    return (numbers[0], numbers[1], numbers[2], numbers[3])


def dotted(version: str) -> str:
    return ".".join(str(n) for n in numeric_version(version))


def version_file_text(version: str) -> str:
    numbers = numeric_version(version)
    strings = {
        "CompanyName": COMPANY,
        "FileDescription": DESCRIPTION,
        "FileVersion": version,
        "InternalName": PRODUCT,
        "LegalCopyright": COPYRIGHT,
        "OriginalFilename": f"{PRODUCT}.exe",
        "ProductName": PRODUCT,
        "ProductVersion": version,
    }
    table = ",\n          ".join(f"StringStruct({k!r}, {v!r})" for k, v in strings.items())
    return f"""# UTF-8
VSVersionInfo(
  ffi=FixedFileInfo(
    filevers={numbers!r},
    prodvers={numbers!r},
    mask=0x3f,
    flags=0x0,
    OS=0x40004,
    fileType=0x1,
    subtype=0x0,
    date=(0, 0)
  ),
  kids=[
    StringFileInfo([
      StringTable('040904B0', [
          {table}
      ])
    ]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
"""


def write_version_file(path: Path, version: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(version_file_text(version), encoding="utf-8", newline="\n")
    return path
