"""The shared HTTP layer against a real local server: Retry-After, backoff with full jitter,
attempt and wait budgets, refusals carrying the API's message, malformed bodies, pacing."""

from __future__ import annotations

import random
import socket
from email.utils import formatdate

import pytest

from concert.ingest.connectors import (
    ApiAuthenticationError,
    ApiNotFoundError,
    ApiPermissionError,
    ApiRateLimitedError,
    ApiRequestError,
    ApiResponseError,
    ApiUnavailableError,
    EventQuery,
    JsonApi,
    RetryPolicy,
    SpotifyClient,
    TicketmasterClient,
    parse_retry_after,
)
from concert.settings import ConcertSettings
from foundation.errors import DependencyUnavailableError, RateLimitedError
from foundation.secrets import SecretStore
from tests.integration.concert.connectors.conftest import (
    RETRY,
    WALL_CLOCK,
    Timekeeper,
    secrets_with,
)
from tests.integration.concert.connectors.fake_apis import (
    TICKETMASTER_API_KEY,
    FakeApis,
    Fault,
    spotify_artist,
    tm_venue,
)

SEARCH = "/v1/search"
EVENTS = "/discovery/v2/events.json"
VENUES = "/discovery/v2/venues.json"
RATE_LIMITED = {"error": {"status": 429, "message": "API rate limit exceeded"}}
QUOTA_FAULT = {
    "fault": {
        "faultstring": "Rate limit quota violation. Quota limit exceeded.",
        "detail": {"errorcode": "policies.ratelimit.QuotaViolation"},
    }
}


@pytest.fixture
def spotify(
    fake: FakeApis, secrets: SecretStore, settings: ConcertSettings, clock: Timekeeper
) -> SpotifyClient:
    fake.artists = [spotify_artist(1, "Alpha")]
    return SpotifyClient.from_secrets(secrets, settings, options=clock.options())


@pytest.fixture
def ticketmaster(
    fake: FakeApis, secrets: SecretStore, settings: ConcertSettings, clock: Timekeeper
) -> TicketmasterClient:
    fake.venues = [tm_venue(1)]
    return TicketmasterClient.from_secrets(secrets, settings, options=clock.options())


def statuses(fake: FakeApis, path: str) -> list[int]:
    return [received.status for received in fake.seen(path)]


def test_a_429_waits_the_retry_after_seconds_then_succeeds(
    fake: FakeApis, spotify: SpotifyClient, clock: Timekeeper
) -> None:
    fake.fail(SEARCH, Fault(429, RATE_LIMITED, headers={"Retry-After": "7"}))
    pages = list(spotify.search_artists("alpha"))
    assert clock.sleeps == [7.0]
    assert [item["name"] for item in pages[0].items] == ["Alpha"]
    assert statuses(fake, SEARCH) == [429, 200]


def test_a_429_with_an_http_date_waits_until_that_date(
    fake: FakeApis, ticketmaster: TicketmasterClient, clock: Timekeeper
) -> None:
    when = formatdate(WALL_CLOCK + 12, usegmt=True)
    fake.fail(VENUES, Fault(429, QUOTA_FAULT, headers={"Retry-After": when}))
    pages = list(ticketmaster.search("venues"))
    assert clock.sleeps == [pytest.approx(12.0)]
    assert len(pages[0].items) == 1


def test_server_errors_back_off_exponentially_with_full_jitter(
    fake: FakeApis, spotify: SpotifyClient, clock: Timekeeper
) -> None:
    unavailable = Fault(503, {"error": {"status": 503, "message": "Service unavailable"}})
    fake.fail(SEARCH, unavailable, unavailable)
    clock.draws = [0.25, 0.75]
    pages = list(spotify.search_artists("alpha"))
    # Full jitter: draw x min(max_delay, base x 2^(failures - 1)), base 1 s.
    assert clock.sleeps == [0.25 * 1.0, 0.75 * 2.0]
    assert statuses(fake, SEARCH) == [503, 503, 200]
    assert len(pages) == 1


def test_jittered_backoff_stays_under_its_capped_exponential_step() -> None:
    policy = RetryPolicy(base_delay_seconds=0.5, max_delay_seconds=4.0)
    draws = random.Random(11)
    for failures in range(1, 9):
        cap = min(4.0, 0.5 * 2 ** (failures - 1))
        delays = [policy.backoff(failures, draws.random()) for _ in range(40)]
        assert all(0 <= delay <= cap for delay in delays)
        assert len(set(delays)) > 1  # jittered, not a fixed schedule


def test_a_permanent_500_raises_dependency_unavailable_after_max_attempts(
    fake: FakeApis, spotify: SpotifyClient, clock: Timekeeper
) -> None:
    fake.fail(SEARCH, *[Fault(500, {"error": {"status": 500, "message": "Server error"}})] * 9)
    with pytest.raises(ApiUnavailableError) as caught:
        list(spotify.search_artists("alpha"))
    assert isinstance(caught.value, DependencyUnavailableError)
    assert len(fake.seen(SEARCH)) == RETRY.max_attempts
    assert len(clock.sleeps) == RETRY.max_attempts - 1
    message = str(caught.value)
    assert "spotify GET /search" in message
    assert "HTTP 500: Server error" in message
    assert f"after {RETRY.max_attempts} attempt(s)" in message


def test_endless_429s_raise_rate_limited_naming_the_endpoint(
    fake: FakeApis, ticketmaster: TicketmasterClient, clock: Timekeeper
) -> None:
    fake.fail(VENUES, *[Fault(429, QUOTA_FAULT, headers={"Retry-After": "2"})] * 9)
    with pytest.raises(ApiRateLimitedError) as caught:
        list(ticketmaster.search("venues"))
    assert isinstance(caught.value, RateLimitedError)
    assert caught.value.retry_after_seconds == 2
    assert clock.sleeps == [2.0] * (RETRY.max_attempts - 1)
    assert "ticketmaster GET /venues.json" in str(caught.value)
    assert "Rate limit quota violation" in str(caught.value)


def test_a_retry_after_beyond_the_wait_budget_fails_at_once(
    fake: FakeApis, spotify: SpotifyClient, clock: Timekeeper
) -> None:
    fake.fail(SEARCH, Fault(429, RATE_LIMITED, headers={"Retry-After": "3600"}))
    with pytest.raises(ApiRateLimitedError) as caught:
        list(spotify.search_artists("alpha"))
    assert clock.sleeps == []
    assert caught.value.retry_after_seconds == 3600
    assert "3600.0 s would pass the 30 s budget" in str(caught.value)


def test_the_total_wait_budget_bounds_backoff_before_max_attempts(
    fake: FakeApis, secrets: SecretStore, settings: ConcertSettings, clock: Timekeeper
) -> None:
    fake.fail(SEARCH, *[Fault(502, None, raw=b"Bad Gateway")] * 9)
    budget = RetryPolicy(
        max_attempts=10, base_delay_seconds=4, max_delay_seconds=100, max_total_wait_seconds=10
    )
    clock.draws = [1.0] * 10
    options = clock.options(retry=budget)
    with (
        SpotifyClient.from_secrets(secrets, settings, options=options) as client,
        pytest.raises(ApiUnavailableError, match="HTTP 502: Bad Gateway"),
    ):
        list(client.search_artists("alpha"))
    assert clock.sleeps == [4.0]  # the next wait (8 s) would pass the 10 s budget
    assert len(fake.seen(SEARCH)) == 2


def test_connection_failures_are_retried_then_reported(clock: Timekeeper) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    api = JsonApi(
        "spotify",
        f"http://127.0.0.1:{closed_port}/v1",
        describe_error=lambda _: None,
        options=clock.options(),
    )
    with api, pytest.raises(ApiUnavailableError, match="ConnectError") as caught:
        api.get("/search")
    assert api.requests == RETRY.max_attempts
    assert len(clock.sleeps) == RETRY.max_attempts - 1
    assert "spotify GET /search" in str(caught.value)


def test_a_stalled_answer_times_out_and_the_retry_succeeds(
    fake: FakeApis, secrets: SecretStore, settings: ConcertSettings, clock: Timekeeper
) -> None:
    fake.artists = [spotify_artist(1, "Alpha")]
    fake.fail(SEARCH, Fault(200, {"artists": {}}, stall_seconds=1.0))
    options = clock.options(timeout_seconds=0.2)
    with SpotifyClient.from_secrets(secrets, settings, options=options) as client:
        pages = list(client.search_artists("alpha"))
    assert len(clock.sleeps) == 1
    assert [item["name"] for item in pages[0].items] == ["Alpha"]


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, ApiRequestError), (403, ApiPermissionError), (404, ApiNotFoundError)],
)
def test_client_errors_are_not_retried_and_carry_the_api_message(
    fake: FakeApis,
    spotify: SpotifyClient,
    clock: Timekeeper,
    status: int,
    error: type[Exception],
) -> None:
    fake.fail(SEARCH, Fault(status, {"error": {"status": status, "message": "Invalid query"}}))
    with pytest.raises(error, match=rf"spotify GET /search .*HTTP {status}: Invalid query"):
        list(spotify.search_artists("alpha"))
    assert len(fake.seen(SEARCH)) == 1
    assert clock.sleeps == []


def test_discovery_errors_are_described_from_their_errors_document(
    fake: FakeApis, ticketmaster: TicketmasterClient
) -> None:
    document = {
        "errors": [{"code": "DIS1001", "detail": "Invalid classification", "status": "400"}]
    }
    fake.fail(VENUES, Fault(400, document))
    with pytest.raises(ApiRequestError, match="DIS1001: Invalid classification"):
        list(ticketmaster.search("venues"))


def test_a_malformed_json_body_is_a_clear_error_not_a_crash(
    fake: FakeApis, spotify: SpotifyClient, clock: Timekeeper
) -> None:
    fake.fail(SEARCH, Fault(200, raw=b'{"artists": {"items": [{"id": '))
    with pytest.raises(ApiResponseError, match=r"spotify GET /search answered 200 .* not JSON"):
        list(spotify.search_artists("alpha"))
    assert len(fake.seen(SEARCH)) == 1


def test_a_body_in_another_shape_is_a_clear_error(
    fake: FakeApis, spotify: SpotifyClient, ticketmaster: TicketmasterClient
) -> None:
    fake.fail(SEARCH, Fault(200, {"artists": {"items": "none"}}))
    with pytest.raises(ApiResponseError, match=r"artists\.items of type str, not list"):
        list(spotify.search_artists("alpha"))
    fake.fail(VENUES, Fault(200, {"_embedded": {"venues": []}}))
    with pytest.raises(ApiResponseError, match=r"has no page\.totalPages"):
        list(ticketmaster.search("venues"))


def test_the_api_key_never_appears_in_errors_nor_request_descriptions(
    fake: FakeApis, settings: ConcertSettings, ticketmaster: TicketmasterClient
) -> None:
    pages = list(ticketmaster.search("venues", {"keyword": "hall"}))
    assert pages[0].response.request == "ticketmaster GET /venues.json?keyword=hall&size=200&page=0"
    assert fake.seen(VENUES)[0].query["apikey"] == TICKETMASTER_API_KEY
    wrong = secrets_with({settings.ticketmaster_secret: {"api_key": "wrong-key-0042"}})
    with (
        TicketmasterClient.from_secrets(wrong, settings) as client,
        pytest.raises(ApiAuthenticationError) as caught,
    ):
        list(client.search_events(EventQuery()))
    assert "Invalid ApiKey (oauth.v2.InvalidApiKey)" in str(caught.value)
    assert "wrong-key-0042" not in str(caught.value)


def test_requests_are_paced_at_the_minimum_interval(
    fake: FakeApis, secrets: SecretStore, settings: ConcertSettings, clock: Timekeeper
) -> None:
    fake.venues = [tm_venue(number) for number in range(5)]
    options = clock.options(min_interval_seconds=0.2)
    with TicketmasterClient.from_secrets(secrets, settings, options=options) as client:
        pages = list(client.search("venues", size=2))
    assert [len(page.items) for page in pages] == [2, 2, 1]
    assert clock.sleeps == [pytest.approx(0.2), pytest.approx(0.2)]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (formatdate(WALL_CLOCK + 30, usegmt=True), 30.0),
        (formatdate(WALL_CLOCK - 30, usegmt=True), 0.0),
        ("-3", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(
    header: str | None, expected: float | None
) -> None:
    assert parse_retry_after(header, WALL_CLOCK) == (
        pytest.approx(expected) if expected is not None else None
    )
