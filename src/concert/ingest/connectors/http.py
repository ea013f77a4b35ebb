"""The HTTP layer the connectors share: JSON over httpx with timeouts, pacing and retries.

A 429 waits what ``Retry-After`` asks (delta-seconds or an HTTP date), else it
backs off like a server error. 5xx answers, timeouts and connection errors back
off exponentially with full jitter (a uniform draw between 0 and the capped
step, so clients that failed together do not retry together). Both the number
of attempts and the total time spent waiting are bounded; past either, the last
failure is raised as :class:`ApiRateLimitedError` or :class:`ApiUnavailableError`.
Other 4xx answers are never retried: they raise at once with the API's own
error message. Sleeping, the random source and both clocks are injectable
through :class:`HttpOptions`, so tests never really wait.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

import httpx

from concert.ingest.connectors.exceptions import (
    ApiAuthenticationError,
    ApiNotFoundError,
    ApiPermissionError,
    ApiRateLimitedError,
    ApiRequestError,
    ApiResponseError,
    ApiUnavailableError,
)
from foundation.closing import Closing
from foundation.errors import AppError, ConfigurationError
from foundation.observability import get_logger

ErrorDescriber = Callable[[Any], str | None]
QueryParams = Mapping[str, str | int]
T = TypeVar("T")

_SHOWN_BODY_CHARS = 120
_REFUSALS: dict[int, type[AppError]] = {
    401: ApiAuthenticationError,
    403: ApiPermissionError,
    404: ApiNotFoundError,
}


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to keep trying: ``max_attempts`` in all, ``max_total_wait_seconds`` asleep."""

    max_attempts: int = 5
    base_delay_seconds: float = 0.5
    max_delay_seconds: float = 30.0
    max_total_wait_seconds: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigurationError(f"max_attempts must be at least 1, got {self.max_attempts}")
        for name, value in (
            ("base_delay_seconds", self.base_delay_seconds),
            ("max_delay_seconds", self.max_delay_seconds),
            ("max_total_wait_seconds", self.max_total_wait_seconds),
        ):
            if value < 0:
                raise ConfigurationError(f"{name} must not be negative, got {value}")

    def backoff(self, failures: int, draw: float) -> float:
        """Full jitter after the ``failures``-th failure: ``draw`` (in [0, 1)) times the step."""
        step = min(self.max_delay_seconds, self.base_delay_seconds * 2.0 ** (failures - 1))
        return draw * step


@dataclass(frozen=True, slots=True)
class HttpOptions:
    """Timeouts, retries and pacing, plus the clocks, sleep and random source they use."""

    timeout_seconds: float = 10.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    min_interval_seconds: float = 0.0  # pacing: at least this long between request starts
    sleep: Callable[[float], None] = time.sleep
    random_source: Callable[[], float] = random.random
    wall_clock: Callable[[], float] = time.time  # reads Retry-After HTTP dates
    monotonic: Callable[[], float] = time.monotonic  # token lifetimes and pacing


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """A successful answer: the body exactly as received and its parsed JSON."""

    endpoint: str  # "GET /search", relative to the API's base URL
    request: str  # the endpoint with its query string, credentials removed
    body: bytes
    data: Any

    def require(self, path: str, kind: type[T]) -> T:
        """The member at the dotted ``path``, which the API documents as a ``kind``."""
        value = self.optional(path, kind)
        if value is None:
            raise self.malformed(f"has no {path} ({kind.__name__})")
        return value

    def optional(self, path: str, kind: type[T]) -> T | None:
        value: Any = self.data
        for name in path.split("."):
            value = value.get(name) if isinstance(value, dict) else None
        if value is None:
            return None
        # bool is an int in Python, never in JSON documents.
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.malformed(f"has {path} of type {type(value).__name__}, not {kind.__name__}")
        return value

    def malformed(self, problem: str) -> ApiResponseError:
        return ApiResponseError(
            f"{self.endpoint} answered a body that {problem}, against the documented shape",
            endpoint=self.endpoint,
        )


@dataclass(frozen=True, slots=True)
class ApiPage:
    """One page of a listing: the response it came from and the items it holds."""

    response: ApiResponse
    items: list[Any]
    total: int | None = None  # items the API says match the request, when it says


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, or None if absent or unreadable."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


class JsonApi(Closing):
    """One API's JSON endpoints under ``base_url``; ``secret_params`` never appear in errors."""

    def __init__(
        self,
        api: str,
        base_url: str,
        *,
        describe_error: ErrorDescriber,
        options: HttpOptions | None = None,
        secret_params: frozenset[str] = frozenset(),
    ) -> None:
        self.api = api
        self.requests = 0
        self._options = options or HttpOptions()
        self._describe_error = describe_error
        self._secret_params = secret_params
        self._base = httpx.URL(base_url.rstrip("/") + "/")
        if self._base.scheme not in ("http", "https") or not self._base.host:
            raise ConfigurationError(f"the {api} API URL {base_url!r} must be an http(s) URL")
        self._client = httpx.Client(
            base_url=self._base,
            timeout=self._options.timeout_seconds,
            headers={"Accept": "application/json", "User-Agent": "skyline-concert-connectors"},
        )
        self._last_start: float | None = None
        self._logger = get_logger("concert")

    def get(
        self,
        path: str,
        *,
        params: QueryParams | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ApiResponse:
        return self.request("GET", path, params=params, headers=headers)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: QueryParams | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
    ) -> ApiResponse:
        """Send until an answer that is not retried; ``url`` is relative to the base or absolute."""
        request = self._client.build_request(method, url, params=params, data=data, headers=headers)
        endpoint = f"{self.api} {method} {self._path(request.url)}"
        retry = self._options.retry
        failures, waited = 0, 0.0
        while True:
            self._pace()
            self.requests += 1
            retry_after: float | None = None
            status: int | None = None
            try:
                response = self._client.send(request, auth=auth or httpx.USE_CLIENT_DEFAULT)
            except httpx.TransportError as exc:
                failure = f"{type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return self._parsed(endpoint, request.url, response)
                failure = f"HTTP {status}: {self._message(response)}"
                if status != 429 and status < 500:
                    raise self._refusal(endpoint, status, failure)
                retry_after = parse_retry_after(
                    response.headers.get("Retry-After"), self._options.wall_clock()
                )
            failures += 1
            delay = (
                retry_after
                if retry_after is not None
                else retry.backoff(failures, self._options.random_source())
            )
            if failures >= retry.max_attempts or waited + delay > retry.max_total_wait_seconds:
                raise self._exhausted(
                    endpoint,
                    status=status,
                    failure=failure,
                    failures=failures,
                    waited=waited,
                    delay=delay,
                )
            self._logger.warning(
                f"{endpoint} failed ({failure}); retry {failures} of {retry.max_attempts - 1} "
                f"in {delay:.2f} s",
                extra={"api": self.api, "endpoint": endpoint, "status": status},
            )
            self._options.sleep(delay)
            waited += delay

    def close(self) -> None:
        self._client.close()

    # -- helpers --------------------------------------------------------------

    def _pace(self) -> None:
        interval = self._options.min_interval_seconds
        now = self._options.monotonic()
        if interval > 0 and self._last_start is not None:
            wait = self._last_start + interval - now
            if wait > 0:
                self._options.sleep(wait)
                now += wait
        self._last_start = now

    def _path(self, url: httpx.URL) -> str:
        """The URL's path relative to the base URL (its full path on another host)."""
        same_origin = (url.scheme, url.host, url.port) == (
            self._base.scheme,
            self._base.host,
            self._base.port,
        )
        if same_origin and url.path.startswith(self._base.path):
            return "/" + url.path.removeprefix(self._base.path)
        return url.path

    def _parsed(self, endpoint: str, url: httpx.URL, response: httpx.Response) -> ApiResponse:
        body = response.content
        try:
            data = json.loads(body)
        except ValueError as exc:
            shown = body[:_SHOWN_BODY_CHARS].decode(errors="replace")
            raise ApiResponseError(
                f"{endpoint} answered {response.status_code} with a body that is not JSON "
                f"({exc}); it starts with {shown!r}",
                endpoint=endpoint,
            ) from None
        public = [(k, v) for k, v in url.params.multi_items() if k not in self._secret_params]
        query = urlencode(public)
        return ApiResponse(endpoint, f"{endpoint}?{query}" if query else endpoint, body, data)

    def _message(self, response: httpx.Response) -> str:
        try:
            message = self._describe_error(json.loads(response.content))
        except ValueError:
            message = None
        if message:
            return message
        text = response.content[:_SHOWN_BODY_CHARS].decode(errors="replace").strip()
        return text or response.reason_phrase

    def _refusal(self, endpoint: str, status: int, failure: str) -> AppError:
        kind = _REFUSALS.get(status, ApiRequestError)
        return kind(f"{endpoint} refused the request: {failure}", endpoint=endpoint, status=status)

    def _exhausted(
        self,
        endpoint: str,
        *,
        status: int | None,
        failure: str,
        failures: int,
        waited: float,
        delay: float,
    ) -> AppError:
        detail = (
            f"{endpoint} still failing after {failures} attempt(s) and {waited:.1f} s of "
            f"waiting; last answer: {failure}"
        )
        retry = self._options.retry
        if failures < retry.max_attempts:
            detail += (
                f"; the next wait of {delay:.1f} s would pass the "
                f"{retry.max_total_wait_seconds:g} s budget"
            )
        retry_after = max(1, math.ceil(delay))
        if status == 429:
            return ApiRateLimitedError(
                detail, retry_after_seconds=retry_after, endpoint=endpoint, status=status
            )
        return ApiUnavailableError(
            detail, retry_after_seconds=retry_after, endpoint=endpoint, status=status
        )


class ApiClient(Closing):
    """The base of an API's client: the one :class:`JsonApi` it sends through."""

    def __init__(self, api: JsonApi) -> None:
        self._api = api

    @property
    def requests(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self._api.requests

    def close(self) -> None:
        self._api.close()


__all__ = [
    "ApiClient",
    "ApiPage",
    "ApiResponse",
    "HttpOptions",
    "JsonApi",
    "RetryPolicy",
    "parse_retry_after",
]
