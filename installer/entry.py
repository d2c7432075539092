"""The frozen app's one script, shared by both executables of the bundle.

``tuneforge-cli`` (console) runs :func:`desktop.launcher.cli`; ``Tuneforge`` (windowed)
runs :func:`desktop.launcher.gui`. The executable's own name decides, so one analysis
serves both (see ``installer/tuneforge.spec``).
"""

import os
import sys

from desktop.launcher import cli, gui

if __name__ == "__main__":
    name = os.path.splitext(os.path.basename(sys.executable))[0].lower()
    sys.exit(cli() if name.endswith("-cli") else gui())
