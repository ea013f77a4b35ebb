"""What to generate: counts, the time window around ``as_of``, the seed.

``as_of`` is the moment the data describes: concerts before it (midnight UTC
of that date) are past, the ones after it are scheduled and have only the
sales made so far. It defaults to today but belongs to the config, so a test
that fixes it gets the same data on any day.

The number of concerts and the target number of sales are both settings; the
generator scales the overall ticket demand (the "market heat", reported in the
ground truth as ``demand_scale``) so that the sales land on the target. The
presets pair the two so that the heat stays near 1: concerts sell about 60% of
their capacity on average and about one in five sells out, which takes about
650 purchases (1,650 tickets) per concert with venues sized as in the catalogue.
That is why the demo has 480 concerts for 300,000 sales: 2,000 concerts would
average 150 purchases each, a market so cold that nothing sells out (raise
``target_sales`` with ``concerts`` to keep it warm).

Presets: ``demo`` (200 artists, 120 venues, 480 concerts, 300k sales, 750k
interactions: a few seconds), ``small`` (1M sales), ``large`` (3M) and
``10m`` (10.05M sales, interactions capped at 5M).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from typing import Any

from concert.ingest.generator.arrays import (
    ARTIST_ID,
    CONCERT_ID,
    CUSTOMER_ID,
    INTERACTION_ID,
    SALE_ID,
    VENUE_ID,
)
from concert.ingest.generator.exceptions import GeneratorConfigError

# Counts stop where the fixed-width ids run out of digits.
_MAXIMUMS = {
    "artists": ARTIST_ID.capacity,
    "venues": VENUE_ID.capacity,
    "customers": CUSTOMER_ID.capacity,
    "concerts": CONCERT_ID.capacity,
    "target_sales": SALE_ID.capacity,
    "max_interactions": INTERACTION_ID.capacity,
}


def _today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True, slots=True)
class GeneratorConfig:
    """Settings of one generation run; the same config always yields the same data."""

    seed: int = 42
    artists: int = 200
    venues: int = 120
    customers: int = 25_000
    concerts: int = 480
    target_sales: int = 300_000
    as_of: date = field(default_factory=_today)
    history_days: int = 913  # completed concerts: about two and a half years
    future_days: int = 182  # scheduled concerts: about six months
    interactions_per_sale: float = 2.5
    max_interactions: int = 1_000_000

    def __post_init__(self) -> None:
        minimums = {
            "artists": 1,
            "venues": 1,
            "customers": 1,
            "concerts": 1,
            "target_sales": 1,
            "history_days": 30,
            "future_days": 0,
            "max_interactions": 0,
        }
        for name, minimum in minimums.items():
            if getattr(self, name) < minimum:
                raise GeneratorConfigError(
                    f"{name} must be at least {minimum}, got {getattr(self, name)}", field=name
                )
        for name, maximum in _MAXIMUMS.items():
            if getattr(self, name) > maximum:
                raise GeneratorConfigError(
                    f"{name} must be at most {maximum:,}, got {getattr(self, name):,}", field=name
                )
        if not 0 <= self.interactions_per_sale <= 100:
            raise GeneratorConfigError(
                "interactions_per_sale must be between 0 and 100, "
                f"got {self.interactions_per_sale}",
                field="interactions_per_sale",
            )
        if self.seed < 0:
            raise GeneratorConfigError(f"seed must not be negative, got {self.seed}", field="seed")

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> GeneratorConfig:
        """A named size ("tiny", "demo", "small", "large", "10m"), with any field overridden."""
        try:
            base = PRESETS[name]
        except KeyError:
            raise GeneratorConfigError(
                f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}", field="preset"
            ) from None
        unknown = set(overrides) - {f.name for f in fields(cls)}
        if unknown:
            raise GeneratorConfigError(
                f"unknown generator setting(s): {', '.join(sorted(unknown))}",
                field=sorted(unknown)[0],
            )
        return replace(cls(**base), **overrides)


PRESETS: dict[str, dict[str, Any]] = {
    # For tests of whole flows: every effect present, seconds to run.
    "tiny": {
        "artists": 40,
        "venues": 30,
        "customers": 2_000,
        "concerts": 90,
        "target_sales": 20_000,
        "max_interactions": 40_000,
    },
    "demo": {},
    "small": {
        "artists": 600,
        "venues": 300,
        "customers": 80_000,
        "concerts": 1_600,
        "target_sales": 1_000_000,
        "max_interactions": 2_000_000,
    },
    "large": {
        "artists": 2_000,
        "venues": 800,
        "customers": 250_000,
        "concerts": 4_700,
        "target_sales": 3_000_000,
        "interactions_per_sale": 1.0,
        "max_interactions": 3_000_000,
    },
    "10m": {
        "artists": 6_000,
        "venues": 2_000,
        "customers": 800_000,
        "concerts": 15_500,
        "target_sales": 10_050_000,
        "interactions_per_sale": 0.5,
        "max_interactions": 5_000_000,
    },
}


__all__ = ["PRESETS", "GeneratorConfig"]
