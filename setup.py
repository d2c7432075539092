"""Build hook: the wheel carries ``resources/`` (icons, styles, translations) as
``desktop/_resources``, so an app installed with pip or pipx finds them through its
package (``desktop.resources``). ``resources/`` stays the one home in the source tree;
the sdist ships it (MANIFEST.in) and the editable install reads it in place.

Everything else about the build is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

RESOURCES = Path(__file__).resolve().parent / "resources"
PACKAGED_AS = ("desktop", "_resources")
SHIPPED_SUFFIXES = {".qm", ".qss", ".json", ".svg", ".png", ".ico"}


class BuildPyWithResources(build_py):
    """``build_py`` plus a copy of the run-time resources into the built ``desktop``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads resources/ from the source tree
        target = Path(self.build_lib).joinpath(*PACKAGED_AS)
        if target.exists():
            shutil.rmtree(target)
        copied = 0
        for source in sorted(RESOURCES.rglob("*")):
            if source.is_file() and source.suffix.lower() in SHIPPED_SUFFIXES:
                destination = target / source.relative_to(RESOURCES)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination)
                copied += 1
        if not copied:
            raise SystemExit(f"no run-time resources found under {RESOURCES}")


setup(cmdclass={"build_py": BuildPyWithResources})
