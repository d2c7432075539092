"""Tuneforge engine: everything that does work, with no GUI.

The core (inspect, convert, quantize, templates, Modelfile, Ollama client, chat)
imports neither torch nor transformers; only ``engine.train`` does, lazily.
"""

__version__ = "0.1.0"
