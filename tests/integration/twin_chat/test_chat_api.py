"""The twin's HTTP API on the real local adapters: chat, history, forget, limits, health."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from foundation.settings import Settings
from twin_chat.api.main import STATIC_DIR, create_app
from twin_chat.settings import TwinSettings

SESSION = "visitor-session-0001"


def test_chat_starts_a_session_and_answers_in_the_first_person(client: TestClient) -> None:
    response = client.post("/api/chat", json={"message": "Where did you grow up?"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"response", "session_id", "timestamp"}
    assert "I grew up in Port Wren" in body["response"]
    assert "without a language model" in body["response"]  # the first answer says so
    assert len(body["session_id"]) == 36
    stamp = datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00"))
    assert stamp.utcoffset() is not None
    assert stamp.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_history_holds_the_conversation_in_order(client: TestClient) -> None:
    for question in ("Hello!", "What is your job?", "What is your blood type?"):
        response = client.post("/api/chat", json={"message": question, "session_id": SESSION})
        assert response.status_code == 200, response.text
    history = client.get(f"/api/chat/history/{SESSION}")
    assert history.status_code == 200
    body = history.json()
    assert body["session_id"] == SESSION
    assert body["summary"] is None
    assert [m["role"] for m in body["messages"]] == ["user", "assistant"] * 3
    assert body["messages"][2]["content"] == "What is your job?"
    assert "Tidewright Labs" in body["messages"][3]["content"]
    assert body["messages"][5]["content"].startswith("I don't know that")
    assert all(not m["unanswered"] for m in body["messages"])


def test_unknown_session_has_no_history(client: TestClient) -> None:
    response = client.get(f"/api/chat/history/{SESSION}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert SESSION in response.json()["detail"]


def test_forgetting_is_idempotent_and_the_session_can_start_again(client: TestClient) -> None:
    client.post("/api/chat", json={"message": "Hello!", "session_id": SESSION})
    assert client.delete(f"/api/chat/history/{SESSION}").status_code == 204
    assert client.get(f"/api/chat/history/{SESSION}").status_code == 404
    assert client.delete(f"/api/chat/history/{SESSION}").status_code == 204

    again = client.post("/api/chat", json={"message": "Hi again", "session_id": SESSION})
    assert again.status_code == 200
    assert again.json()["session_id"] == SESSION
    messages = client.get(f"/api/chat/history/{SESSION}").json()["messages"]
    assert messages[0]["content"] == "Hi again"
    assert "without a language model" in messages[1]["content"]  # a new conversation


@pytest.mark.parametrize(
    ("message", "reason"),
    [("", "empty"), ("   \n\t ", "empty"), ("a" * 4001, "at most 4000"), ("a\x00b", "NUL")],
)
def test_bad_messages_are_refused_naming_message(
    client: TestClient, message: str, reason: str
) -> None:
    response = client.post("/api/chat", json={"message": message})
    assert response.status_code == 422
    problem = response.json()
    assert [error["field"] for error in problem["errors"]] == ["message"]
    assert reason in problem["detail"]
    assert client.post("/api/chat/stream", json={"message": message}).status_code == 422


def test_message_at_the_limit_after_trimming_is_accepted(client: TestClient) -> None:
    response = client.post("/api/chat", json={"message": "  " + "a" * 4000 + "\n"})
    assert response.status_code == 200


def test_missing_message_is_refused_naming_message(client: TestClient) -> None:
    response = client.post("/api/chat", json={"session_id": SESSION})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "message"


def test_body_over_the_server_limit_is_413(client: TestClient) -> None:
    response = client.post(
        "/api/chat",
        content=b'{"message": "' + b"a" * 70_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["limit_bytes"] == 64 * 1024


@pytest.mark.parametrize("bad", ["../x", "a/b", "x" * 65, "short", "abcdefgh.json", ""])
def test_session_id_tricks_in_the_body_are_refused(client: TestClient, bad: str) -> None:
    response = client.post("/api/chat", json={"message": "hi", "session_id": bad})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "session_id"


@pytest.mark.parametrize(
    "path",
    [
        "/api/chat/history/" + "x" * 65,
        "/api/chat/history/abcdefgh.json",
        "/api/chat/history/..%2F..%2Fme.txt",
        "/api/chat/history/%2e%2e%2fconversations",
        "/api/chat/history/a%2Fbcdefghij",
    ],
)
def test_session_id_tricks_in_the_path_never_reach_the_store(
    client: TestClient, settings: Settings, path: str
) -> None:
    bucket = settings.data_dir / "objects" / "twin-memory"
    before = sorted(p.relative_to(bucket) for p in bucket.rglob("*") if p.is_file())
    for method in ("GET", "DELETE"):
        response = client.request(method, path)
        assert response.status_code in (404, 405, 422), (method, path, response.text)
        if response.status_code == 422:
            assert "session_id" in response.json()["errors"][0]["field"]
    after = sorted(p.relative_to(bucket) for p in bucket.rglob("*") if p.is_file())
    assert after == before
    assert client.get("/api/persona").status_code == 200  # the persona is untouched


def test_persona_card_for_the_page_header(client: TestClient) -> None:
    assert client.get("/api/persona").json() == {
        "name": "Juniper Okonkwo-Hale",
        "headline": "Marine robotics engineer who builds underwater gliders "
        "that watch over kelp forests",
        "offline": True,
    }


def test_missing_persona_is_503_on_chat_and_reported_by_health(
    settings: Settings, twin: TwinSettings
) -> None:
    client = TestClient(create_app(settings, twin))
    response = client.post("/api/chat", json={"message": "Hello"})
    assert response.status_code == 503
    assert response.json()["detail"] == "persona not configured: upload me.txt to twin-memory"
    assert client.post("/api/chat/stream", json={"message": "Hello"}).status_code == 503
    assert client.get("/api/persona").status_code == 503

    health = client.get("/api/health")
    assert health.status_code == 503
    checks = {check["name"]: check for check in health.json()["checks"]}
    assert not checks["persona"]["ok"]
    assert "upload me.txt to twin-memory" in checks["persona"]["detail"]
    assert checks["memory bucket"]["ok"]
    assert checks["llm"]["ok"]


def test_health_checks_memory_bucket_persona_and_model(client: TestClient) -> None:
    for path in ("/api/health", "/health"):
        response = client.get(path)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["service"] == "digital-twin-chat"
        assert {c["name"]: c["ok"] for c in body["checks"]} == {
            "memory bucket": True,
            "persona": True,
            "llm": True,
        }


def test_persona_upload_takes_effect_on_the_next_request(
    client: TestClient, settings: Settings
) -> None:
    assert "Port Wren" in client.post("/api/chat", json={"message": "Where did you grow up?"}).text
    persona = settings.data_dir / "objects" / "twin-memory"
    from foundation.objectstore import LocalObjectStore

    LocalObjectStore(persona).put(
        "me.txt", b"Name: Rafe Other\nHeadline: Beekeeper\n\n# Background\nI grew up in Lisbon.\n"
    )
    assert client.get("/api/persona").json()["name"] == "Rafe Other"
    answer = client.post("/api/chat", json={"message": "Where did you grow up?"}).json()
    assert "I grew up in Lisbon." in answer["response"]


def test_cors_allows_only_the_configured_origins(settings: Settings, prepared: None) -> None:
    twin = TwinSettings(_env_file=None, cors_origins=["https://twin.example.org"])
    client = TestClient(create_app(settings, twin))
    preflight = client.options(
        "/api/chat",
        headers={
            "Origin": "https://twin.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://twin.example.org"
    problem = client.post(
        "/api/chat", json={"message": ""}, headers={"Origin": "https://twin.example.org"}
    )
    assert problem.status_code == 422
    assert problem.headers["access-control-allow-origin"] == "https://twin.example.org"
    other = client.post(
        "/api/chat", json={"message": "hi"}, headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in other.headers


def test_no_cors_headers_without_configured_origins(client: TestClient) -> None:
    response = client.post(
        "/api/chat", json={"message": "hi"}, headers={"Origin": "https://x.example"}
    )
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_static_page_is_served_at_the_root(client: TestClient) -> None:
    index = STATIC_DIR / "index.html"
    response = client.get("/")
    if not index.exists():  # the front end lives in another change; the app runs without it
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text == index.read_text()


def test_app_starts_with_an_empty_static_folder(
    settings: Settings,
    twin: TwinSettings,
    prepared: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import twin_chat.api.main as main

    empty = tmp_path / "static"
    empty.mkdir()
    monkeypatch.setattr(main, "STATIC_DIR", empty)
    client = TestClient(main.create_app(settings, twin))
    assert client.get("/").status_code == 404
    assert client.post("/api/chat", json={"message": "Hello"}).status_code == 200
