"""The running summary of the exchanges that fell out of the model's window.

It is extractive and deterministic: the topics the visitor asked about (their
words, most mentioned kept first, earliest first among equals) and a condensed
line for each of the latest few summarised exchanges. Being a pure function of
the turns, it can be computed inside a conditional-put retry loop, and its
size is bounded whatever the length of the conversation. (A model-written
summary would cost a model call per folded turn, and could not run inside a
retried update.)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from twin_chat.text import content_words, sentences, shorten

MAX_TOPICS = 24
MAX_NOTES = 4
_QUESTION_CHARS = 100
_ANSWER_CHARS = 160
_MIN_TOPIC_CHARS = 3


@dataclass(frozen=True, slots=True)
class Topic:
    stem: str
    word: str
    mentions: int


@dataclass(frozen=True, slots=True)
class RunningSummary:
    """What happened before the verbatim window; ``through_seq`` is the last turn folded in."""

    turns: int = 0
    through_seq: int = 0
    topics: tuple[Topic, ...] = ()
    notes: tuple[str, ...] = ()

    def add(self, seq: int, question: str, answer: str) -> RunningSummary:
        """This summary with one more exchange folded in."""
        topics = {topic.stem: topic for topic in self.topics}
        for stem, word in content_words(question):
            if len(word) < _MIN_TOPIC_CHARS or word.isdigit():
                continue
            known = topics.get(stem)
            topics[stem] = (
                replace(known, mentions=known.mentions + 1) if known else Topic(stem, word, 1)
            )
        kept = list(topics.values())
        if len(kept) > MAX_TOPICS:
            # Most mentioned first; among equals, the earliest (dict order is first mention).
            ranked = sorted(range(len(kept)), key=lambda i: (-kept[i].mentions, i))[:MAX_TOPICS]
            kept = [kept[i] for i in sorted(ranked)]
        first_sentence = next(iter(sentences(answer)), answer)
        note = (
            f"They asked \u201c{shorten(question, _QUESTION_CHARS)}\u201d and I answered "
            f"\u201c{shorten(first_sentence, _ANSWER_CHARS)}\u201d"
        )
        return RunningSummary(
            turns=self.turns + 1,
            through_seq=max(self.through_seq, seq),
            topics=tuple(kept),
            notes=(*self.notes, note)[-MAX_NOTES:],
        )

    def text(self) -> str:
        """The summary as prose for the model's prompt and the history endpoint."""
        parts = [f"Earlier in this conversation there were {self.turns} exchange(s)."]
        if self.topics:
            parts.append("The visitor asked about: " + ", ".join(t.word for t in self.topics) + ".")
        if self.notes:
            parts.append("The most recent of them: " + "; ".join(self.notes) + ".")
        return " ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "turns": self.turns,
            "through_seq": self.through_seq,
            "topics": [[t.stem, t.word, t.mentions] for t in self.topics],
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunningSummary:
        return cls(
            turns=int(data["turns"]),
            through_seq=int(data["through_seq"]),
            topics=tuple(Topic(str(s), str(w), int(n)) for s, w, n in data.get("topics", [])),
            notes=tuple(str(note) for note in data.get("notes", [])),
        )


__all__ = ["MAX_NOTES", "MAX_TOPICS", "RunningSummary", "Topic"]
