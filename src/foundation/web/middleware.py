"""ASGI middleware every app gets: request ids, access logs and metrics, body limits.

Pure ASGI (not ``BaseHTTPMiddleware``) so streaming responses pass through
untouched and the request id stays bound while they stream.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from foundation.errors import PayloadTooLargeError
from foundation.observability import (
    current_request_id,
    get_logger,
    record_request_metrics,
    request_context,
)
from foundation.web.problems import problem_response

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class RequestContextMiddleware:
    """Give each request an id (the caller's ``X-Request-ID`` when well formed), log it, time it.

    Exceptions that escape the app become a problem+json 500 here, inside the
    request context, so even that response carries the request id.
    """

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service
        self.logger = get_logger(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A mounted sub-app runs inside its parent's context: keep the parent's id and log line.
        if scope["type"] != "http" or current_request_id() is not None:
            await self.app(scope, receive, send)
            return
        offered = _header(scope, REQUEST_ID_HEADER.encode())
        request_id = offered if offered and _VALID_REQUEST_ID.match(offered) else uuid.uuid4().hex
        status = 500
        started = time.perf_counter()
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        with request_context(request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                self.logger.exception("unhandled error", extra={"path": scope.get("path")})
                if response_started:
                    raise
                response = problem_response(
                    500,
                    title="Internal error",
                    detail="an unexpected error occurred; quote the request id when reporting it",
                    code="internal-error",
                    instance=scope.get("path"),
                )
                await response(scope, receive, send_with_id)
            finally:
                duration_ms = (time.perf_counter() - started) * 1000
                route = _route_template(scope)
                self.logger.info(
                    "request",
                    extra={
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "route": route,
                        "status": status,
                        "duration_ms": round(duration_ms, 2),
                    },
                )
                record_request_metrics(self.service, route, status, duration_ms)


class BodySizeLimitMiddleware:
    """Refuse bodies over the limit with 413.

    A declared Content-Length over the limit is refused before any byte is read;
    a body without one is counted as it streams and refused once it passes the limit.
    ``overrides`` maps path prefixes to their own limit (the longest prefix wins);
    ``None`` leaves the limit to the app mounted there.
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, overrides: Mapping[str, int | None] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.overrides = sorted((overrides or {}).items(), key=lambda item: -len(item[0]))

    def limit_for(self, path: str) -> int | None:
        for prefix, limit in self.overrides:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.limit_for(scope.get("path", "")) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, int(declared), limit)
            return
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise PayloadTooLargeError(_too_large(received, limit), limit_bytes=limit)
            return message

        async def guarded_send(message: Message) -> None:
            # Once the limit is hit, whatever the app makes of the aborted read is replaced by 413.
            nonlocal started
            if not exceeded:
                started = started or message["type"] == "http.response.start"
                await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except PayloadTooLargeError:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._refuse(scope, receive, send, received, limit)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, size: int, limit: int
    ) -> None:
        response = problem_response(
            413,
            title=PayloadTooLargeError.title,
            detail=_too_large(size, limit),
            code=PayloadTooLargeError.code,
            instance=scope.get("path"),
            limit_bytes=limit,
        )
        await response(scope, receive, send)


def _too_large(size: int, limit: int) -> str:
    return f"request body of {size:,} bytes or more exceeds the limit of {limit:,} bytes"
