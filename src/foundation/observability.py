"""Structured logs, metrics and traces through Powertools for AWS Lambda.

The same calls work on a laptop and in Lambda: logs are JSON lines on stderr,
metrics are CloudWatch Embedded Metric Format lines (CloudWatch turns them into
metrics in Lambda; locally they are ordinary structured lines), and tracing is
active only inside Lambda, where the X-Ray daemon is.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

METRICS_NAMESPACE = "Skyline"

_request_id: ContextVar[str | None] = ContextVar("skyline_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served by this task or thread, if any."""
    return _request_id.get()


@cache
def get_logger(service: str) -> Logger:
    """A JSON logger for one service; every line carries the current request id."""
    level = os.environ.get("SKYLINE_LOG_LEVEL", "INFO")
    return Logger(service=service, level=level, use_rfc3339=True)


@cache
def get_metrics(service: str) -> Metrics:
    return Metrics(namespace=METRICS_NAMESPACE, service=service)


@contextmanager
def request_context(request_id: str, **keys: Any) -> Iterator[None]:
    """Bind a request id (and other keys) to every log line written inside the block.

    Powertools keeps these keys in a context variable, so concurrent requests in
    one process (threads or asyncio tasks) never see each other's ids.
    """
    token = _request_id.set(request_id)
    logger = get_logger("skyline")
    previous = dict(logger.thread_safe_get_current_keys())
    logger.thread_safe_append_keys(request_id=request_id, **keys)
    try:
        yield
    finally:
        logger.thread_safe_clear_keys()
        if previous:
            logger.thread_safe_append_keys(**previous)
        _request_id.reset(token)


def record_request_metrics(service: str, route: str, status: int, duration_ms: float) -> None:
    """Count a request and its latency, with the route and status class as dimensions.

    Nothing is recorded while Powertools metrics are disabled (``skyline serve``
    disables them): a disabled flush would keep the dimensions for the next request.
    """
    if is_metrics_disabled():
        return
    metrics = get_metrics(service)
    metrics.add_dimension(name="route", value=route)
    metrics.add_dimension(name="status_class", value=f"{status // 100}xx")
    metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="Latency", unit=MetricUnit.Milliseconds, value=duration_ms)
    if status >= 500:
        metrics.add_metric(name="ServerErrors", unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()


def in_lambda() -> bool:
    return "AWS_LAMBDA_FUNCTION_NAME" in os.environ


__all__ = [
    "METRICS_NAMESPACE",
    "current_request_id",
    "get_logger",
    "get_metrics",
    "in_lambda",
    "record_request_metrics",
    "request_context",
]
