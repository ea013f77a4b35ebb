"""A real HTTP server on a free loopback port speaking the Spotify Web API and the
Ticketmaster Discovery API v2 in their documented shapes.

Spotify: ``POST /api/token`` (client credentials, HTTP Basic; a wrong client
answers 400 ``{"error": "invalid_client", ...}``), ``GET /v1/search?type=artist``
(``artists.items/next/total``, offset/limit), ``GET /v1/artists/{id}`` and
``GET /v1/artists?ids=`` (at most 50, ``null`` for unknown ids); a missing,
unknown or revoked bearer token answers 401 ``{"error": {"status", "message"}}``.

Ticketmaster: ``GET /discovery/v2/{events,venues,attractions}.json`` with the
``apikey`` query parameter (else 401 with the gateway's ``fault`` document),
``page``/``size`` paging, ``page.totalPages``, ``_embedded`` left out when empty,
the deep-paging limit (``size * page < max_depth``, else 400 ``DIS1035``), and
events filtered by ``startDateTime``/``endDateTime`` (inclusive) sorted by date.

Faults scripted with :meth:`FakeApis.fail` answer the next requests to a path
before any of that, so tests can play 429s, 5xx, stalls and broken bodies.
"""

from __future__ import annotations

import asyncio
import base64
import math
import re
import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SPOTIFY_CLIENT_ID = "fake-client-id"
SPOTIFY_CLIENT_SECRET = "fake-client-secret"
TICKETMASTER_API_KEY = "fake-tm-key-0123456789"
_SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")


@dataclass(frozen=True)
class Fault:
    """One scripted answer: a JSON ``body``, or ``raw`` bytes, or a ``stall`` first."""

    status: int
    body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    stall_seconds: float = 0.0


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    status: int


# -- documented object shapes ----------------------------------------------------


def spotify_id(number: int) -> str:
    return f"Spot{number:018d}"


def spotify_artist(
    number: int,
    name: str | None = None,
    *,
    popularity: int | None = 50,
    genres: tuple[str, ...] = ("indie rock", "dream pop"),
) -> dict[str, Any]:
    """A Spotify artist object; ``popularity=None`` leaves the field out (Development Mode)."""
    artist_id = spotify_id(number)
    artist: dict[str, Any] = {
        "external_urls": {"spotify": f"https://open.spotify.com/artist/{artist_id}"},
        "followers": {"href": None, "total": 1000 * number},
        "genres": list(genres),
        "href": f"https://api.spotify.com/v1/artists/{artist_id}",
        "id": artist_id,
        "images": [{"url": "https://i.scdn.co/image/ab67", "height": 640, "width": 640}],
        "name": name or f"Artist {number}",
        "popularity": popularity,
        "type": "artist",
        "uri": f"spotify:artist:{artist_id}",
    }
    if popularity is None:
        del artist["popularity"]
    return artist


def tm_venue(number: int, *, state: bool = True, zone: str = "America/New_York") -> dict[str, Any]:
    venue: dict[str, Any] = {
        "name": f"Hall {number}",
        "type": "venue",
        "id": f"KovZpZA{number:05d}",
        "url": f"https://www.ticketmaster.com/venue/{number}",
        "locale": "en-us",
        "postalCode": "10001",
        "timezone": zone,
        "city": {"name": "New York"},
        "state": {"name": "New York", "stateCode": "NY"},
        "country": {"name": "United States Of America", "countryCode": "US"},
        "address": {"line1": f"{number} Seventh Avenue"},
        "location": {"longitude": "-73.99160060", "latitude": "40.74970620"},
        "upcomingEvents": {"_total": 12, "ticketmaster": 12, "_filtered": 0},
        "_links": {"self": {"href": f"/discovery/v2/venues/KovZpZA{number:05d}?locale=en-us"}},
    }
    if not state:
        del venue["state"]
    return venue


def tm_attraction(
    number: int, *, genre: str = "Rock", sub_genre: str = "Alternative Rock", spotify: str = ""
) -> dict[str, Any]:
    attraction: dict[str, Any] = {
        "name": f"Act {number}",
        "type": "attraction",
        "id": f"K8vZ917{number:05d}",
        "url": f"https://www.ticketmaster.com/act-{number}",
        "locale": "en-us",
        "classifications": [
            {
                "primary": True,
                "segment": {"id": "KZFzniwnSyZfZ7v7nJ", "name": "Music"},
                "genre": {"id": "KnvZfZ7vAeA", "name": genre},
                "subGenre": {"id": "KZazBEonSMnZfZ7v6F1", "name": sub_genre},
                "type": {"id": "KZAyXgnZfZ7v7nI", "name": "Undefined"},
                "subType": {"id": "KZFzBErXgnZfZ7v7lJ", "name": "Undefined"},
                "family": False,
            }
        ],
        "upcomingEvents": {"_total": 4, "ticketmaster": 4, "_filtered": 0},
    }
    if spotify:
        attraction["externalLinks"] = {
            "spotify": [{"url": f"https://open.spotify.com/artist/{spotify}"}]
        }
    return attraction


def tm_event(
    number: int,
    start: datetime,
    *,
    venue: dict[str, Any] | None = None,
    attractions: list[dict[str, Any]] | None = None,
    prices: tuple[float, float] | None = (49.5, 150.0),
    currency: str = "USD",
    status: str = "onsale",
    date_time: bool = True,
) -> dict[str, Any]:
    """An event starting at ``start`` (UTC); ``date_time=False`` gives only the local date and
    time, as Ticketmaster does for some events."""
    venue = venue if venue is not None else tm_venue(number)
    local = start.astimezone(ZoneInfo(venue.get("timezone", "UTC")))
    dates_start: dict[str, Any] = {
        "localDate": local.date().isoformat(),
        "localTime": local.strftime("%H:%M:%S"),
        "dateTBD": False,
        "dateTBA": False,
        "timeTBA": False,
        "noSpecificTime": False,
    }
    if date_time:
        dates_start["dateTime"] = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    event: dict[str, Any] = {
        "name": f"Concert {number}",
        "type": "event",
        "id": f"vvG1{number:06d}",
        "url": f"https://www.ticketmaster.com/event/{number}",
        "locale": "en-us",
        "dates": {
            "start": dates_start,
            "timezone": venue.get("timezone"),
            "status": {"code": status},
            "spanMultipleDays": False,
        },
        "classifications": [
            {"primary": True, "segment": {"id": "KZFzniwnSyZfZ7v7nJ", "name": "Music"}}
        ],
        "_embedded": {
            "venues": [venue],
            "attractions": attractions if attractions is not None else [tm_attraction(number)],
        },
    }
    if prices is not None:
        low, high = prices
        event["priceRanges"] = [{"type": "standard", "currency": currency, "min": low, "max": high}]
    return event


def _event_start(event: dict[str, Any]) -> datetime:
    start = event["dates"]["start"]
    if "dateTime" in start:
        return datetime.fromisoformat(start["dateTime"])
    return datetime.fromisoformat(f"{start['localDate']}T{start['localTime']}").replace(
        tzinfo=ZoneInfo(event["dates"]["timezone"])
    )


# -- the server --------------------------------------------------------------------


class FakeApis:
    """Runs uvicorn in a background thread; use as a context manager."""

    def __init__(self) -> None:
        self.artists: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.venues: list[dict[str, Any]] = []
        self.attractions: list[dict[str, Any]] = []
        self.requests: list[Received] = []
        self.token_lifetime = 3600
        self.max_depth = 1000
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._generation = 0  # requests of a previous test that answer late are not recorded
        self._tokens: dict[str, bool] = {}  # token -> still valid
        self._stopping = threading.Event()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit it; without it Nagle + delayed ACK add ~40 ms a request.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        app = Starlette(
            routes=[
                Route("/api/token", self._token, methods=["POST"]),
                Route("/v1/search", self._search, methods=["GET"]),
                Route("/v1/artists", self._several_artists, methods=["GET"]),
                Route("/v1/artists/{artist_id}", self._artist, methods=["GET"]),
                Route("/discovery/v2/{resource}.json", self._discovery, methods=["GET"]),
            ]
        )
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def spotify_api_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def spotify_token_url(self) -> str:
        return f"{self.url}/api/token"

    @property
    def ticketmaster_api_url(self) -> str:
        return f"{self.url}/discovery/v2"

    def fail(self, path: str, *faults: Fault) -> None:
        """Answer the next ``len(faults)`` requests to ``path`` with these faults."""
        self._faults[path].extend(faults)

    def revoke_tokens(self) -> None:
        self._tokens = dict.fromkeys(self._tokens, False)

    def seen(self, path: str) -> list[Received]:
        return [received for received in self.requests if received.path == path]

    def reset(self) -> None:
        self._generation += 1
        self.artists, self.events, self.venues, self.attractions = [], [], [], []
        self.requests.clear()
        self._faults.clear()
        self._tokens.clear()
        self.token_lifetime = 3600
        self.max_depth = 1000

    def __enter__(self) -> FakeApis:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake API server did not start within 10 s")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    # -- plumbing ------------------------------------------------------------------

    async def _answer(self, request: Request, handler: Any) -> Response:
        generation = self._generation
        body = await request.body()
        fault = self._faults[request.url.path].popleft() if self._faults[request.url.path] else None
        if fault is not None:
            if fault.stall_seconds:
                await asyncio.to_thread(self._stopping.wait, fault.stall_seconds)
            if fault.raw is not None:
                response: Response = Response(
                    fault.raw, fault.status, fault.headers, media_type="application/json"
                )
            else:
                response = JSONResponse(fault.body, fault.status, fault.headers)
        else:
            response = handler(request, body)
        if generation != self._generation:
            return response
        self.requests.append(
            Received(
                request.method,
                request.url.path,
                dict(request.query_params),
                dict(request.headers),
                body,
                response.status_code,
            )
        )
        return response

    # -- Spotify ---------------------------------------------------------------------

    async def _token(self, request: Request) -> Response:
        return await self._answer(request, self._issue_token)

    def _issue_token(self, request: Request, body: bytes) -> Response:
        expected = base64.b64encode(f"{SPOTIFY_CLIENT_ID}:{SPOTIFY_CLIENT_SECRET}".encode())
        if request.headers.get("authorization", "") != f"Basic {expected.decode()}":
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Invalid client"}, 400
            )
        form = parse_qs(body.decode())
        if form.get("grant_type") != ["client_credentials"]:
            return JSONResponse(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant_type parameter is missing",
                },
                400,
            )
        token = f"BQ-token-{len(self._tokens) + 1}"
        self._tokens[token] = True
        return JSONResponse(
            {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime}
        )

    def _unauthorized(self, request: Request) -> Response | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return _spotify_error(401, "No token provided")
        valid = self._tokens.get(header.removeprefix("Bearer "))
        if valid is None:
            return _spotify_error(401, "Invalid access token")
        return None if valid else _spotify_error(401, "The access token expired")

    async def _search(self, request: Request) -> Response:
        return await self._answer(request, self._search_artists)

    def _search_artists(self, request: Request, _: bytes) -> Response:
        refused = self._unauthorized(request)
        if refused is not None:
            return refused
        params = request.query_params
        if "artist" not in params.get("type", "").split(","):
            return _spotify_error(400, "Bad search type field")
        limit, offset = int(params.get("limit", "20")), int(params.get("offset", "0"))
        if not 0 <= limit <= 50:
            return _spotify_error(400, "Invalid limit")
        if not 0 <= offset <= 1000:
            return _spotify_error(400, "Invalid offset")
        query = params.get("q", "").lower()
        matches = [artist for artist in self.artists if query in artist["name"].lower()]
        items = matches[offset : offset + limit]

        def link(at: int) -> str:
            fields = {"query": params.get("q", ""), "type": "artist", "offset": at, "limit": limit}
            return f"{self.spotify_api_url}/search?{urlencode(fields)}"

        more = offset + limit < len(matches)
        return JSONResponse(
            {
                "artists": {
                    "href": link(offset),
                    "items": items,
                    "limit": limit,
                    "next": link(offset + limit) if more else None,
                    "offset": offset,
                    "previous": link(max(0, offset - limit)) if offset else None,
                    "total": len(matches),
                }
            }
        )

    async def _several_artists(self, request: Request) -> Response:
        return await self._answer(request, self._list_artists)

    def _list_artists(self, request: Request, _: bytes) -> Response:
        refused = self._unauthorized(request)
        if refused is not None:
            return refused
        ids = [value for value in request.query_params.get("ids", "").split(",") if value]
        if len(ids) > 50:
            return _spotify_error(400, "Too many ids requested")
        by_id = {artist["id"]: artist for artist in self.artists}
        return JSONResponse({"artists": [by_id.get(artist_id) for artist_id in ids]})

    async def _artist(self, request: Request) -> Response:
        return await self._answer(request, self._one_artist)

    def _one_artist(self, request: Request, _: bytes) -> Response:
        refused = self._unauthorized(request)
        if refused is not None:
            return refused
        artist_id = request.path_params["artist_id"]
        if not _SPOTIFY_ID.match(artist_id):
            return _spotify_error(400, "invalid id")
        for artist in self.artists:
            if artist["id"] == artist_id:
                return JSONResponse(artist)
        return _spotify_error(404, "Resource not found")

    # -- Ticketmaster --------------------------------------------------------------------

    async def _discovery(self, request: Request) -> Response:
        return await self._answer(request, self._listing)

    def _listing(self, request: Request, _: bytes) -> Response:
        params = request.query_params
        if params.get("apikey") != TICKETMASTER_API_KEY:
            return JSONResponse(
                {
                    "fault": {
                        "faultstring": "Invalid ApiKey",
                        "detail": {"errorcode": "oauth.v2.InvalidApiKey"},
                    }
                },
                401,
            )
        resource = request.path_params["resource"]
        size, number = int(params.get("size", "20")), int(params.get("page", "0"))
        if size * number >= self.max_depth:
            detail = (
                "API Limits Exceeded: Max paging depth exceeded. (page * size) must be less "
                f"than {self.max_depth:,}"
            )
            return JSONResponse(
                {"errors": [{"code": "DIS1035", "detail": detail, "status": "400"}]}, 400
            )
        items = {"events": self.events, "venues": self.venues, "attractions": self.attractions}
        if resource not in items:
            return JSONResponse(
                {"errors": [{"code": "DIS1004", "detail": "Resource not found"}]}, 404
            )
        matches = items[resource]
        if resource == "events":
            matches = self._in_window(
                matches, params.get("startDateTime"), params.get("endDateTime")
            )
        page_items = matches[number * size : (number + 1) * size]
        href = f"/discovery/v2/{resource}.json?page={number}&size={size}"
        document: dict[str, Any] = {"_links": {"self": {"href": href}}}
        if page_items:
            document["_embedded"] = {resource: page_items}
        total_pages = math.ceil(len(matches) / size)
        if number + 1 < total_pages:
            document["_links"]["next"] = {
                "href": f"/discovery/v2/{resource}.json?page={number + 1}&size={size}"
            }
        document["page"] = {
            "size": size,
            "totalElements": len(matches),
            "totalPages": total_pages,
            "number": number,
        }
        return JSONResponse(document)

    @staticmethod
    def _in_window(
        events: list[dict[str, Any]], start: str | None, end: str | None
    ) -> list[dict[str, Any]]:
        low = datetime.fromisoformat(start) if start else None
        high = datetime.fromisoformat(end) if end else None
        chosen = [
            event
            for event in events
            if (low is None or _event_start(event) >= low)
            and (high is None or _event_start(event) <= high)
        ]
        return sorted(chosen, key=lambda event: (_event_start(event), event["id"]))


def _spotify_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message}}, status)
