"""Shared fixtures for all tests; they live in tests/fixtures/ (see conftest_plugin.py)."""

import os
import sys
import tempfile
from pathlib import Path

# Tests never write into the real user's settings, data or log folders: everything of
# Tuneforge's lives under a throw-away TUNEFORGE_HOME (child processes inherit it).
_TEST_HOME = tempfile.mkdtemp(prefix="tuneforge-test-home-")
os.environ["TUNEFORGE_HOME"] = _TEST_HOME
os.environ["TUNEFORGE_LOG_DIR"] = os.path.join(_TEST_HOME, "logs")

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:  # make `tests.fixtures` importable whatever pytest's rootdir/import mode
    sys.path.insert(0, _ROOT)

from tests.fixtures.conftest_plugin import (  # noqa: E402,F401
    llama_reference_gguf,
    llama_src_dir,
    tiny_family,
    tiny_lora_adapter,
    tiny_lora_adapters,
    tiny_model,
    tiny_models,
    tiny_models_root,
)
