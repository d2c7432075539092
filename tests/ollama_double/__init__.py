"""An Ollama API test double (a real HTTP server, no model) and its pytest fixtures.

See :mod:`tests.ollama_double.server` for what it mimics and where it guesses.
"""

from tests.ollama_double.server import Faults, OllamaDouble, RecordedRequest

__all__ = ["Faults", "OllamaDouble", "RecordedRequest"]
