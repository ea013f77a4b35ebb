"""Server-sent events: the wire format of the streaming chat endpoint.

Each event is ``event: <name>`` and one ``data:`` line of JSON (JSON escapes
newlines, so one line always suffices), then a blank line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from foundation.errors import (
    AppError,
    DependencyUnavailableError,
    InvalidInputError,
    RateLimitedError,
)
from foundation.web import problem_response

MEDIA_TYPE = "text/event-stream"
# Proxies (nginx, CloudFront) must pass events on as they come.
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse_event(event: str, data: Mapping[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def problem_document(error: Exception, instance: str) -> dict[str, Any]:
    """The problem document the same error gets outside a stream, Retry-After as a field."""
    if not isinstance(error, AppError):
        response = problem_response(
            500,
            title="Internal error",
            detail="an unexpected error occurred; quote the request id when reporting it",
            code="internal-error",
            instance=instance,
        )
    else:
        extensions: dict[str, Any] = dict(error.extra)
        if isinstance(error, InvalidInputError) and error.issues:
            extensions["errors"] = [{"field": i.field, "message": i.message} for i in error.issues]
        if isinstance(error, RateLimitedError | DependencyUnavailableError):
            extensions["retry_after"] = error.retry_after_seconds
        response = problem_response(
            error.status,
            title=error.title,
            detail=error.detail,
            code=error.code,
            instance=instance,
            **extensions,
        )
    document: dict[str, Any] = json.loads(bytes(response.body))
    return document


__all__ = ["HEADERS", "MEDIA_TYPE", "problem_document", "sse_event"]
