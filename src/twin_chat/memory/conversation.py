"""One conversation: its turns, its running summary, and the JSON it is stored as.

A turn is a visitor's message and the twin's answer, stored together by one
conditional write once the answer exists, so concurrent requests to one
session interleave whole exchanges, never half ones. A turn whose answer
failed keeps the message with ``assistant=None`` (shown in the history, not
sent to the model); retrying the same message replaces it.

Everything here is a pure function of its inputs, as
:func:`foundation.objectstore.update_object` requires of a mutation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal

from twin_chat.memory.summary import RunningSummary

FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Utterance:
    content: str
    timestamp: str  # ISO-8601 UTC


@dataclass(frozen=True, slots=True)
class Turn:
    seq: int
    user: Utterance
    assistant: Utterance | None = None

    @property
    def answered(self) -> bool:
        return self.assistant is not None


@dataclass(frozen=True, slots=True)
class HistoryMessage:
    role: Literal["user", "assistant"]
    content: str
    timestamp: str
    unanswered: bool = False


@dataclass(frozen=True, slots=True)
class ConversationContext:
    """What the model sees of a conversation: a summary of old turns, the recent ones verbatim."""

    summary: str | None
    recent: tuple[Turn, ...]


def fold_old_turns(
    summary: RunningSummary | None, turns: tuple[Turn, ...], recent_turns: int
) -> RunningSummary | None:
    """``summary`` with every answered turn before the last ``recent_turns`` folded in."""
    answered = [(turn, turn.assistant) for turn in turns if turn.assistant is not None]
    older = answered[: max(0, len(answered) - recent_turns)]
    through = summary.through_seq if summary else 0
    for turn, answer in older:
        if turn.seq > through:
            summary = (summary or RunningSummary()).add(turn.seq, turn.user.content, answer.content)
    return summary


@dataclass(frozen=True, slots=True)
class Conversation:
    session_id: str
    turns: tuple[Turn, ...] = ()
    summary: RunningSummary | None = None
    next_seq: int = 1
    created_at: str = ""
    updated_at: str = ""

    def messages(self) -> Iterator[HistoryMessage]:
        """Every stored message in order; a question whose answer failed is marked unanswered."""
        for turn in self.turns:
            yield HistoryMessage("user", turn.user.content, turn.user.timestamp, not turn.answered)
            if turn.assistant is not None:
                yield HistoryMessage("assistant", turn.assistant.content, turn.assistant.timestamp)

    def context(self, recent_turns: int) -> ConversationContext:
        """The last ``recent_turns`` answered turns and a summary of every answered turn before."""
        answered = tuple(turn for turn in self.turns if turn.answered)
        summary = fold_old_turns(self.summary, self.turns, recent_turns)
        recent = answered[-recent_turns:] if recent_turns else ()
        return ConversationContext(summary.text() if summary else None, recent)

    def with_exchange(
        self, user: Utterance, assistant: Utterance, *, recent_turns: int, max_turns: int
    ) -> Conversation:
        """This conversation with one answered exchange appended (replacing a failed try of it)."""
        turns = (*self._without_failed(user.content), Turn(self.next_seq, user, assistant))
        return self._changed(turns, user.timestamp, recent_turns, max_turns)

    def with_unanswered(
        self, user: Utterance, *, recent_turns: int, max_turns: int
    ) -> Conversation:
        """This conversation with a question whose answer failed (kept once, however often)."""
        if any(not t.answered and t.user.content == user.content for t in self.turns):
            return self
        turns = (*self.turns, Turn(self.next_seq, user))
        return self._changed(turns, user.timestamp, recent_turns, max_turns)

    def _without_failed(self, content: str) -> tuple[Turn, ...]:
        return tuple(t for t in self.turns if t.answered or t.user.content != content)

    def _changed(
        self, turns: tuple[Turn, ...], now: str, recent_turns: int, max_turns: int
    ) -> Conversation:
        summary = fold_old_turns(self.summary, turns, recent_turns)
        # Turns beyond max_turns are already in the summary (max_turns >= recent_turns).
        return replace(
            self,
            turns=turns[-max_turns:],
            summary=summary,
            next_seq=self.next_seq + 1,
            created_at=self.created_at or now,
            updated_at=now,
        )

    # -- storage ------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        document = {
            "format": FORMAT_VERSION,
            "session_id": self.session_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "next_seq": self.next_seq,
            "summary": self.summary.to_json() if self.summary else None,
            "turns": [_turn_to_json(turn) for turn in self.turns],
        }
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Conversation:
        document: dict[str, Any] = json.loads(data)
        summary = document.get("summary")
        return cls(
            session_id=str(document["session_id"]),
            turns=tuple(_turn_from_json(item) for item in document.get("turns", [])),
            summary=RunningSummary.from_json(summary) if summary else None,
            next_seq=int(document.get("next_seq", 1)),
            created_at=str(document.get("created_at", "")),
            updated_at=str(document.get("updated_at", "")),
        )


def _utterance_to_json(utterance: Utterance) -> dict[str, str]:
    return {"content": utterance.content, "timestamp": utterance.timestamp}


def _turn_to_json(turn: Turn) -> dict[str, Any]:
    return {
        "seq": turn.seq,
        "user": _utterance_to_json(turn.user),
        "assistant": _utterance_to_json(turn.assistant) if turn.assistant else None,
    }


def _turn_from_json(item: dict[str, Any]) -> Turn:
    assistant = item.get("assistant")
    return Turn(
        seq=int(item["seq"]),
        user=Utterance(str(item["user"]["content"]), str(item["user"]["timestamp"])),
        assistant=Utterance(str(assistant["content"]), str(assistant["timestamp"]))
        if assistant
        else None,
    )


__all__ = [
    "FORMAT_VERSION",
    "Conversation",
    "ConversationContext",
    "HistoryMessage",
    "Turn",
    "Utterance",
    "fold_old_turns",
]
