"""Fixtures: the fake API server, settings pointing at it, secrets, a raw store, and
HTTP options whose sleep, random source and clocks are recorded instead of real."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from concert.ingest.connectors import HttpOptions, RetryPolicy
from concert.settings import ConcertSettings
from foundation.objectstore import LocalObjectStore
from foundation.secrets import LocalSecretStore, secret_env_var
from tests.integration.concert.connectors.fake_apis import (
    SPOTIFY_CLIENT_ID,
    SPOTIFY_CLIENT_SECRET,
    TICKETMASTER_API_KEY,
    FakeApis,
)

RETRY = RetryPolicy(
    max_attempts=4, base_delay_seconds=1.0, max_delay_seconds=8.0, max_total_wait_seconds=30.0
)
WALL_CLOCK = 1_700_000_000.0


@dataclass
class Timekeeper:
    """Stands in for time: records sleeps, advances a monotonic clock by them, and hands
    out scripted random draws (0.5 once the script runs out)."""

    sleeps: list[float] = field(default_factory=list)
    draws: list[float] = field(default_factory=list)
    now: float = 100.0

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def random(self) -> float:
        return self.draws.pop(0) if self.draws else 0.5

    def monotonic(self) -> float:
        return self.now

    def options(self, **changes: Any) -> HttpOptions:
        options = HttpOptions(
            timeout_seconds=2.0,
            retry=RETRY,
            sleep=self.sleep,
            random_source=self.random,
            wall_clock=lambda: WALL_CLOCK,
            monotonic=self.monotonic,
        )
        return dataclasses.replace(options, **changes)


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeApis]:
    with FakeApis() as server:
        yield server


@pytest.fixture
def fake(fake_server: FakeApis) -> FakeApis:
    fake_server.reset()
    return fake_server


@pytest.fixture
def clock() -> Timekeeper:
    return Timekeeper()


@pytest.fixture
def settings(fake: FakeApis) -> ConcertSettings:
    return ConcertSettings(
        spotify_api_url=fake.spotify_api_url,
        spotify_token_url=fake.spotify_token_url,
        ticketmaster_api_url=fake.ticketmaster_api_url,
    )


def secrets_with(values: dict[str, object]) -> LocalSecretStore:
    return LocalSecretStore(
        environ={secret_env_var(name): json.dumps(value) for name, value in values.items()}
    )


@pytest.fixture
def secrets(settings: ConcertSettings) -> LocalSecretStore:
    return secrets_with(
        {
            settings.spotify_secret: {
                "client_id": SPOTIFY_CLIENT_ID,
                "client_secret": SPOTIFY_CLIENT_SECRET,
            },
            settings.ticketmaster_secret: {"api_key": TICKETMASTER_API_KEY},
        }
    )


@pytest.fixture
def raw_store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "raw", fsync=False)
