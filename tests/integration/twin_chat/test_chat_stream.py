"""``POST /api/chat/stream``: session, tokens as they come, done with the stored answer."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.integration.twin_chat.events import parse_events

SESSION = "stream-session-0001"


def stream(
    client: TestClient, message: str, session_id: str | None = None
) -> list[tuple[str, dict[str, Any]]]:
    with client.stream(
        "POST", "/api/chat/stream", json={"message": message, "session_id": session_id}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-cache"
        return parse_events(response.read().decode())


def test_stream_sends_session_then_tokens_then_done(client: TestClient) -> None:
    events = stream(client, "What do you do for fun?")
    names = [name for name, _ in events]
    assert names[0] == "session"
    assert names[-1] == "done"
    assert set(names[1:-1]) == {"token"}
    assert len(names) > 10  # word by word, not one lump

    session_id = events[0][1]["session_id"]
    done = events[-1][1]
    tokens = "".join(data["text"] for name, data in events if name == "token")
    assert tokens == done["response"]
    assert "In my free time I swim" in tokens
    assert done["session_id"] == session_id
    assert done["timestamp"].endswith("Z")


def test_streamed_answer_is_stored_whole(client: TestClient) -> None:
    events = stream(client, "Where did you grow up?", SESSION)
    answer = events[-1][1]["response"]
    messages = client.get(f"/api/chat/history/{SESSION}").json()["messages"]
    assert [(m["role"], m["content"]) for m in messages] == [
        ("user", "Where did you grow up?"),
        ("assistant", answer),
    ]


def test_stream_and_plain_chat_share_the_conversation(client: TestClient) -> None:
    client.post("/api/chat", json={"message": "Hello!", "session_id": SESSION})
    events = stream(client, "What are your hobbies?", SESSION)
    assert "without a language model" not in events[-1][1]["response"]  # said once already
    assert len(client.get(f"/api/chat/history/{SESSION}").json()["messages"]) == 4
