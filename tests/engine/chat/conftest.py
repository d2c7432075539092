"""Fixtures: the Ollama test double (tests/ollama_double)."""

from tests.ollama_double.fixtures import *  # noqa: F403
