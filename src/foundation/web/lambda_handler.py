"""Run any of our FastAPI apps as an AWS Lambda function behind API Gateway.

The handler is the same app the local server mounts, wrapped with Mangum
(REST API and HTTP API payload formats 1.0 and 2.0). Powertools adds the
Lambda context to every log line, and X-Ray tracing is switched on when the
function runs in Lambda with the SDK installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import FastAPI
from mangum import Mangum

from foundation.observability import get_logger, in_lambda

# Bodies of these types go back as text; anything else is base64-encoded by Mangum.
TEXT_MIME_TYPES = [
    "application/json",
    "application/problem+json",
    "application/javascript",
    "application/xml",
    "text/event-stream",
    "image/svg+xml",
]

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _loop_running_here() -> bool:
    if asyncio._get_running_loop() is not None:
        return True
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return False
    return loop.is_running()


def _with_own_loop(asgi: Mangum, event: dict[str, Any], context: Any) -> dict[str, Any]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        response: dict[str, Any] = asgi(event, context)
        return response
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def lambda_handler_for(app: FastAPI, *, service: str) -> LambdaHandler:
    """Wrap ``app`` for Lambda; the app's middleware still sets request ids and problem+json."""
    asgi = Mangum(app, lifespan="off", text_mime_types=TEXT_MIME_TYPES)
    logger = get_logger(service)

    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        if not _loop_running_here():
            response: dict[str, Any] = asgi(event, context)
            return response
        # Mangum drives the thread's event loop with run_until_complete, which fails inside a
        # running loop (a test harness, a notebook): give it a thread and a loop of its own.
        with ThreadPoolExecutor(max_workers=1) as worker:
            return worker.submit(_with_own_loop, asgi, event, context).result()

    if in_lambda():
        from aws_lambda_powertools import Tracer  # noqa: PLC0415 - needs aws-xray-sdk

        traced: LambdaHandler = Tracer(service=service).capture_lambda_handler(handler)
        return traced
    return handler


__all__ = ["LambdaHandler", "lambda_handler_for"]
