"""Tuneforge desktop app (PySide6). Calls :mod:`engine` for all work; never the reverse."""
