"""Session ids: what a valid one looks like, a new one, and the object key it maps to."""

from __future__ import annotations

import re
import uuid

from twin_chat.memory.exceptions import InvalidSessionIdError

SESSION_ID_PATTERN = r"^[A-Za-z0-9-]{8,64}$"
_SESSION_ID = re.compile(r"[A-Za-z0-9-]{8,64}")
CONVERSATION_PREFIX = "conversations/"


def new_session_id() -> str:
    return str(uuid.uuid4())


def validate_session_id(session_id: str) -> str:
    """``session_id`` if it is 8 to 64 letters, digits or hyphens, else InvalidSessionIdError.

    The alphabet has no '/', '.' nor '\\', so an id can never name another key.
    """
    if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
        shown = repr(session_id[:70]) if isinstance(session_id, str) else type(session_id).__name__
        raise InvalidSessionIdError(
            f"session_id {shown} must be 8 to 64 letters, digits or hyphens"
        )
    return session_id


def conversation_key(session_id: str) -> str:
    return f"{CONVERSATION_PREFIX}{validate_session_id(session_id)}.json"


__all__ = [
    "CONVERSATION_PREFIX",
    "SESSION_ID_PATTERN",
    "conversation_key",
    "new_session_id",
    "validate_session_id",
]
