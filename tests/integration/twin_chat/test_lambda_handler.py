"""The Lambda entry point answers API Gateway HTTP API events (payload format 2.0)."""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from foundation.settings import Settings
from tests.integration.twin_chat.events import parse_events
from twin_chat.demo import prepare_demo
from twin_chat.settings import TwinSettings

SESSION = "lambda-session-0001"


@dataclass
class FakeLambdaContext:
    function_name: str = "digital-twin-chat-dev"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:twin"
    aws_request_id: str = "lambda-request-1"


def http_api_event(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "origin": "https://d111.cloudfront.net"},
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "1.2.3.4"},
            "requestId": "gw-1",
            "stage": "$default",
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


@pytest.fixture
def handler(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("SKYLINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SKYLINE_TWIN_CORS_ORIGINS", '["https://d111.cloudfront.net"]')
    prepare_demo(Settings(data_dir=tmp_path), TwinSettings(_env_file=None))
    sys.modules.pop("twin_chat.api.lambda_handler", None)  # built at import, from this env
    return importlib.import_module("twin_chat.api.lambda_handler").handler


def test_chat_event_is_answered(handler: Any) -> None:
    event = http_api_event(
        "POST", "/api/chat", {"message": "What is your job?", "session_id": SESSION}
    )
    response = handler(event, FakeLambdaContext())
    assert response["statusCode"] == 200, response["body"]
    body = json.loads(response["body"])
    assert body["session_id"] == SESSION
    assert "Tidewright Labs" in body["response"]
    assert response["headers"]["access-control-allow-origin"] == "https://d111.cloudfront.net"

    history = handler(http_api_event("GET", f"/api/chat/history/{SESSION}"), FakeLambdaContext())
    assert [m["role"] for m in json.loads(history["body"])["messages"]] == ["user", "assistant"]


def test_streamed_chat_arrives_whole_through_api_gateway(handler: Any) -> None:
    event = http_api_event("POST", "/api/chat/stream", {"message": "Hello!"})
    response = handler(event, FakeLambdaContext())
    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is False
    names = [name for name, _ in parse_events(response["body"])]
    assert names[0] == "session"
    assert names[-1] == "done"


def test_invalid_input_is_a_problem_document(handler: Any) -> None:
    response = handler(http_api_event("POST", "/api/chat", {"message": ""}), FakeLambdaContext())
    assert response["statusCode"] == 422
    assert response["headers"]["content-type"] == "application/problem+json"
