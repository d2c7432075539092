"""One streaming chat interface over two backends: a model in Ollama, or a GGUF run by
llama.cpp in a child process (``child_backend``; a crash there is ``errors.NativeCrashError``).

Backends are imported lazily (``open_backend``) so ``import engine.chat`` stays light and
never loads llama.cpp.
"""

from engine.chat.base import ChatBackend, open_backend
from engine.chat.messages import ChatChunk, ChatMessage, ChatStats, as_messages, join_answer

__all__ = [
    "ChatBackend",
    "ChatChunk",
    "ChatMessage",
    "ChatStats",
    "as_messages",
    "join_answer",
    "open_backend",
]
