"""Chat messages (they live in :mod:`engine.messages`, shared with :mod:`engine.ollama`)."""

from engine.messages import (
    ROLES,
    ChatChunk,
    ChatMessage,
    ChatStats,
    as_messages,
    join_answer,
)

__all__ = ["ROLES", "ChatChunk", "ChatMessage", "ChatStats", "as_messages", "join_answer"]
