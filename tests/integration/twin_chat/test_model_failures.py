"""When the language model fails, throttles or hangs: 503/429 with Retry-After, in time,
and the visitor's message is kept for a retry."""

from __future__ import annotations

from fastapi.testclient import TestClient

from foundation.llm import LlmRateLimitedError, LlmUnavailableError
from tests.integration.twin_chat.events import parse_events
from tests.integration.twin_chat.fakes import ScriptedModel

SESSION = "failing-session-01"


def history(client: TestClient) -> list[tuple[str, str, bool]]:
    body = client.get(f"/api/chat/history/{SESSION}").json()
    return [(m["role"], m["content"], m["unanswered"]) for m in body["messages"]]


def test_provider_outage_is_503_with_retry_after_and_the_question_is_kept(
    scripted_client: TestClient, model: ScriptedModel
) -> None:
    model.error = LlmUnavailableError("bedrock model 'm' failed (ServiceUnavailable): down")
    response = scripted_client.post(
        "/api/chat", json={"message": "Are you there?", "session_id": SESSION}
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert "ServiceUnavailable" in problem["detail"]
    assert "your message is saved" in problem["detail"]
    assert history(scripted_client) == [("user", "Are you there?", True)]


def test_retrying_the_same_message_replaces_the_unanswered_one(
    scripted_client: TestClient, model: ScriptedModel
) -> None:
    model.error = LlmUnavailableError("down")
    for _ in range(2):
        scripted_client.post("/api/chat", json={"message": "Are you there?", "session_id": SESSION})
    assert history(scripted_client) == [("user", "Are you there?", True)]

    model.error = None
    response = scripted_client.post(
        "/api/chat", json={"message": "Are you there?", "session_id": SESSION}
    )
    assert response.status_code == 200
    assert history(scripted_client) == [
        ("user", "Are you there?", False),
        ("assistant", response.json()["response"], False),
    ]


def test_unanswered_question_is_not_sent_to_the_model_later(
    scripted_client: TestClient, model: ScriptedModel
) -> None:
    model.error = LlmUnavailableError("down")
    scripted_client.post("/api/chat", json={"message": "Lost question", "session_id": SESSION})
    model.error = None
    scripted_client.post("/api/chat", json={"message": "New question", "session_id": SESSION})
    sent = [message.text for message in model.requests[-1].messages]
    assert sent == ["New question"]


def test_throttling_is_429_with_the_providers_retry_after(
    scripted_client: TestClient, model: ScriptedModel
) -> None:
    model.error = LlmRateLimitedError("bedrock throttled model 'm'", retry_after_seconds=7)
    response = scripted_client.post("/api/chat", json={"message": "Hi", "session_id": SESSION})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert history(scripted_client) == [("user", "Hi", True)]


def test_hanging_provider_is_cut_off_at_the_llm_timeout(
    scripted_client: TestClient, model: ScriptedModel
) -> None:
    model.hang = True  # waits up to 10 s; the app's llm_timeout_seconds is 0.5
    response = scripted_client.post("/api/chat", json={"message": "Hi", "session_id": SESSION})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "did not answer within 0.5 s" in response.json()["detail"]
    assert history(scripted_client) == [("user", "Hi", True)]


def test_stream_failing_midway_ends_with_an_error_event(
    scripted_client: TestClient, model: ScriptedModel
) -> None:
    model.fail_after_tokens = 2
    model.error = LlmUnavailableError("connection reset by provider")
    response = scripted_client.post(
        "/api/chat/stream", json={"message": "Tell me a story", "session_id": SESSION}
    )
    assert response.status_code == 200
    events = parse_events(response.text)
    assert [name for name, _ in events] == ["session", "token", "token", "error"]
    problem = events[-1][1]
    assert problem["status"] == 503
    assert problem["retry_after"] == 5
    assert "connection reset by provider" in problem["detail"]
    assert problem["request_id"] == response.headers["x-request-id"]
    assert history(scripted_client) == [("user", "Tell me a story", True)]


def test_stream_that_stalls_is_cut_off_at_the_llm_timeout(
    scripted_client: TestClient, model: ScriptedModel
) -> None:
    model.fail_after_tokens = 1
    model.hang = True
    response = scripted_client.post(
        "/api/chat/stream", json={"message": "Slow?", "session_id": SESSION}
    )
    events = parse_events(response.text)
    assert [name for name, _ in events] == ["session", "token", "error"]
    assert "did not answer within 0.5 s" in events[-1][1]["detail"]


def test_health_is_503_when_the_model_is_down(
    scripted_client: TestClient, model: ScriptedModel
) -> None:
    model.error = LlmUnavailableError("provider down")
    response = scripted_client.get("/api/health")
    assert response.status_code == 503
    checks = {check["name"]: check for check in response.json()["checks"]}
    assert not checks["llm"]["ok"]
    assert "provider down" in checks["llm"]["detail"]
    assert checks["memory bucket"]["ok"]
