"""The offline twin: the right passage for a question, first person, honest when it doesn't know."""

from __future__ import annotations

import re

import pytest

from foundation.llm import ChatRequest, Message, OfflineChatModel, collect_stream
from twin_chat.chat import OFFLINE_NOTICE, PersonaPlanner
from twin_chat.persona import Persona, build_persona, sample_files
from twin_chat.text import sentences, stem

DONT_KNOW = "I don't know that: it isn't something I've shared."


@pytest.fixture(scope="module")
def persona() -> Persona:
    return build_persona(sample_files()["me.txt"].read_text())


@pytest.fixture
def planner(persona: Persona) -> PersonaPlanner:
    return PersonaPlanner(persona)


def ask(planner: PersonaPlanner, *turns: str) -> list[str]:
    """Each turn's answer, with the earlier turns as the conversation."""
    messages: list[Message] = []
    answers = []
    for text in turns:
        messages.append(Message.user(text))
        answer = planner.compose(ChatRequest(tuple(messages)))
        messages.append(Message.assistant(answer))
        answers.append(answer)
    return answers


@pytest.mark.parametrize(
    ("question", "section", "expected"),
    [
        ("Where did you grow up?", "Background", "I grew up in Port Wren"),
        ("Where are you from?", "Background", "I grew up in Port Wren"),
        ("What is your job?", "Career", "Head of Robotics at Tidewright Labs"),
        ("What do you do for fun?", "Hobbies", "In my free time I swim"),
        ("How can I get in touch with you?", "Contact", "The best way to reach me"),
        ("What did you study at university?", "Education", "mechanical engineering"),
        ("What do you think about remote work?", "Opinions", "On remote work"),
        ("Tell me about Selkie", "Projects", "Selkie is the project"),
        ("Do you have any pets?", "Background", "my cat, Bramble"),
        ("Are you married?", "Contact", "family life and my home address private"),
    ],
)
def test_question_is_answered_from_the_passage_that_covers_it(
    persona: Persona, planner: PersonaPlanner, question: str, section: str, expected: str
) -> None:
    best = persona.index.search(question)[0]
    assert best.passage.section == section
    assert best.coverage >= 0.5
    assert expected in planner.answer(question)


@pytest.mark.parametrize(
    "question",
    [
        "What is your blood type?",
        "Which football team do you support?",
        "What car do you drive?",
        "Have you ever been to Japan?",
        "How old are you?",
    ],
)
def test_question_the_persona_does_not_cover_gets_i_dont_know(
    planner: PersonaPlanner, question: str
) -> None:
    answer = planner.answer(question)
    assert answer.startswith(DONT_KNOW)
    assert "career" in answer  # and it says what the visitor could ask instead


def test_a_partly_matching_question_is_refused_rather_than_guessed(
    persona: Persona, planner: PersonaPlanner
) -> None:
    # "favourite" and "team" occur in the persona, "football" does not.
    matches = persona.index.search("What is your favourite football team?")
    assert matches and matches[0].coverage < 0.5
    assert planner.answer("What is your favourite football team?").startswith(DONT_KNOW)


@pytest.mark.parametrize(
    "question",
    ["Where did you grow up?", "What are your hobbies?", "Who are you?", "What is your job?"],
)
def test_answers_are_in_the_first_person(planner: PersonaPlanner, question: str) -> None:
    answer = planner.answer(question)
    assert re.search(r"\b(I|I'm|I've|my|me)\b", answer)
    assert not re.search(r"\b(Juniper|she|her) (is|was|has|grew)\b", answer)


def test_offline_notice_is_given_once_per_conversation(planner: PersonaPlanner) -> None:
    answers = ask(planner, "Hello!", "Where did you grow up?", "What are your hobbies?")
    assert answers[0].endswith(OFFLINE_NOTICE)
    assert "without a language model" in answers[0]
    assert all(OFFLINE_NOTICE not in answer for answer in answers[1:])


def test_are_you_an_ai_is_answered_honestly(planner: PersonaPlanner) -> None:
    answer = planner.answer("Are you a real person or a bot?")
    assert "digital twin" in answer
    assert "I'm not Juniper in person" in answer


def test_tell_me_more_continues_the_topic_without_repeating(planner: PersonaPlanner) -> None:
    answers = ask(planner, "What are your hobbies?", "Tell me more", "more", "more", "more")
    quoted = answers[:4]
    assert len(set(quoted)) == 4
    assert all("Port Wren" not in answer for answer in quoted)  # stays on hobbies
    assert answers[4].startswith("That's all I've written about that.")


def test_greeting_and_thanks_need_no_retrieval(planner: PersonaPlanner) -> None:
    assert planner.answer("Hi there").startswith("Hi, I'm Juniper!")
    assert planner.answer("Thanks a lot!").startswith("You're welcome")


def test_long_passage_is_quoted_by_its_best_sentences(planner: PersonaPlanner) -> None:
    persona = build_persona(
        "Name: Long Passage\n\n# Life\n"
        "I was born in a village. The village had a mill. The mill ground flour. "
        "Later I moved to the city. In the city I learned to play the oboe. "
        "The oboe is a difficult instrument. I practise every evening.\n"
    )
    answer = PersonaPlanner(persona).answer("Do you play the oboe?")
    assert "oboe" in answer
    assert len(sentences(answer)) == 3
    assert "mill" not in answer


def test_offline_model_streams_the_same_answer_it_gives_whole(planner: PersonaPlanner) -> None:
    model = OfflineChatModel(planner)
    request = ChatRequest((Message.user("Where did you grow up?"),))
    whole = model.converse(request).message.text
    assert collect_stream(model.stream(request)).message.text == whole
    assert "Port Wren" in whole


@pytest.mark.parametrize(
    ("words", "common"),
    [
        (("grew", "growing", "grow"), "grow"),
        (("hobbies", "hobby"), "hobby"),
        (("studied", "study"), "study"),
    ],
)
def test_word_forms_share_a_stem(words: tuple[str, ...], common: str) -> None:
    assert {stem(word) for word in words} == {common}
