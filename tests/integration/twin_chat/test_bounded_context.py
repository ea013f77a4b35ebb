"""A long conversation does not grow the prompt: recent turns verbatim, a summary of the rest."""

from __future__ import annotations

from fastapi.testclient import TestClient

from foundation.llm import ChatRequest
from tests.integration.twin_chat.fakes import ScriptedModel

SESSION = "long-session-0001"
TOPICS = [
    "glaciers", "lighthouses", "volcanoes", "orchids", "submarines", "telescopes", "violins",
    "pyramids", "tornadoes", "penguins", "bicycles", "comets", "cathedrals", "dolphins",
    "earthquakes", "fireflies", "geysers", "harpsichords", "icebergs", "jellyfish",
]  # fmt: skip


def size(request: ChatRequest) -> int:
    return len(request.system or "") + sum(len(message.text) for message in request.messages)


def test_sixty_turns_keep_the_prompt_under_a_fixed_size(
    scripted_client: TestClient, model: ScriptedModel
) -> None:
    for turn in range(60):
        topic = TOPICS[turn % len(TOPICS)]
        response = scripted_client.post(
            "/api/chat",
            json={"message": f"Turn {turn}: what do you think of {topic}?", "session_id": SESSION},
        )
        assert response.status_code == 200, response.text
    sizes = [size(request) for request in model.requests]
    last = model.requests[-1]
    assert len(last.messages) == 2 * 12 + 1  # recent_turns exchanges and the new message
    assert last.messages[0].text.startswith("Turn 47:")
    assert last.system is not None
    assert "Summary of the earlier conversation" in last.system
    assert "glaciers" in last.system  # the first topic, 47 turns ago
    # Growth stops once the window is full; only the bounded summary is added.
    full_window = sizes[12]
    assert max(sizes) <= full_window + 2500
    assert sizes[59] - sizes[40] < 500

    history = scripted_client.get(f"/api/chat/history/{SESSION}").json()
    assert len(history["messages"]) == 120
    assert "glaciers" in history["summary"]
    assert "48 exchange(s)" in history["summary"]
