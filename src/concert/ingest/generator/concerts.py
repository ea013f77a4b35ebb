"""Concerts: who plays where and when, at what prices, and how many tickets sell.

Effects planted here (each factor is kept in the ground truth per concert):

- Artists play venues sized to their popularity: a venue's chance is a
  Gaussian in log capacity around the artist's ``target_capacity`` (sigma
  0.45), times the city's market size (square root) and its affinity for the
  artist's primary genre (power 1.5). Stars fill arenas and stadiums, the long
  tail plays clubs, and Nashville books country acts. Popular artists tour
  more (weight 0.6 + 2 popularity^2).
- Dates: more shows on Fridays and Saturdays (``catalog.WEEKDAY_SHARE``, by
  the local date); outdoor venues (amphitheaters, stadiums) book mostly May
  to September (``MONTH_SHARE_OUTDOOR``), indoor venues all year. Shows start
  19:00-20:30 local time; ``event_date`` is that instant in UTC (standard
  time offsets), so US evening shows fall on the next UTC date. The local date
  is in the ground truth.
- Prices: base = 18 * e^(0.028 popularity) * venue-type level * noise
  (lognormal 0.15); each tier multiplies it (``catalog.VENUE_KINDS``, cheapest
  tier first, VIP dearest) and is rounded to 50 cents.
- Demand (tickets wanted) = scale * 0.5 * target_capacity(popularity)
  * weekday factor (Fri 1.12, Sat 1.18 ... Mon 0.78) * season factor
  ((month share / mean)^0.3, strong outdoors) * city-genre affinity (the
  artist's genre weights dotted with the city's affinities) * price factor
  (price noise^-1.5: overpriced shows sell less) * noise (lognormal 0.3).
  Tickets sold = min(capacity, demand): sell-through follows popularity
  against capacity, price, weekday, season and affinity, capped at capacity.
  ``scale`` (the market heat) is solved so that the sales meet
  ``target_sales``.
- Sales timeline: on-sale 35-230 days before the show (earlier for stars);
  a rush right after on-sale (15% of buyers, up to 50% for stars), the rest
  rising towards the show date (time fraction U^(1/1.8)); shows whose demand
  exceeds capacity sell out early (time compressed by (capacity /
  demand)^0.8), which the sell-out forecast can learn from the early pace.
- Status: past shows are completed (96.5%), cancelled (2%) or postponed
  (1.5%); future shows are scheduled (98%), postponed (1.2%) or cancelled
  (0.8%). Sales stop at ``as_of`` for scheduled shows and 3-45 days before the
  date for cancelled or postponed ones. Only completed shows carry
  ``total_attendance`` and ``revenue``, equal to the sum of their sales.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from concert.domain.models import ENTITIES, ConcertStatus
from concert.domain.schema import arrow_schema
from concert.ingest.generator import catalog
from concert.ingest.generator.arrays import (
    ARTIST_ID,
    CONCERT_ID,
    MICROS_PER_DAY,
    VENUE_ID,
    BoolArray,
    FloatArray,
    IntArray,
    WeightedPools,
    categorical,
)
from concert.ingest.generator.artists import Artists, target_capacity
from concert.ingest.generator.config import GeneratorConfig
from concert.ingest.generator.customers import city_genre_affinity
from concert.ingest.generator.exceptions import GeneratorConfigError
from concert.ingest.generator.venues import Venues

STATUSES = (
    ConcertStatus.COMPLETED,
    ConcertStatus.CANCELLED,
    ConcertStatus.POSTPONED,
    ConcertStatus.SCHEDULED,
)
COMPLETED, CANCELLED, POSTPONED, SCHEDULED = range(len(STATUSES))
DEMAND_LEVEL = 0.5
RUSH_TIME = 0.03  # the on-sale rush decays over 3% of the selling window
LATE_BUYING = 1.8  # time fractions are U^(1/LATE_BUYING): most buyers come late
SELL_OUT_SPEEDUP = 0.8
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)
_VENUE_SPREAD = 0.45
_KIND_OUTDOOR = np.array([kind.outdoor for kind in catalog.VENUE_KINDS])
_TIER_MULTIPLIERS = np.array(
    [
        [t.price_multiplier for t in k.tiers] + [np.nan] * (catalog.MAX_TIERS - len(k.tiers))
        for k in catalog.VENUE_KINDS
    ]
)
TIER_COUNTS = np.array([len(kind.tiers) for kind in catalog.VENUE_KINDS])
TIER_START = np.concatenate(([0], np.cumsum(TIER_COUNTS)[:-1]))
TIER_NAMES = pa.array([tier.name for kind in catalog.VENUE_KINDS for tier in kind.tiers])


@dataclass(frozen=True, slots=True)
class ConcertPlan:
    """Every concert's facts and latent demand, in ``concert_id`` order (by date)."""

    artist: IntArray
    venue: IntArray
    kind: IntArray
    city: IntArray
    capacity: IntArray
    local_day: IntArray  # days since 1970-01-01 in the venue's time zone
    event_us: IntArray  # UTC microseconds
    prices: FloatArray  # concerts x MAX_TIERS, NaN where the venue has no such tier
    weekday_factor: FloatArray
    season_factor: FloatArray
    affinity_factor: FloatArray
    price_factor: FloatArray
    noise_factor: FloatArray
    base_demand: FloatArray  # demand before the market scale
    demand_scale: float
    tickets: IntArray  # tickets the show sells over its whole selling window
    onsale_us: IntArray
    cutoff_us: IntArray  # sales stop here (event, as_of, or a cancellation)
    rush_share: FloatArray
    compression: FloatArray
    status: IntArray  # index into STATUSES

    @property
    def count(self) -> int:
        return int(self.artist.size)

    @property
    def demand(self) -> FloatArray:
        return self.demand_scale * self.base_demand


def weekday_of(days: IntArray) -> IntArray:
    """Monday = 0 ... Sunday = 6 for days counted from 1970-01-01."""
    return (days + _EPOCH_WEEKDAY) % 7


def _month_of(days: IntArray) -> IntArray:
    """January = 0 ... December = 11 for days counted from 1970-01-01."""
    months: IntArray = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months % 12


def _month_shares(outdoor: bool) -> FloatArray:
    shares = np.array(catalog.MONTH_SHARE_OUTDOOR if outdoor else catalog.MONTH_SHARE_INDOOR)
    relative: FloatArray = shares / shares.mean()
    return relative


def _venue_pools(artists: Artists, venues: Venues) -> WeightedPools:
    """Venue choice weights for every (popularity, primary genre) pair of an artist."""
    genres = len(catalog.GENRES)
    popularity = np.arange(101)
    gap = np.log(venues.capacity)[None, :] - np.log(target_capacity(popularity))[:, None]
    fit = np.exp(-0.5 * (gap / _VENUE_SPREAD) ** 2)  # popularity x venue
    market = np.array([c.weight for c in catalog.CITIES])[venues.city] ** 0.5
    liking = city_genre_affinity()[venues.city].T ** 1.5  # genre x venue
    weights = fit[:, None, :] * liking[None, :, :] * market + 1e-12
    pools = np.arange(101 * genres)[:, None].repeat(venues.count, axis=1)
    members = np.broadcast_to(np.arange(venues.count), pools.shape)
    return WeightedPools.build(pools.ravel(), members.ravel(), weights.ravel(), 101 * genres)


def _local_days(rng: np.random.Generator, config: GeneratorConfig, outdoor: BoolArray) -> IntArray:
    """Show dates in the window, by weekday and by month (indoors or outdoors)."""
    first = (config.as_of - date(1970, 1, 1)).days - config.history_days
    days = np.arange(first, first + config.history_days + config.future_days, dtype=np.int64)
    weekday_share = np.array(catalog.WEEKDAY_SHARE)[weekday_of(days)]
    chosen = np.empty(outdoor.size, dtype=np.int64)
    for flag in (False, True):
        members = np.flatnonzero(outdoor == flag)
        shares = weekday_share * _month_shares(flag)[_month_of(days)]
        chosen[members] = categorical(rng, shares, members.size)
    return days[chosen]


def _observed_share(
    scale: float, inputs: dict[str, FloatArray], mean_quantity: float
) -> tuple[float, FloatArray, FloatArray]:
    """Expected sale rows at this market scale, with the tickets and compression it implies."""
    demand = scale * inputs["base"]
    tickets = np.minimum(inputs["capacity"], demand)
    compression = np.minimum(1.0, inputs["capacity"] / np.maximum(demand, 1e-9)) ** SELL_OUT_SPEEDUP
    reach = np.minimum(1.0, inputs["window"] / compression)
    rush = inputs["rush"] * (1 - np.exp(-reach / RUSH_TIME)) / (1 - np.exp(-1 / RUSH_TIME))
    share = rush + (1 - inputs["rush"]) * reach**LATE_BUYING
    return float((tickets * share).sum() / mean_quantity), tickets, compression


def _solve_scale(inputs: dict[str, FloatArray], target: int, mean_quantity: float) -> float:
    low, high = np.log(1e-6), np.log(1e6)
    if _observed_share(float(np.exp(high)), inputs, mean_quantity)[0] < target:
        capacity = int(inputs["capacity"].sum())
        raise GeneratorConfigError(
            f"target_sales {target:,} is more than the concerts can sell "
            f"(about {capacity:,} seats in all); raise concerts or lower target_sales",
            field="target_sales",
        )
    for _ in range(80):
        middle = (low + high) / 2
        if _observed_share(float(np.exp(middle)), inputs, mean_quantity)[0] < target:
            low = middle
        else:
            high = middle
    return float(np.exp(high))


def _statuses(rng: np.random.Generator, past: np.ndarray) -> IntArray:
    drawn_past = categorical(rng, (0.965, 0.02, 0.015), past.size)
    drawn_future = np.array([SCHEDULED, POSTPONED, CANCELLED])[
        categorical(rng, (0.98, 0.012, 0.008), past.size)
    ]
    return np.where(past, drawn_past, drawn_future)


def plan_concerts(
    rng: np.random.Generator,
    config: GeneratorConfig,
    artists: Artists,
    venues: Venues,
    mean_quantity: float,
) -> ConcertPlan:
    count = config.concerts
    tours = 0.6 + 2.0 * (artists.popularity / 100.0) ** 2
    artist = categorical(rng, tours, count)
    group = artists.popularity[artist] * len(catalog.GENRES) + artists.primary_genre[artist]
    venue = _venue_pools(artists, venues).sample(rng, group)
    kind = venues.kind[venue]
    local_day = _local_days(rng, config, _KIND_OUTDOOR[kind])
    offset = np.array([c.utc_offset for c in catalog.CITIES])[venues.city[venue]]
    start_minutes = 19 * 60 + 30 * rng.integers(0, 4, count) - 60 * offset
    event_us = local_day * MICROS_PER_DAY + start_minutes * 60_000_000

    order = np.argsort(event_us, kind="stable")
    artist, venue, kind, local_day, event_us = (
        a[order] for a in (artist, venue, kind, local_day, event_us)
    )
    city = venues.city[venue]
    popularity = artists.popularity[artist]
    month = _month_of(local_day)
    outdoor = _KIND_OUTDOOR[kind]

    price_noise = rng.lognormal(0.0, 0.15, count)
    level = np.array([k.price_multiplier for k in catalog.VENUE_KINDS])[kind]
    base_price = 18.0 * np.exp(0.028 * popularity) * level * price_noise
    prices = np.maximum(5.0, np.round(base_price[:, None] * _TIER_MULTIPLIERS[kind] * 2) / 2)

    weekday_factor = np.array(catalog.WEEKDAY_DEMAND)[weekday_of(local_day)]
    season_factor = (
        np.where(outdoor, _month_shares(True)[month], _month_shares(False)[month]) ** 0.3
    )
    affinity_factor = (artists.genre_weights[artist] * city_genre_affinity()[city]).sum(axis=1)
    price_factor = price_noise**-1.5
    noise_factor = rng.lognormal(0.0, 0.3, count)
    base = (
        DEMAND_LEVEL
        * target_capacity(popularity)
        * weekday_factor
        * season_factor
        * affinity_factor
        * price_factor
        * noise_factor
    )

    as_of_us = (config.as_of - date(1970, 1, 1)).days * MICROS_PER_DAY
    lead_days = 35 + 150 * (popularity / 100.0) ** 1.2 + rng.uniform(0, 45, count)
    onsale_us = event_us - (lead_days * MICROS_PER_DAY).astype(np.int64)
    status = _statuses(rng, event_us < as_of_us)
    called_off = event_us - (rng.uniform(3, 45, count) * MICROS_PER_DAY).astype(np.int64)
    cutoff_us = np.select(
        [status == COMPLETED, status == SCHEDULED],
        [event_us, np.full(count, as_of_us)],
        np.minimum(called_off, as_of_us),
    )
    rush_share = np.asarray(0.15 + 0.35 * popularity / 100.0, dtype=np.float64)
    capacity = venues.capacity[venue].astype(np.float64)
    inputs = {
        "base": base,
        "capacity": capacity,
        "rush": rush_share,
        "window": np.clip((cutoff_us - onsale_us) / (event_us - onsale_us), 0.0, 1.0),
    }
    scale = _solve_scale(inputs, config.target_sales, mean_quantity)
    _, tickets, compression = _observed_share(scale, inputs, mean_quantity)
    return ConcertPlan(
        artist=artist,
        venue=venue,
        kind=kind,
        city=city,
        capacity=venues.capacity[venue],
        local_day=local_day,
        event_us=event_us,
        prices=prices,
        weekday_factor=weekday_factor,
        season_factor=season_factor,
        affinity_factor=affinity_factor,
        price_factor=price_factor,
        noise_factor=noise_factor,
        base_demand=base,
        demand_scale=scale,
        tickets=np.rint(tickets).astype(np.int64),
        onsale_us=onsale_us,
        cutoff_us=cutoff_us,
        rush_share=rush_share,
        compression=compression,
        status=status,
    )


def ticket_prices(plan: ConcertPlan) -> pa.MapArray:
    """Each concert's tiers (those of its venue type) and their prices."""
    counts = TIER_COUNTS[plan.kind]
    offsets = np.concatenate(([0], np.cumsum(counts)))
    concert = np.repeat(np.arange(plan.count), counts)
    local = np.arange(offsets[-1]) - offsets[concert]
    keys = TIER_NAMES.take(pa.array(TIER_START[plan.kind[concert]] + local))
    values = pa.array(plan.prices[concert, local])
    return pa.MapArray.from_arrays(pa.array(offsets.astype(np.int32)), keys, values)


def concert_table(plan: ConcertPlan, attendance: IntArray, revenue_cents: IntArray) -> pa.Table:
    """The concerts entity; attendance and revenue only for completed shows."""
    unknown = plan.status != COMPLETED
    columns = {
        "concert_id": CONCERT_ID.of(range(plan.count)),
        "artist_id": ARTIST_ID.of(plan.artist),
        "venue_id": VENUE_ID.of(plan.venue),
        "event_date": pa.array(plan.event_us, pa.timestamp("us", tz="UTC")),
        "ticket_prices": ticket_prices(plan),
        "total_attendance": pa.array(attendance, pa.int64(), mask=unknown),
        "revenue": pa.array(revenue_cents / 100.0, pa.float64(), mask=unknown),
        "status": pa.array([s.value for s in STATUSES]).take(pa.array(plan.status)),
    }
    return pa.Table.from_pydict(columns, schema=arrow_schema(ENTITIES["concerts"], lineage=False))


__all__ = [
    "STATUSES",
    "TIER_NAMES",
    "TIER_START",
    "ConcertPlan",
    "concert_table",
    "plan_concerts",
    "ticket_prices",
    "weekday_of",
]
