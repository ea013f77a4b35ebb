"""The conversation model: turns, failed answers, the bounded context and its summary, ids."""

from __future__ import annotations

import pytest

from twin_chat.memory import (
    Conversation,
    InvalidSessionIdError,
    Utterance,
    conversation_key,
    new_session_id,
    validate_session_id,
)
from twin_chat.memory.summary import MAX_NOTES, MAX_TOPICS

TOPICS = [
    "glaciers", "lighthouses", "volcanoes", "orchids", "submarines", "telescopes", "violins",
    "pyramids", "tornadoes", "penguins", "bicycles", "comets", "cathedrals", "dolphins",
    "earthquakes", "fireflies", "geysers", "harpsichords", "icebergs", "jellyfish", "kayaks",
    "lanterns", "meteorites", "nebulae", "observatories", "parrots", "quasars", "reindeer",
    "sandstorms", "tapestries",
]  # fmt: skip


def exchange(
    conversation: Conversation, n: int, *, recent: int = 4, keep: int = 200
) -> Conversation:
    topic = TOPICS[n % len(TOPICS)]
    return conversation.with_exchange(
        Utterance(f"What do you know about {topic}?", f"t{n}"),
        Utterance(f"Answer {n} about {topic}. A second sentence.", f"t{n}"),
        recent_turns=recent,
        max_turns=keep,
    )


def test_stored_form_round_trips() -> None:
    conversation = Conversation("session-0001")
    for n in range(7):
        conversation = exchange(conversation, n)
    conversation = conversation.with_unanswered(
        Utterance("Unanswered?", "t9"), recent_turns=4, max_turns=200
    )
    assert Conversation.from_bytes(conversation.to_bytes()) == conversation


def test_messages_alternate_and_a_failed_answer_is_marked() -> None:
    conversation = exchange(Conversation("session-0001"), 0)
    conversation = conversation.with_unanswered(
        Utterance("Still there?", "t1"), recent_turns=4, max_turns=200
    )
    messages = list(conversation.messages())
    assert [(m.role, m.unanswered) for m in messages] == [
        ("user", False),
        ("assistant", False),
        ("user", True),
    ]


def test_retrying_a_failed_question_replaces_it() -> None:
    question = Utterance("Still there?", "t1")
    conversation = Conversation("session-0001").with_unanswered(
        question, recent_turns=4, max_turns=200
    )
    again = conversation.with_unanswered(question, recent_turns=4, max_turns=200)
    assert again.turns == conversation.turns  # a second failure keeps one copy

    answered = again.with_exchange(
        Utterance("Still there?", "t2"), Utterance("Yes.", "t3"), recent_turns=4, max_turns=200
    )
    assert [(m.role, m.content, m.unanswered) for m in answered.messages()] == [
        ("user", "Still there?", False),
        ("assistant", "Yes.", False),
    ]


def test_unanswered_questions_are_not_sent_to_the_model() -> None:
    conversation = exchange(Conversation("session-0001"), 0)
    conversation = conversation.with_unanswered(
        Utterance("Lost?", "t1"), recent_turns=4, max_turns=200
    )
    context = conversation.context(4)
    assert [turn.user.content for turn in context.recent] == ["What do you know about glaciers?"]


def test_sixty_turns_keep_a_bounded_window_and_a_summary_of_early_topics() -> None:
    conversation = Conversation("session-0001")
    sizes = []
    for n in range(60):
        conversation = exchange(conversation, n)
        context = conversation.context(4)
        sizes.append(len(context.summary or "") + sum(len(t.user.content) for t in context.recent))
    context = conversation.context(4)
    assert [t.seq for t in context.recent] == [57, 58, 59, 60]
    assert context.summary is not None
    assert "Earlier in this conversation there were 56 exchange(s)" in context.summary
    for early in TOPICS[:5]:
        assert early in context.summary
    assert conversation.summary is not None
    assert len(conversation.summary.topics) <= MAX_TOPICS
    assert len(conversation.summary.notes) == MAX_NOTES
    # The context stops growing once the summary is full.
    assert max(sizes[30:]) <= sizes[29] + 200
    assert max(sizes) < 3000


def test_stored_turns_are_capped_and_the_dropped_ones_live_on_in_the_summary() -> None:
    conversation = Conversation("session-0001")
    for n in range(10):
        conversation = exchange(conversation, n, recent=2, keep=3)
    assert [turn.seq for turn in conversation.turns] == [8, 9, 10]
    assert conversation.summary is not None
    assert conversation.summary.through_seq == 8
    assert "glaciers" in conversation.summary.text()


def test_a_smaller_window_after_the_fact_is_summarised_on_the_fly() -> None:
    conversation = Conversation("session-0001")
    for n in range(6):
        conversation = exchange(conversation, n, recent=6)
    assert conversation.summary is None
    context = conversation.context(2)
    assert len(context.recent) == 2
    assert context.summary is not None
    assert "exchange(s)" in context.summary
    assert "glaciers" in context.summary


def test_new_session_ids_are_valid() -> None:
    session = new_session_id()
    assert validate_session_id(session) == session
    assert conversation_key(session) == f"conversations/{session}.json"


@pytest.mark.parametrize(
    "bad",
    ["../x", "a/b", "../../etc/passwd", "x" * 65, "short", "abc def12", "abcdefgh.json",
     "abcd\\efgh", "abcdefgh\x00", "", "%2e%2e%2fabcd", "abcdéfghi"],
)  # fmt: skip
def test_session_ids_with_path_tricks_are_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(InvalidSessionIdError) as caught:
        conversation_key(bad)
    assert [issue.field for issue in caught.value.issues] == ["session_id"]
    assert caught.value.status == 422
