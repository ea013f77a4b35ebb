"""Conversation memory: one object per session in the memory bucket, bounded for the model.

:class:`ConversationStore` keeps ``conversations/{session_id}.json`` and changes
it only through conditional puts, so concurrent requests never lose a message.
:class:`Conversation` holds every turn for the history, and gives the model the
last ``recent_turns`` turns verbatim plus a :class:`RunningSummary` of older
ones, kept in the same object, so a long conversation does not grow the prompt.
"""

from __future__ import annotations

from twin_chat.memory.conversation import (
    Conversation,
    ConversationContext,
    HistoryMessage,
    Turn,
    Utterance,
    fold_old_turns,
)
from twin_chat.memory.exceptions import ConversationNotFoundError, InvalidSessionIdError
from twin_chat.memory.session import (
    SESSION_ID_PATTERN,
    conversation_key,
    new_session_id,
    validate_session_id,
)
from twin_chat.memory.store import ConversationStore
from twin_chat.memory.summary import RunningSummary

__all__ = [
    "SESSION_ID_PATTERN",
    "Conversation",
    "ConversationContext",
    "ConversationNotFoundError",
    "ConversationStore",
    "HistoryMessage",
    "InvalidSessionIdError",
    "RunningSummary",
    "Turn",
    "Utterance",
    "conversation_key",
    "fold_old_turns",
    "new_session_id",
    "validate_session_id",
]
