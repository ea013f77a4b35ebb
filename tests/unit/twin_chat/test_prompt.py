"""The system prompt: persona, style, rules, summary; bounded when the persona is large."""

from __future__ import annotations

from twin_chat.chat import build_request
from twin_chat.chat.prompt import persona_text
from twin_chat.memory import ConversationContext, Turn, Utterance
from twin_chat.persona import build_persona, sample_files


def test_prompt_holds_persona_style_rules_and_summary() -> None:
    persona = build_persona(
        sample_files()["me.txt"].read_text(), style=sample_files()["style.md"].read_text()
    )
    context = ConversationContext(
        "Earlier they asked about kelp.",
        (Turn(1, Utterance("Hi", "t"), Utterance("Hello!", "t")),),
    )
    request = build_request(
        persona, context, "Where did you grow up?", persona_chars=24_000, max_tokens=300
    )
    assert request.system is not None
    assert "You are the digital twin of Juniper Okonkwo-Hale" in request.system
    assert "in the first person" in request.system
    assert "never invent facts" in request.system
    assert "British spelling" in request.system  # the style guide
    assert "I grew up in Port Wren" in request.system
    assert "Earlier they asked about kelp." in request.system
    assert [m.role for m in request.messages] == ["user", "assistant", "user"]
    assert request.max_tokens == 300


def test_large_persona_is_cut_to_the_budget_keeping_the_passages_that_answer() -> None:
    filler = "\n\n".join(
        f"# Chapter {i}\nI once spent a long afternoon thinking about item number {i} "
        "and wrote several sentences about it that nobody needs."
        for i in range(400)
    )
    persona = build_persona(
        f"Name: Big Persona\n\n{filler}\n\n# Pets\nMy tortoise is called Gerald.\n"
    )
    assert len(persona.text()) > 20_000
    text = persona_text(persona, "What is your tortoise called?", 3000)
    assert len(text) <= 3000 + 200
    assert "My tortoise is called Gerald." in text
