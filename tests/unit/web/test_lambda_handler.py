"""The same app answers API Gateway events through the Lambda handler."""

from __future__ import annotations

import json
from dataclasses import dataclass

from foundation.errors import NotFoundError
from foundation.web import create_app
from foundation.web.lambda_handler import lambda_handler_for


@dataclass
class FakeLambdaContext:
    function_name: str = "skyline-test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:skyline-test"
    aws_request_id: str = "lambda-req-1"


def http_api_event(path: str, *, method: str = "GET", body: str | None = None) -> dict[str, object]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "x-request-id": "gw-42"},
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "1.2.3.4"},
            "requestId": "gw",
            "stage": "$default",
        },
        "body": body,
        "isBase64Encoded": False,
    }


def build_handler():  # type: ignore[no-untyped-def]
    app = create_app(title="t", service="lambda-test")

    @app.get("/items/{item_id}")
    def get_item(item_id: str) -> dict[str, str]:
        if item_id == "missing":
            raise NotFoundError(f"item {item_id!r} does not exist")
        return {"id": item_id}

    return lambda_handler_for(app, service="lambda-test")


def test_http_api_event_is_served_by_the_fastapi_app() -> None:
    response = build_handler()(http_api_event("/items/a1"), FakeLambdaContext())
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"id": "a1"}
    assert response["headers"]["x-request-id"] == "gw-42"


def test_domain_error_in_lambda_is_a_problem_document() -> None:
    response = build_handler()(http_api_event("/items/missing"), FakeLambdaContext())
    assert response["statusCode"] == 404
    assert response["headers"]["content-type"] == "application/problem+json"
    assert json.loads(response["body"])["request_id"] == "gw-42"


def test_health_route_answers_in_lambda() -> None:
    response = build_handler()(http_api_event("/health"), FakeLambdaContext())
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["status"] == "ok"


def test_handler_works_when_called_inside_a_running_event_loop() -> None:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    handler = build_handler()

    async def call_from_loop() -> dict[str, object]:
        return handler(http_api_event("/items/a2"), FakeLambdaContext())  # type: ignore[no-any-return]

    # A thread of its own, so the test holds whatever loop other tests left in the main thread.
    with ThreadPoolExecutor(max_workers=1) as worker:
        response = worker.submit(asyncio.run, call_from_loop()).result()
    assert response["statusCode"] == 200
    assert json.loads(str(response["body"])) == {"id": "a2"}
