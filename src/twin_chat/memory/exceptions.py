"""Errors raised by the conversation memory."""

from __future__ import annotations

from foundation.errors import FieldIssue, InvalidInputError, NotFoundError


class InvalidSessionIdError(InvalidInputError):
    """A session id that is not 8 to 64 letters, digits or hyphens (no path tricks)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, issues=[FieldIssue("session_id", detail)])


class ConversationNotFoundError(NotFoundError):
    """No conversation is stored for the session (never started, or forgotten)."""

    def __init__(self, session_id: str) -> None:
        super().__init__(f"no conversation for session_id {session_id!r}", session_id=session_id)


__all__ = ["ConversationNotFoundError", "InvalidSessionIdError"]
