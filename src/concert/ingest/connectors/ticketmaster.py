"""Ticketmaster Discovery API v2: events, venues and attractions.

The API key travels as the ``apikey`` query parameter and is left out of every
error and landed request description. Listings page with ``page``/``size`` and
report ``page.totalPages``; the API serves no item past the 1000th
(``size * page < 1000``). Event searches stay within that limit by halving their
date window while a window matches more events than can be paged; a window
that cannot be split further (an hour) is paged as deep as allowed and the
shortfall recorded as a warning. Venue and attraction listings stop at the limit
with a warning. The default quota is 5 requests a second, so requests are paced
0.2 s apart unless other :class:`HttpOptions` are given.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import Any, Literal

from concert.ingest.connectors.credentials import read_credentials
from concert.ingest.connectors.http import ApiClient, ApiPage, HttpOptions, JsonApi
from concert.ingest.connectors.landing import (
    ConnectorRun,
    PageLog,
    ProgressCallback,
    land_api_records,
)
from concert.ingest.connectors.mapping import Enrichment, map_ticketmaster_events
from concert.lake import Zone, new_batch_id, partition_prefix
from concert.settings import ConcertSettings
from foundation.errors import BadRequestError
from foundation.health import HealthStatus, timed_check
from foundation.objectstore import ObjectStore
from foundation.observability import get_logger
from foundation.secrets import SecretStore

MAX_PAGE_SIZE = 200
MAX_PAGING_DEPTH = 1000
MIN_WINDOW = timedelta(hours=1)
DEFAULT_WINDOW = timedelta(days=365)
RATE_LIMIT_INTERVAL_SECONDS = 0.2
_ONE_SECOND = timedelta(seconds=1)

Resource = Literal["events", "venues", "attractions"]


def ticketmaster_error_message(body: Any) -> str | None:
    """The message of the gateway's ``{"fault": {"faultstring", "detail": {"errorcode"}}}``
    or of the Discovery API's ``{"errors": [{"code", "detail"}]}``."""
    if not isinstance(body, dict):
        return None
    fault = body.get("fault")
    if isinstance(fault, dict) and isinstance(fault.get("faultstring"), str):
        code = (fault.get("detail") or {}).get("errorcode")
        return f"{fault['faultstring']} ({code})" if code else str(fault["faultstring"])
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        described = [
            f"{error.get('code', '?')}: {error.get('detail', '')}".strip()
            for error in errors
            if isinstance(error, dict)
        ]
        return "; ".join(described) or None
    return None


@dataclass(frozen=True, slots=True)
class EventQuery:
    """An event search; the window defaults to a year from now."""

    keyword: str | None = None
    classification_name: str | None = "music"
    country_code: str | None = None
    city: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    def params(self) -> dict[str, str]:
        named = {
            "keyword": self.keyword,
            "classificationName": self.classification_name,
            "countryCode": self.country_code,
            "city": self.city,
        }
        return {name: value for name, value in named.items() if value}

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        start = _whole_seconds(self.start or now, "start")
        end = _whole_seconds(self.end, "end") if self.end else start + DEFAULT_WINDOW
        if end <= start:
            raise BadRequestError(f"end {end} must be after start {start}", field="end")
        return start, end


class TicketmasterClient(ApiClient):
    backend = "ticketmaster-discovery-v2"

    def __init__(
        self,
        api_key: str,
        *,
        api_url: str,
        options: HttpOptions | None = None,
        max_depth: int = MAX_PAGING_DEPTH,
    ) -> None:
        super().__init__(
            JsonApi(
                "ticketmaster",
                api_url,
                describe_error=ticketmaster_error_message,
                options=options or HttpOptions(min_interval_seconds=RATE_LIMIT_INTERVAL_SECONDS),
                secret_params=frozenset({"apikey"}),
            )
        )
        self._api_key = api_key
        self._max_depth = max_depth
        self._logger = get_logger("concert")

    @classmethod
    def from_secrets(
        cls,
        secrets: SecretStore,
        settings: ConcertSettings,
        *,
        options: HttpOptions | None = None,
    ) -> TicketmasterClient:
        """A client for ``settings.ticketmaster_api_url`` with ``{api_key}`` from the secret."""
        credentials = read_credentials(secrets, settings.ticketmaster_secret, ("api_key",))
        return cls(credentials["api_key"], api_url=settings.ticketmaster_api_url, options=options)

    def search(
        self,
        resource: Resource,
        params: Mapping[str, str] | None = None,
        *,
        size: int = MAX_PAGE_SIZE,
        warnings: list[str] | None = None,
    ) -> Iterator[ApiPage]:
        """Pages of ``GET /{resource}.json`` (items: ``_embedded.{resource}``)."""
        _check_size(size)
        first, total_pages = self._page(resource, params or {}, 0, size)
        yield from self._pages_from(
            resource,
            params or {},
            size=size,
            first=first,
            total_pages=total_pages,
            warnings=warnings,
        )

    def search_events(
        self,
        query: EventQuery | None = None,
        *,
        size: int = MAX_PAGE_SIZE,
        warnings: list[str] | None = None,
        now: datetime | None = None,
    ) -> Iterator[ApiPage]:
        """Pages of events in ``query``'s window, narrowed so no request pages too deep.

        Split windows overlap by a second, so an event on a boundary is found
        whether the API's bounds are inclusive or not; it may then appear twice.
        """
        _check_size(size)
        query = query or EventQuery()
        start, end = query.window(now or datetime.now(UTC))
        yield from self._event_window(query.params(), start, end, size, warnings)

    def check(self) -> HealthStatus:
        def probe() -> str:
            page, _ = self._page("events", {}, 0, 1)
            return f"{page.total} event(s) listed"

        return timed_check("ticketmaster", self.backend, probe)

    # -- helpers --------------------------------------------------------------

    def _page(
        self, resource: Resource, params: Mapping[str, str], number: int, size: int
    ) -> tuple[ApiPage, int]:
        query: dict[str, str | int] = {
            **params,
            "apikey": self._api_key,
            "size": size,
            "page": number,
        }
        response = self._api.get(f"/{resource}.json", params=query)
        total_pages = response.require("page.totalPages", int)
        total = response.require("page.totalElements", int)
        # The API leaves _embedded out altogether when nothing matches.
        items = response.optional(f"_embedded.{resource}", list) or []
        return ApiPage(response, items, total), total_pages

    def _pages_from(
        self,
        resource: Resource,
        params: Mapping[str, str],
        *,
        size: int,
        first: ApiPage,
        total_pages: int,
        warnings: list[str] | None,
    ) -> Iterator[ApiPage]:
        yield first
        fetched, number = len(first.items), 1
        while number < total_pages and fetched:
            if number * size >= self._max_depth:
                scope = ", ".join(f"{k}={v}" for k, v in params.items())
                self._warn(
                    warnings,
                    f"ticketmaster /{resource}.json ({scope}): stopped after {fetched} of "
                    f"{first.total} item(s): the API pages no deeper than size * page < "
                    f"{self._max_depth}; narrow the query to fetch the rest",
                )
                return
            page, _ = self._page(resource, params, number, size)
            if not page.items:
                return
            yield page
            fetched, number = fetched + len(page.items), number + 1

    def _event_window(
        self,
        params: Mapping[str, str],
        start: datetime,
        end: datetime,
        size: int,
        warnings: list[str] | None,
    ) -> Iterator[ApiPage]:
        bounded = {
            **params,
            "startDateTime": _api_time(start),
            "endDateTime": _api_time(end),
            "sort": "date,asc",
        }
        first, total_pages = self._page("events", bounded, 0, size)
        reachable = math.ceil(self._max_depth / size) * size
        if (first.total or 0) > reachable and end - start > MIN_WINDOW:
            middle = (start + (end - start) / 2).replace(microsecond=0)
            yield from self._event_window(params, start, middle + _ONE_SECOND, size, warnings)
            yield from self._event_window(params, middle, end, size, warnings)
            return
        yield from self._pages_from(
            "events",
            bounded,
            size=size,
            first=first,
            total_pages=total_pages,
            warnings=warnings,
        )

    def _warn(self, warnings: list[str] | None, message: str) -> None:
        self._logger.warning(message)
        if warnings is not None:
            warnings.append(message)


def _check_size(size: int) -> None:
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise BadRequestError(f"size must be 1..{MAX_PAGE_SIZE}, got {size}", field="size")


def _whole_seconds(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        raise BadRequestError(f"{name} must include a time zone", field=name)
    return moment.astimezone(UTC).replace(microsecond=0)


def _api_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def fetch_ticketmaster_events(
    query: EventQuery | None = None,
    *,
    secrets: SecretStore,
    settings: ConcertSettings,
    raw_store: ObjectStore,
    enrichment: Enrichment | None = None,
    currency: str = "USD",
    size: int = MAX_PAGE_SIZE,
    max_pages: int | None = None,
    progress: ProgressCallback | None = None,
    options: HttpOptions | None = None,
    batch_id: str | None = None,
    day: date | None = None,
    now: datetime | None = None,
) -> ConnectorRun:
    """Search events, then land three batches under one batch id: concerts (with the
    raw event pages), and the venues and artists those events embed (whose
    manifests point at the concerts pages they were read from).

    ``max_pages`` caps the event pages landed. Past the cap, asking the search for one
    more page costs a request only when one may follow; if one does, a warning says so.
    """
    if max_pages is not None and max_pages < 1:
        raise BadRequestError(f"max_pages must be at least 1, got {max_pages}", field="max_pages")
    log = PageLog("ticketmaster", progress)
    warnings: list[str] = []
    with TicketmasterClient.from_secrets(secrets, settings, options=options) as client:
        found = client.search_events(query, size=size, warnings=warnings, now=now)
        for page in islice(found, max_pages):
            log.add(page)
        if len(log.pages) == max_pages and next(found, None) is not None:
            warnings.append(
                f"ticketmaster events: stopped at max_pages={max_pages} ({len(log.items)} "
                "events) while more match; raise max_pages or narrow the query"
            )
        requests = client.requests
    batches = map_ticketmaster_events(
        log.items, enrichment=enrichment or Enrichment(), currency=currency
    )
    batch_id = batch_id or new_batch_id()
    day = day or datetime.now(UTC).date()
    pages = partition_prefix(Zone.RAW, "concerts", day, source="ticketmaster")
    derived = {"derived_from": f"{pages}batch={batch_id}/"}
    landed = tuple(
        land_api_records(
            raw_store,
            source="ticketmaster",
            entity=entity,
            raw_responses=log.pages if entity == "concerts" else (),
            mapped=batch.records,
            rejections=batch.rejections,
            batch_id=batch_id,
            day=day,
            details=({"warnings": "\n".join(warnings)} if warnings else {})
            if entity == "concerts"
            else derived,
        )
        for entity, batch in batches.items()
    )
    return ConnectorRun("ticketmaster", batch_id, len(log.pages), requests, landed, tuple(warnings))


__all__ = [
    "MAX_PAGE_SIZE",
    "MAX_PAGING_DEPTH",
    "EventQuery",
    "TicketmasterClient",
    "fetch_ticketmaster_events",
    "ticketmaster_error_message",
]
