"""Venues in real cities, with capacities drawn by venue type.

Effects planted here:

- Capacity ranges by type (``catalog.VENUE_KINDS``): club 200-1,500, theater
  800-3,000, hall 1,500-5,000, amphitheater 5,000-25,000, arena
  10,000-22,000, stadium 35,000-90,000, drawn log-uniformly and rounded
  (clubs to 10 seats, theaters and halls to 50, bigger venues to 500).
- Venue mix: clubs most common, stadiums rarest (36/22/14/9/12/7%).
- Cities: every city of the catalogue gets a venue first (when there are
  enough venues), the rest go to cities by market size, so New York and Los
  Angeles have the most. Coordinates are the city's plus a few kilometres.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pyarrow as pa

from concert.domain.models import ENTITIES
from concert.domain.schema import arrow_schema
from concert.ingest.generator import catalog
from concert.ingest.generator.arrays import VENUE_ID, IntArray, categorical
from concert.ingest.generator.config import GeneratorConfig
from concert.ingest.generator.names import pick, unique_name


@dataclass(frozen=True, slots=True)
class Venues:
    table: pa.Table
    city: IntArray  # index into catalog.CITIES
    kind: IntArray  # index into catalog.VENUE_KINDS
    capacity: IntArray

    @property
    def count(self) -> int:
        return int(self.city.size)


def _cities(rng: np.random.Generator, count: int) -> IntArray:
    weights = [city.weight for city in catalog.CITIES]
    if count < len(catalog.CITIES):
        return categorical(rng, weights, count)
    every = np.arange(len(catalog.CITIES))
    spread = np.concatenate((every, categorical(rng, weights, count - every.size)))
    return np.asarray(rng.permutation(spread), dtype=np.int64)


def _capacities(rng: np.random.Generator, kind: IntArray) -> IntArray:
    low = np.array([k.min_capacity for k in catalog.VENUE_KINDS], dtype=np.float64)[kind]
    high = np.array([k.max_capacity for k in catalog.VENUE_KINDS], dtype=np.float64)[kind]
    raw = np.exp(np.log(low) + rng.random(kind.size) * (np.log(high) - np.log(low)))
    step = np.where(high <= 1_500, 10, np.where(high <= 5_000, 50, 500))
    seats: IntArray = np.clip(np.rint(raw / step) * step, low, high).astype(np.int64)
    return seats


def _name(
    rng: np.random.Generator, kind: catalog.VenueKind, city: catalog.City
) -> tuple[str, None]:
    return pick(rng, kind.name_patterns).format(
        word=pick(rng, catalog.VENUE_WORDS),
        surname=pick(rng, catalog.SURNAMES),
        brand=pick(rng, catalog.VENUE_BRANDS),
        city=city.name,
    ), None


def generate_venues(rng: np.random.Generator, config: GeneratorConfig) -> Venues:
    count = config.venues
    city = _cities(rng, count)
    kind = categorical(rng, [k.share for k in catalog.VENUE_KINDS], count)
    capacity = _capacities(rng, kind)
    seen: set[str] = set()
    names = [
        unique_name(partial(_name, rng, catalog.VENUE_KINDS[k], catalog.CITIES[c]), seen)[0]
        for k, c in zip(kind, city, strict=True)
    ]
    cities = [catalog.CITIES[c] for c in city]
    jitter = rng.normal(0.0, 0.04, size=(count, 2))
    columns = {
        "venue_id": VENUE_ID.of(range(count)),
        "name": pa.array(names, pa.string()),
        "city": pa.array([c.name for c in cities], pa.string()),
        "state": pa.array([c.state for c in cities], pa.string()),
        "country": pa.array([c.country for c in cities], pa.string()),
        "capacity": pa.array(capacity),
        "venue_type": pa.array([catalog.VENUE_KINDS[k].venue_type.value for k in kind]),
        "latitude": pa.array(np.round([c.latitude for c in cities] + jitter[:, 0], 5)),
        "longitude": pa.array(np.round([c.longitude for c in cities] + jitter[:, 1], 5)),
    }
    schema = arrow_schema(ENTITIES["venues"], lineage=False)
    return Venues(
        table=pa.Table.from_pydict(columns, schema=schema), city=city, kind=kind, capacity=capacity
    )


__all__ = ["Venues", "generate_venues"]
