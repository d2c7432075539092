"""``python -m desktop``: the same as ``tuneforge-gui`` (options, help and all)."""

import sys

from desktop.launcher import gui

sys.exit(gui())
