"""The shared web layer: problem+json for every error, request ids, body limits, health."""

from __future__ import annotations

import io
import json
import logging

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from foundation.errors import (
    AuthenticationError,
    ConflictError,
    DependencyUnavailableError,
    FieldIssue,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)
from foundation.health import HealthStatus
from foundation.observability import get_logger
from foundation.web import PROBLEM_MEDIA_TYPE, create_app


class Widget(BaseModel):
    name: str = Field(min_length=1)
    quantity: int = Field(ge=1, le=20)


class FakeDependency:
    def __init__(self, ok: bool) -> None:
        self.ok = ok

    def check(self) -> HealthStatus:
        return HealthStatus(name="fake", backend="memory", ok=self.ok, detail="probe")


@pytest.fixture
def dependency() -> FakeDependency:
    return FakeDependency(ok=True)


@pytest.fixture
def app(dependency: FakeDependency) -> FastAPI:
    app = create_app(
        title="t",
        service="test",
        max_request_bytes=1024,
        dependencies=lambda: [("store", dependency)],
    )

    @app.post("/widgets")
    def create_widget(widget: Widget) -> Widget:
        return widget

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    errors = {
        "unauth": AuthenticationError("token expired"),
        "forbidden": PermissionDeniedError("needs group admin"),
        "missing": NotFoundError("widget 'w1' does not exist", widget_id="w1"),
        "conflict": ConflictError("version 3 is stale"),
        "invalid": InvalidInputError("bad", [FieldIssue("quantity", "must be at most 20")]),
        "limited": RateLimitedError("slow down", retry_after_seconds=7),
        "down": DependencyUnavailableError("model provider timed out", retry_after_seconds=5),
    }

    @app.get("/raise/{kind}")
    def raise_error(kind: str) -> None:
        if kind == "crash":
            raise RuntimeError("boom")
        raise errors[kind]

    return app


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("unauth", 401),
        ("forbidden", 403),
        ("missing", 404),
        ("conflict", 409),
        ("invalid", 422),
        ("limited", 429),
        ("down", 503),
    ],
)
def test_domain_errors_become_problem_documents_with_their_status(
    client: TestClient, kind: str, status: int
) -> None:
    response = client.get(f"/raise/{kind}")
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]


def test_problem_carries_extensions_and_retry_after(client: TestClient) -> None:
    missing = client.get("/raise/missing").json()
    assert missing["widget_id"] == "w1"
    limited = client.get("/raise/limited")
    assert limited.headers["retry-after"] == "7"
    assert client.get("/raise/unauth").headers["www-authenticate"] == "Bearer"
    invalid = client.get("/raise/invalid").json()
    assert invalid["errors"] == [{"field": "quantity", "message": "must be at most 20"}]


def test_unexpected_exception_is_a_500_problem_with_request_id_not_an_empty_body(
    client: TestClient,
) -> None:
    response = client.get("/raise/crash", headers={"X-Request-ID": "req-123"})
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json()["request_id"] == "req-123"
    assert "boom" not in response.text  # internals stay in the logs


def test_validation_error_names_the_field(client: TestClient) -> None:
    response = client.post("/widgets", json={"name": "bolt", "quantity": 99})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == "quantity"
    assert "quantity" in body["detail"]


def test_malformed_json_is_a_clear_client_error(client: TestClient) -> None:
    response = client.post(
        "/widgets", content=b'{"name": "bolt",', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE


def test_unknown_route_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert "/nowhere" in response.json()["detail"]


def test_request_id_is_generated_when_absent_and_rejected_when_malformed(
    client: TestClient,
) -> None:
    generated = client.get("/health").headers["x-request-id"]
    assert len(generated) == 32
    sneaky = client.get("/health", headers={"X-Request-ID": "bad id\nwith newline"})
    assert sneaky.headers["x-request-id"] != "bad id\nwith newline"


def test_oversized_body_is_refused_with_413_by_declared_length(client: TestClient) -> None:
    response = client.post("/echo", content=b"x" * 2048)
    assert response.status_code == 413
    assert response.json()["limit_bytes"] == 1024


def test_oversized_streamed_body_without_length_is_refused_with_413(client: TestClient) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(8):
            yield b"y" * 512

    response = client.post("/echo", content=chunks())
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE


def test_body_within_limit_is_served(client: TestClient) -> None:
    assert client.post("/echo", content=b"x" * 1000).json() == {"size": 1000}


def test_health_reports_dependencies_and_fails_with_503_when_one_is_down(
    client: TestClient, dependency: FakeDependency
) -> None:
    healthy = client.get("/health")
    assert healthy.status_code == 200
    assert healthy.json()["checks"][0]["name"] == "store"
    dependency.ok = False
    degraded = client.get("/health")
    assert degraded.status_code == 503
    assert degraded.json()["status"] == "degraded"


def test_every_log_line_of_a_request_carries_its_request_id(client: TestClient) -> None:
    logger = get_logger("test")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    try:
        client.get("/raise/missing", headers={"X-Request-ID": "trace-me"})
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [line for line in lines if line["message"] == "request"]
    assert access, "the access log line was not written"
    assert all(line["request_id"] == "trace-me" for line in lines)
    assert access[0]["status"] == 404
    assert access[0]["route"] == "/raise/{kind}"


def test_body_limit_overrides_give_a_path_prefix_its_own_limit() -> None:
    app = create_app(
        title="t",
        service="test",
        max_request_bytes=100,
        body_limit_overrides={"/uploads": 5000, "/mounted": None},
    )

    @app.post("/uploads/{name}")
    async def upload(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @app.post("/mounted/thing")
    async def mounted(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    @app.post("/other")
    async def other(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    client = TestClient(app)
    assert client.post("/uploads/a", content=b"x" * 4000).json() == {"size": 4000}
    assert client.post("/uploads/a", content=b"x" * 6000).status_code == 413
    assert client.post("/mounted/thing", content=b"x" * 20000).json() == {"size": 20000}
    assert client.post("/other", content=b"x" * 200).status_code == 413
