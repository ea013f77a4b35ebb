"""Spotify Web API: client-credentials token, artist search and artist details.

The token is requested from the token URL with ``grant_type=client_credentials``
and HTTP Basic ``client_id:client_secret``, cached until shortly before its
``expires_in`` and fetched again once if the API answers 401 anyway (a revoked
token). Search pages with ``offset``/``limit`` until ``artists.next`` is null;
Spotify serves no offset past 1000.

Since 2026 Spotify restricts Development Mode apps: search takes at most 10
results per page (hence the default ``limit``), ``GET /artists?ids=`` is gone and
artist objects come without ``popularity``, which the model requires, so
such artists are rejected with that reason. Extended Quota Mode apps keep it all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import httpx

from concert.domain.models import SPOTIFY_ID_PATTERN
from concert.ingest.connectors.credentials import read_credentials
from concert.ingest.connectors.exceptions import (
    ApiAuthenticationError,
    ApiRequestError,
    ApiResponseError,
)
from concert.ingest.connectors.http import (
    ApiClient,
    ApiPage,
    ApiResponse,
    HttpOptions,
    JsonApi,
    QueryParams,
)
from concert.ingest.connectors.landing import (
    ConnectorRun,
    PageLog,
    ProgressCallback,
    land_api_records,
)
from concert.ingest.connectors.mapping import map_spotify_artists
from concert.settings import ConcertSettings
from foundation.errors import BadRequestError
from foundation.health import HealthStatus, timed_check
from foundation.objectstore import ObjectStore
from foundation.secrets import SecretStore

DEFAULT_SEARCH_LIMIT = 10  # the most a Development Mode app may ask for
MAX_SEARCH_LIMIT = 50
DEFAULT_MAX_RESULTS = 50  # artists per search term
MAX_SEARCH_OFFSET = 1000
MAX_IDS_PER_CALL = 50
TOKEN_REFRESH_MARGIN_SECONDS = 60.0
_SPOTIFY_ID = re.compile(SPOTIFY_ID_PATTERN)


def spotify_error_message(body: Any) -> str | None:
    """The message of the API's ``{"error": {"status", "message"}}`` or of the token
    endpoint's ``{"error": "invalid_client", "error_description": ...}`` (RFC 6749)."""
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    if isinstance(error, str):
        description = body.get("error_description")
        return f"{error}: {description}" if isinstance(description, str) else error
    return None


class SpotifyClient(ApiClient):
    backend = "spotify-web-api"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        api_url: str,
        token_url: str,
        options: HttpOptions | None = None,
        secret_name: str | None = None,
    ) -> None:
        self._options = options or HttpOptions()
        super().__init__(
            JsonApi("spotify", api_url, describe_error=spotify_error_message, options=self._options)
        )
        self._auth = httpx.BasicAuth(client_id, client_secret)
        self._token_url = token_url
        self._credentials = f"secret {secret_name!r}" if secret_name else "the client credentials"
        self._token: str | None = None
        self._token_deadline = 0.0

    @classmethod
    def from_secrets(
        cls,
        secrets: SecretStore,
        settings: ConcertSettings,
        *,
        options: HttpOptions | None = None,
    ) -> SpotifyClient:
        """A client for ``settings``' URLs with ``{client_id, client_secret}`` from the secret."""
        name = settings.spotify_secret
        credentials = read_credentials(secrets, name, ("client_id", "client_secret"))
        return cls(
            credentials["client_id"],
            credentials["client_secret"],
            api_url=settings.spotify_api_url,
            token_url=settings.spotify_token_url,
            options=options,
            secret_name=name,
        )

    def access_token(self) -> str:
        """The cached token, or a new one when none is cached or it is about to expire."""
        if self._token is None or self._options.monotonic() >= self._token_deadline:
            token, lifetime = self._request_token()
            margin = min(TOKEN_REFRESH_MARGIN_SECONDS, lifetime / 10)
            self._token, self._token_deadline = token, self._options.monotonic() + lifetime - margin
        return self._token

    def search_artists(
        self,
        query: str,
        *,
        limit: int = DEFAULT_SEARCH_LIMIT,
        max_results: int = DEFAULT_MAX_RESULTS,
    ) -> Iterator[ApiPage]:
        """Pages of ``GET /search?type=artist`` (items: artist objects), up to ``max_results``."""
        if not query.strip():
            raise BadRequestError("the search query must not be blank", field="query")
        if not 1 <= limit <= MAX_SEARCH_LIMIT:
            raise BadRequestError(
                f"limit must be 1..{MAX_SEARCH_LIMIT}, got {limit}", field="limit"
            )
        if not 1 <= max_results <= MAX_SEARCH_OFFSET:
            raise BadRequestError(
                f"max_results must be 1..{MAX_SEARCH_OFFSET} (Spotify's deepest offset), "
                f"got {max_results}",
                field="max_results",
            )
        offset = 0
        while offset < max_results:
            # Asking for exactly what is still wanted keeps every received item in the batch.
            params: dict[str, str | int] = {
                "q": query,
                "type": "artist",
                "limit": min(limit, max_results - offset),
                "offset": offset,
            }
            response = self._get("/search", params)
            items = response.require("artists.items", list)
            yield ApiPage(response, items, response.optional("artists.total", int))
            offset += len(items)
            if not items or response.optional("artists.next", str) is None:
                return

    def get_artist(self, artist_id: str) -> dict[str, Any]:
        """``GET /artists/{id}``: one artist object."""
        response = self._get(f"/artists/{_spotify_id(artist_id)}")
        if not isinstance(response.data, dict):
            raise response.malformed("is not an artist object")
        return response.data

    def get_artists(self, artist_ids: Sequence[str]) -> Iterator[ApiPage]:
        """Pages of ``GET /artists?ids=`` (at most 50 ids a call); unknown ids give null items."""
        ids = [_spotify_id(artist_id) for artist_id in artist_ids]
        for start in range(0, len(ids), MAX_IDS_PER_CALL):
            chunk = ids[start : start + MAX_IDS_PER_CALL]
            response = self._get("/artists", {"ids": ",".join(chunk)})
            yield ApiPage(response, response.require("artists", list), len(ids))

    def check(self) -> HealthStatus:
        def probe() -> str:
            self._request_token()
            return "the token endpoint issued a token"

        return timed_check("spotify", self.backend, probe)

    # -- helpers --------------------------------------------------------------

    def _request_token(self) -> tuple[str, float]:
        try:
            response = self._api.request(
                "POST",
                self._token_url,
                data={"grant_type": "client_credentials"},
                auth=self._auth,
            )
        except (ApiRequestError, ApiAuthenticationError) as exc:
            raise ApiAuthenticationError(
                f"{exc.detail} (credentials from {self._credentials})", **exc.extra
            ) from None
        token = response.optional("access_token", str)
        lifetime = response.optional("expires_in", int)
        if not token or lifetime is None or lifetime <= 0:
            raise ApiResponseError(
                f"{response.endpoint} answered without an access_token and a positive expires_in",
                endpoint=response.endpoint,
            )
        return token, float(lifetime)

    def _get(self, path: str, params: QueryParams | None = None) -> ApiResponse:
        headers = {"Authorization": f"Bearer {self.access_token()}"}
        try:
            return self._api.get(path, params=params, headers=headers)
        except ApiAuthenticationError:
            # Spotify can revoke a token before expires_in: fetch a new one, once.
            self._token = None
        headers = {"Authorization": f"Bearer {self.access_token()}"}
        return self._api.get(path, params=params, headers=headers)


def _spotify_id(artist_id: str) -> str:
    if not _SPOTIFY_ID.match(artist_id):
        raise BadRequestError(
            f"Spotify artist id {artist_id!r} must be 22 letters or digits", field="artist_id"
        )
    return artist_id


def fetch_spotify_artists(
    queries: Sequence[str],
    *,
    secrets: SecretStore,
    settings: ConcertSettings,
    raw_store: ObjectStore,
    artist_ids: Sequence[str] = (),
    limit: int = DEFAULT_SEARCH_LIMIT,
    max_results: int = DEFAULT_MAX_RESULTS,
    progress: ProgressCallback | None = None,
    options: HttpOptions | None = None,
    batch_id: str | None = None,
    day: date | None = None,
) -> ConnectorRun:
    """Search each query (and fetch ``artist_ids``), then land one ``artists`` batch.

    An artist found twice (by two queries) is landed once; the second sighting
    is a rejection marked as a duplicate, so the counts match the raw pages.
    """
    log = PageLog("spotify", progress)
    with SpotifyClient.from_secrets(secrets, settings, options=options) as client:
        for query in queries:
            for page in client.search_artists(query, limit=limit, max_results=max_results):
                log.add(page)
        if artist_ids:
            for page in client.get_artists(artist_ids):
                log.add(page)
        requests = client.requests
    batch = map_spotify_artists(log.items)
    landed = land_api_records(
        raw_store,
        source="spotify",
        entity="artists",
        raw_responses=log.pages,
        mapped=batch.records,
        rejections=batch.rejections,
        batch_id=batch_id,
        day=day,
    )
    return ConnectorRun("spotify", landed.batch_id, len(log.pages), requests, (landed,))


__all__ = [
    "SpotifyClient",
    "fetch_spotify_artists",
    "spotify_error_message",
]
