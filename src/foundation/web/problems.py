"""RFC 9457 problem documents for every error an app can return.

Domain code raises :class:`foundation.errors.AppError` subclasses; the handlers
installed here turn them (and framework errors, and anything unexpected) into
``application/problem+json`` with the right status and the request id, so no
response is ever an empty 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from foundation.errors import (
    AppError,
    DependencyUnavailableError,
    InvalidInputError,
    RateLimitedError,
)
from foundation.observability import current_request_id, get_logger

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://skyline.dev/problems/"


def problem_response(
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    code: str | None = None,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """Build a problem+json response; ``code`` names the problem type."""
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_BASE}{code}" if code else "about:blank",
        "title": title or phrase,
        "status": status,
        "detail": detail or phrase,
    }
    if instance:
        body["instance"] = instance
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    body.update({key: value for key, value in extensions.items() if value is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _app_error_response(request: Request, exc: AppError) -> JSONResponse:
    headers: dict[str, str] = {}
    extensions: dict[str, Any] = dict(exc.extra)
    if isinstance(exc, InvalidInputError) and exc.issues:
        extensions["errors"] = [
            {"field": issue.field, "message": issue.message} for issue in exc.issues
        ]
    if isinstance(exc, RateLimitedError | DependencyUnavailableError) and exc.retry_after_seconds:
        headers["Retry-After"] = str(exc.retry_after_seconds)
    if exc.status == 401:
        headers["WWW-Authenticate"] = str(getattr(exc, "www_authenticate", "Bearer"))
    if exc.status >= 500:
        get_logger("skyline").error(
            "request failed", extra={"error": type(exc).__name__, "detail": exc.detail}
        )
    return problem_response(
        exc.status,
        title=exc.title,
        detail=exc.detail,
        code=exc.code,
        instance=request.url.path,
        headers=headers or None,
        **extensions,
    )


def _field_name(location: tuple[Any, ...] | list[Any]) -> str:
    # ("body", "items", 0, "name") -> "items[0].name"; the leading "body"/"query" says where.
    parts = list(location)
    where = (
        parts.pop(0)
        if parts and parts[0] in {"body", "query", "path", "header", "cookie"}
        else None
    )
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    if where and where != "body":
        return f"{where}.{name}" if name else str(where)
    return name or "body"


def _validation_error_response(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"field": _field_name(error.get("loc", ())), "message": error.get("msg", "invalid")}
        for error in exc.errors()
    ]
    fields = ", ".join(dict.fromkeys(error["field"] for error in errors))
    return problem_response(
        422,
        title="Invalid input",
        detail=f"invalid value for {fields}",
        code="invalid-input",
        instance=request.url.path,
        errors=errors,
    )


def _http_error_response(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route matches {request.method} {request.url.path}"
    return problem_response(
        exc.status_code, detail=detail, instance=request.url.path, headers=exc.headers
    )


def _unexpected_error_response(request: Request, exc: Exception) -> JSONResponse:
    get_logger("skyline").exception("unhandled error", extra={"path": request.url.path})
    return problem_response(
        500,
        title="Internal error",
        detail="an unexpected error occurred; quote the request id when reporting it",
        code="internal-error",
        instance=request.url.path,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error an app can raise to a problem document."""
    app.add_exception_handler(AppError, _app_error_response)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error_response)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error_response)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected_error_response)


__all__ = ["PROBLEM_MEDIA_TYPE", "install_problem_handlers", "problem_response"]
