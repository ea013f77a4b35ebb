"""The Spotify connector against a local server speaking the Web API's documented shapes:
client-credentials token, caching and refresh, search paging, artist details, landing."""

from __future__ import annotations

import base64
import json
from datetime import date
from urllib.parse import parse_qs

import pytest

from concert.domain.models import Artist
from concert.ingest.connectors import (
    ApiAuthenticationError,
    ApiNotFoundError,
    FetchProgress,
    MissingCredentialsError,
    SpotifyClient,
    fetch_spotify_artists,
)
from concert.lake import read_manifest
from concert.settings import ConcertSettings
from foundation.errors import BadRequestError, ConfigurationError
from foundation.objectstore import LocalObjectStore
from foundation.secrets import SecretStore
from tests.integration.concert.connectors.conftest import Timekeeper, secrets_with
from tests.integration.concert.connectors.fake_apis import (
    SPOTIFY_CLIENT_ID,
    SPOTIFY_CLIENT_SECRET,
    FakeApis,
    Fault,
    spotify_artist,
    spotify_id,
)

TOKEN = "/api/token"
SEARCH = "/v1/search"
EXPIRED = {"error": {"status": 401, "message": "The access token expired"}}


@pytest.fixture
def client(secrets: SecretStore, settings: ConcertSettings, clock: Timekeeper) -> SpotifyClient:
    return SpotifyClient.from_secrets(secrets, settings, options=clock.options())


def echoes(count: int) -> list[dict[str, object]]:
    return [spotify_artist(number, f"Echo {number}") for number in range(1, count + 1)]


def test_the_token_is_requested_with_client_credentials_and_http_basic(
    fake: FakeApis, client: SpotifyClient
) -> None:
    fake.artists = echoes(1)
    list(client.search_artists("echo"))
    (token_request,) = fake.seen(TOKEN)
    basic = base64.b64encode(f"{SPOTIFY_CLIENT_ID}:{SPOTIFY_CLIENT_SECRET}".encode()).decode()
    assert token_request.headers["authorization"] == f"Basic {basic}"
    assert parse_qs(token_request.body.decode()) == {"grant_type": ["client_credentials"]}
    assert fake.seen(SEARCH)[0].headers["authorization"] == "Bearer BQ-token-1"


def test_the_token_is_cached_until_shortly_before_expires_in(
    fake: FakeApis, client: SpotifyClient, clock: Timekeeper
) -> None:
    fake.artists = echoes(1)
    fake.token_lifetime = 600
    list(client.search_artists("echo"))
    list(client.search_artists("echo"))
    clock.now += 600 - 60 - 1  # a minute's margin before expires_in
    list(client.search_artists("echo"))
    assert len(fake.seen(TOKEN)) == 1
    clock.now += 2
    list(client.search_artists("echo"))
    assert len(fake.seen(TOKEN)) == 2
    assert all(received.status == 200 for received in fake.seen(SEARCH))


def test_a_revoked_token_is_refreshed_once_on_401(fake: FakeApis, client: SpotifyClient) -> None:
    fake.artists = echoes(1)
    list(client.search_artists("echo"))
    fake.revoke_tokens()
    pages = list(client.search_artists("echo"))
    assert [received.status for received in fake.seen(SEARCH)] == [200, 401, 200]
    assert len(fake.seen(TOKEN)) == 2
    assert pages[0].items[0]["name"] == "Echo 1"


def test_a_401_after_the_refresh_is_an_authentication_error(
    fake: FakeApis, client: SpotifyClient
) -> None:
    fake.fail(SEARCH, Fault(401, EXPIRED), Fault(401, EXPIRED))
    with pytest.raises(ApiAuthenticationError, match="The access token expired"):
        list(client.search_artists("echo"))
    assert len(fake.seen(TOKEN)) == 2


def test_wrong_client_credentials_are_an_authentication_error_naming_the_secret(
    fake: FakeApis, settings: ConcertSettings, clock: Timekeeper
) -> None:
    wrong = secrets_with(
        {settings.spotify_secret: {"client_id": SPOTIFY_CLIENT_ID, "client_secret": "nope-123"}}
    )
    with (
        SpotifyClient.from_secrets(wrong, settings, options=clock.options()) as client,
        pytest.raises(ApiAuthenticationError) as caught,
    ):
        list(client.search_artists("echo"))
    message = str(caught.value)
    assert "spotify POST /api/token" in message
    assert "invalid_client: Invalid client" in message
    assert repr(settings.spotify_secret) in message
    assert "nope-123" not in message
    assert fake.seen(SEARCH) == []
    assert clock.sleeps == []


def test_a_missing_secret_says_how_to_set_it_locally(settings: ConcertSettings) -> None:
    with pytest.raises(MissingCredentialsError) as caught:
        SpotifyClient.from_secrets(secrets_with({}), settings)
    assert isinstance(caught.value, ConfigurationError)
    assert "secret 'concert/spotify' is not set" in str(caught.value)
    assert "SKYLINE_SECRET_CONCERT_SPOTIFY=" in str(caught.value)


def test_a_secret_without_client_secret_names_the_missing_field(settings: ConcertSettings) -> None:
    partial = secrets_with({settings.spotify_secret: {"client_id": "abc", "client_secret": " "}})
    with pytest.raises(MissingCredentialsError, match="lacks client_secret"):
        SpotifyClient.from_secrets(partial, settings)


def test_search_pages_with_offset_and_limit_until_next_is_null(
    fake: FakeApis, client: SpotifyClient
) -> None:
    fake.artists = [*echoes(25), spotify_artist(99, "Someone Else")]
    pages = list(client.search_artists("echo", limit=10, max_results=100))
    assert [len(page.items) for page in pages] == [10, 10, 5]
    assert {page.total for page in pages} == {25}
    asked = [(received.query["offset"], received.query["limit"]) for received in fake.seen(SEARCH)]
    assert asked == [("0", "10"), ("10", "10"), ("20", "10")]
    assert {received.query["type"] for received in fake.seen(SEARCH)} == {"artist"}
    names = [item["name"] for page in pages for item in page.items]
    assert names == [f"Echo {number}" for number in range(1, 26)]


def test_search_asks_for_no_more_than_max_results(fake: FakeApis, client: SpotifyClient) -> None:
    fake.artists = echoes(25)
    pages = list(client.search_artists("echo", limit=10, max_results=15))
    assert [len(page.items) for page in pages] == [10, 5]
    asked = [(received.query["offset"], received.query["limit"]) for received in fake.seen(SEARCH)]
    assert asked == [("0", "10"), ("10", "5")]


@pytest.mark.parametrize(
    ("query", "limit", "max_results", "field"),
    [
        ("echo", 0, 10, "limit"),
        ("echo", 51, 10, "limit"),
        ("echo", 10, 1001, "max_results"),
        ("  ", 10, 10, "query"),
    ],
)
def test_search_refuses_what_spotify_would_refuse_before_any_request(
    fake: FakeApis, client: SpotifyClient, query: str, limit: int, max_results: int, field: str
) -> None:
    with pytest.raises(BadRequestError) as caught:
        list(client.search_artists(query, limit=limit, max_results=max_results))
    assert caught.value.extra["field"] == field
    assert fake.requests == []


def test_get_artist_returns_the_artist_object_or_not_found(
    fake: FakeApis, client: SpotifyClient
) -> None:
    fake.artists = echoes(3)
    assert client.get_artist(spotify_id(2))["name"] == "Echo 2"
    with pytest.raises(ApiNotFoundError, match="HTTP 404: Resource not found"):
        client.get_artist(spotify_id(77))
    with pytest.raises(BadRequestError, match="22 letters or digits"):
        client.get_artist("../me")
    assert len(fake.seen(f"/v1/artists/{spotify_id(77)}")) == 1


def test_get_artists_asks_for_at_most_50_ids_a_call(fake: FakeApis, client: SpotifyClient) -> None:
    fake.artists = echoes(119)
    ids = [spotify_id(number) for number in range(1, 121)]  # the last one is unknown
    pages = list(client.get_artists(ids))
    sizes = [len(received.query["ids"].split(",")) for received in fake.seen("/v1/artists")]
    assert sizes == [50, 50, 20]
    assert [len(page.items) for page in pages] == [50, 50, 20]
    assert pages[-1].items[-1] is None


def test_fetch_lands_pages_records_and_a_manifest_whose_counts_add_up(
    fake: FakeApis,
    secrets: SecretStore,
    settings: ConcertSettings,
    raw_store: LocalObjectStore,
    clock: Timekeeper,
) -> None:
    fake.artists = [
        *echoes(12),
        spotify_artist(13, "Echo Dev Mode", popularity=None),
        spotify_artist(14, "Nova", genres=("Synth Pop", "synth  pop")),
    ]
    progress: list[FetchProgress] = []
    run = fetch_spotify_artists(
        ["echo", "o"],  # "o" finds every artist again
        secrets=secrets,
        settings=settings,
        raw_store=raw_store,
        artist_ids=[spotify_id(14), spotify_id(404)],
        limit=5,
        progress=progress.append,
        options=clock.options(),
        batch_id="spotify-run-1",
        day=date(2025, 6, 1),
    )
    # echo: 13 items in pages of 5, 5, 3; o: 14 in 5, 5, 4; ids: one page of 2.
    assert run.pages == 7
    assert [update.pages for update in progress] == list(range(1, 8))
    assert progress[-1].items == 29
    assert (run.records, run.rejected) == (13, 16)

    prefix = "raw/spotify/artists/dt=2025-06-01/batch=spotify-run-1/"
    manifest = read_manifest(raw_store, f"{prefix}_manifest.json")
    assert (manifest.rows_read, manifest.rows_accepted, manifest.rows_rejected) == (29, 13, 16)
    pages = [file for file in manifest.files if file.key.startswith(f"{prefix}page-")]
    assert [file.key.removeprefix(prefix) for file in pages][:2] == [
        "page-00000.json",
        "page-00001.json",
    ]
    assert sum(file.rows for file in pages) == manifest.rows_read
    first_page = json.loads(raw_store.get(pages[0].key).body)
    assert [item["name"] for item in first_page["artists"]["items"]] == [
        f"Echo {number}" for number in range(1, 6)
    ]
    assert manifest.details["page-00000.json"] == (
        "spotify GET /search?q=echo&type=artist&limit=5&offset=0"
    )

    lines = raw_store.get(f"{prefix}records.ndjson").body.decode().splitlines()
    artists = [Artist.model_validate_json(line) for line in lines]
    assert len(artists) == 13
    nova = next(artist for artist in artists if artist.name == "Nova")
    assert nova.artist_id == f"spotify:{spotify_id(14)}"
    assert nova.spotify_id == spotify_id(14)
    assert nova.genres == ["synth pop"]
    assert (nova.members, nova.formation_date, nova.popularity) == ([], None, 50)

    rejected_key = "quarantine/spotify/artists/dt=2025-06-01/batch=spotify-run-1/rejected.jsonl"
    assert run.batch("artists").quarantine_key == rejected_key
    rejected = [json.loads(line) for line in raw_store.get(rejected_key).body.splitlines()]
    reasons = [(item["field"], item["reason"]) for item in rejected]
    assert sum(reason.startswith("duplicate of item") for _, reason in reasons) == 13
    assert (
        reasons.count(
            (
                "popularity",
                "absent from the Spotify artist (Spotify withholds it from Development Mode apps)",
            )
        )
        == 2
    )
    assert ("artist_id", "Spotify answered null: no artist has this id") in reasons
    indexes = sorted(item["index"] for item in rejected)
    assert len(set(indexes)) == len(indexes) and indexes[-1] == 28
