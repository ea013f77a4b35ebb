"""Conversations in the memory bucket, one object per session, changed only by conditional puts.

Every change goes through :func:`foundation.objectstore.update_object`: read
the object and its etag, apply a pure change, write only if the etag is still
the same, retry with jittered backoff when another request won the race. So
concurrent requests to one session never lose a message.
"""

from __future__ import annotations

from collections.abc import Callable

from foundation.health import HealthStatus
from foundation.objectstore import ObjectNotFoundError, ObjectStore, update_object
from twin_chat.memory.conversation import Conversation, Utterance
from twin_chat.memory.exceptions import ConversationNotFoundError
from twin_chat.memory.session import conversation_key

CONTENT_TYPE = "application/json"
# Enough for dozens of writers on one session: backoff spreads them over about a second.
MAX_UPDATE_ATTEMPTS = 40


class ConversationStore:
    """Reads and changes conversations; thread-safe (all state is in the object store)."""

    def __init__(self, store: ObjectStore, *, recent_turns: int, max_turns: int) -> None:
        if max_turns < recent_turns:
            raise ValueError(f"max_turns ({max_turns}) must be >= recent_turns ({recent_turns})")
        self.store = store
        self.recent_turns = recent_turns
        self.max_turns = max_turns

    def find(self, session_id: str) -> Conversation | None:
        """The conversation, or None if the session has none."""
        try:
            stored = self.store.get(conversation_key(session_id))
        except ObjectNotFoundError:
            return None
        return Conversation.from_bytes(stored.body)

    def get(self, session_id: str) -> Conversation:
        """The conversation; ConversationNotFoundError if the session has none."""
        conversation = self.find(session_id)
        if conversation is None:
            raise ConversationNotFoundError(session_id)
        return conversation

    def record_exchange(
        self, session_id: str, user: Utterance, assistant: Utterance
    ) -> Conversation:
        """Append a question and its answer in one conditional write."""
        return self._update(
            session_id,
            lambda conversation: conversation.with_exchange(
                user, assistant, recent_turns=self.recent_turns, max_turns=self.max_turns
            ),
        )

    def record_unanswered(self, session_id: str, user: Utterance) -> Conversation:
        """Keep a question whose answer failed, so the visitor's words are not lost."""
        return self._update(
            session_id,
            lambda conversation: conversation.with_unanswered(
                user, recent_turns=self.recent_turns, max_turns=self.max_turns
            ),
        )

    def delete(self, session_id: str) -> None:
        """Forget the session's conversation; forgetting an absent one succeeds."""
        self.store.delete(conversation_key(session_id), all_versions=True)

    def check(self) -> HealthStatus:
        return self.store.check()

    def _update(
        self, session_id: str, change: Callable[[Conversation], Conversation]
    ) -> Conversation:
        result: list[Conversation] = []

        def mutate(current: bytes | None) -> bytes:
            before = (
                Conversation(session_id) if current is None else Conversation.from_bytes(current)
            )
            after = change(before)
            result[:] = [after]  # the last call's value is the one that was written
            return after.to_bytes()

        update_object(
            self.store,
            conversation_key(session_id),
            mutate,
            max_attempts=MAX_UPDATE_ATTEMPTS,
            content_type=CONTENT_TYPE,
        )
        return result[0]


__all__ = ["CONTENT_TYPE", "MAX_UPDATE_ATTEMPTS", "ConversationStore"]
