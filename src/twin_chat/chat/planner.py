"""The offline twin: answers in the first person from the persona, without a language model.

It implements :class:`foundation.llm.offline.Planner` (no tools: ``plan`` is
always empty), so :class:`foundation.llm.OfflineChatModel` runs it behind the
same port as Bedrock or an OpenAI-compatible model. A few conversational moves
(greetings, thanks, "who are you", "are you an AI", "tell me more") have fixed
answers; any other question is answered with the persona passage that covers
it best, quoted in the persona's own first-person words, or with a plain "I
don't know" when no passage covers enough of it. The first answer of a
conversation says that the twin is running offline.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from foundation.llm import ChatRequest, PlannedCall
from twin_chat.persona import Persona
from twin_chat.persona.retrieval import concepts
from twin_chat.text import sentences, terms

# Share of a question's (rarity-weighted) concepts a passage must contain to answer it.
DEFAULT_THRESHOLD = 0.5
# Passages up to this many sentences are quoted whole; longer ones by their best window.
_WINDOW_SENTENCES = 3
_WHOLE_PASSAGE_SENTENCES = 4

OFFLINE_NOTICE = (
    "(I'm running offline, without a language model, so I answer with passages from what "
    "I've written about myself.)"
)

_GREETING = re.compile(
    r"^\W*(hi|hello|hey|hiya|greetings|good (morning|afternoon|evening))\b", re.I
)
_THANKS = re.compile(r"\b(thanks|thank you|cheers|much appreciated)\b", re.I)
_GOODBYE = re.compile(r"\b(bye|goodbye|see you|farewell|good night)\b", re.I)
_ARE_YOU_AI = re.compile(
    r"\bare you (an? )?(ai|a\.i\.|bot|robot|chat ?bot|real|human|person|machine|program|"
    r"language model|llm)\b",
    re.I,
)
_IDENTITY = re.compile(
    r"\bwho are you\b|\byour name\b|\bintroduce yourself\b|\babout yourself\b|"
    r"\bwho am i (talking|speaking) (to|with)\b",
    re.I,
)
_MORE = re.compile(r"\b(more|go on|continue|elaborate|and then|what else)\b", re.I)


class PersonaPlanner:
    """Offline answers for one persona version (cheap to build: the index is the persona's)."""

    def __init__(self, persona: Persona, *, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.persona = persona
        self.threshold = threshold

    def plan(self, request: ChatRequest) -> Sequence[PlannedCall]:
        return []

    def compose(self, request: ChatRequest) -> str:
        question = request.messages[-1].text
        answer = self.answer(question, _earlier_turns(request))
        first_answer = not any(message.role == "assistant" for message in request.messages)
        return f"{answer}\n\n{OFFLINE_NOTICE}" if first_answer else answer

    def answer(self, question: str, earlier: Sequence[tuple[str, str]] = ()) -> str:
        """The answer to ``question``; ``earlier`` holds the previous (question, answer) pairs."""
        has_content = bool(concepts(question))
        if _ARE_YOU_AI.search(question):
            return self._honest_identity()
        if _IDENTITY.search(question):
            return self._introduction()
        if not has_content:
            return self._small_talk(question, earlier)
        matches = self.persona.index.search(question)
        if not matches or matches[0].coverage < self.threshold:
            return self._unknown()
        return _best_window(matches[0].passage.text, question)

    def _small_talk(self, question: str, earlier: Sequence[tuple[str, str]]) -> str:
        if _MORE.search(question) and earlier:
            return self._more(earlier)
        if _THANKS.search(question):
            return "You're welcome! Ask me anything else you'd like to know."
        if _GOODBYE.search(question):
            return "Goodbye, and thanks for stopping by."
        if _GREETING.search(question):
            return f"Hi, I'm {self.persona.first_name}! {self._invitation()}"
        return f"What would you like to know about me? {self._invitation()}"

    def _more(self, earlier: Sequence[tuple[str, str]]) -> str:
        """A passage not quoted since the visitor last named a topic: the next best for that
        question, else the next one in the sections already quoted."""
        start = max((i for i, (q, _) in enumerate(earlier) if concepts(q)), default=0)
        topic = earlier[start][0]
        quoted = " ".join(_fingerprint(answer) for _, answer in earlier[start:])
        matches = self.persona.index.search(topic, limit=10)
        relevant = [m.passage for m in matches if m.coverage >= self.threshold]
        sections = {p.section for p in self.persona.passages if _fingerprint(p.text) in quoted}
        following = [p for p in self.persona.passages if p.section in sections]
        for passage in [*relevant, *following]:
            if _fingerprint(passage.text) not in quoted:
                return _best_window(passage.text, topic)
        return f"That's all I've written about that. {self._invitation()}"

    def _introduction(self) -> str:
        """The opening passage when it introduces the persona by name, else name and headline."""
        opening = self.persona.passages[0].text if self.persona.passages else ""
        if opening and self.persona.first_name in opening:
            return opening
        headline = self.persona.headline
        intro = f"I'm {self.persona.name}" + (
            f": {headline[:1].lower()}{headline[1:]}" if headline else ""
        )
        return f"{intro}. {opening}".strip()

    def _honest_identity(self) -> str:
        first = self.persona.first_name
        return (
            f"I'm {self.persona.name}'s digital twin: a program that answers in {first}'s own "
            f"words, from what {first} has written. I'm not {first} in person."
        )

    def _unknown(self) -> str:
        return f"I don't know that: it isn't something I've shared. {self._invitation()}"

    def _invitation(self) -> str:
        topics = self.persona.topics()
        if not topics:
            return "Ask me anything about myself."
        listed = ", ".join(topics[:-1]) + f" or {topics[-1]}" if len(topics) > 1 else topics[0]
        return f"You could ask me about my {listed}."


def _earlier_turns(request: ChatRequest) -> list[tuple[str, str]]:
    """The (question, answer) pairs before the latest message."""
    messages = request.messages[:-1]
    return [
        (question.text, answer.text)
        for question, answer in zip(messages[::2], messages[1::2], strict=False)
        if question.role == "user" and answer.role == "assistant"
    ]


def _fingerprint(text: str) -> str:
    return " ".join(text.split())


def _best_window(text: str, question: str) -> str:
    """The passage, or the run of sentences in it that shares the most with the question."""
    parts = sentences(text)
    if len(parts) <= _WHOLE_PASSAGE_SENTENCES:
        return " ".join(parts)
    wanted = concepts(question)
    scores = [
        sum(1 for concept in wanted if concept.members & set(terms(sentence))) for sentence in parts
    ]
    starts = range(len(parts) - _WINDOW_SENTENCES + 1)
    best = max(starts, key=lambda start: (sum(scores[start : start + _WINDOW_SENTENCES]), -start))
    return " ".join(parts[best : best + _WINDOW_SENTENCES])


__all__ = ["DEFAULT_THRESHOLD", "OFFLINE_NOTICE", "PersonaPlanner"]
