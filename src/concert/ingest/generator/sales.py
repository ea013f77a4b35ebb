"""Ticket sales: each concert's tickets split into purchases, timed and paid for.

Effects planted here:

- Every ticket a concert sells belongs to exactly one sale: the tickets are
  split into purchases of 1-20 (``catalog.QUANTITY_SHARE``: mostly 1-4, groups
  rare), the last purchase trimmed so the quantities add up to the tickets
  sold, which never exceed capacity. Completed concerts report exactly these
  sums as attendance and revenue.
- Price tier by the share of capacity each tier holds for the venue type; the
  unit price is the concert's price for that tier and ``total_price`` is
  quantity x unit price, computed in cents (no rounding drift).
- Purchase times follow the concert's selling curve (see
  :mod:`concert.ingest.generator.concerts`): an on-sale rush, then buyers
  growing towards the show, compressed for shows that sell out. Sales made
  after the concert's cut-off (``as_of`` for scheduled shows, the
  announcement for cancelled or postponed ones) are not in the data.
- Buyers come from the planted preferences: 10% of purchases go to any
  customer (by activity); the rest pick one of the artist's genres (by its
  weight) and a customer who prefers it (by preference weight x activity),
  from the concert's city 60% of the time when such a customer lives there.
- Payment methods by ``catalog.PAYMENT_SHARE`` (credit cards first).

Sales are sorted by purchase time and numbered in that order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from concert.domain.models import ENTITIES
from concert.domain.schema import arrow_schema
from concert.ingest.generator import catalog
from concert.ingest.generator.arrays import (
    CONCERT_ID,
    CUSTOMER_ID,
    MICROS_PER_SECOND,
    SALE_ID,
    Cumulative,
    IntArray,
    WeightedPools,
    categorical,
    categorical_rows,
)
from concert.ingest.generator.artists import Artists
from concert.ingest.generator.concerts import (
    LATE_BUYING,
    RUSH_TIME,
    TIER_NAMES,
    TIER_START,
    ConcertPlan,
)
from concert.ingest.generator.customers import Customers

ANY_CUSTOMER = 0.1
LOCAL_CUSTOMER = 0.6
_CHUNK_TICKETS = 2_500_000
_QUANTITIES = np.arange(1, len(catalog.QUANTITY_SHARE) + 1)
_TIER_SHARES = np.array(
    [
        [t.capacity_share for t in k.tiers] + [0.0] * (catalog.MAX_TIERS - len(k.tiers))
        for k in catalog.VENUE_KINDS
    ]
)
PAYMENT_NAMES = pa.array([method.value for method in catalog.PAYMENT_SHARE])


def mean_quantity() -> float:
    shares = np.asarray(catalog.QUANTITY_SHARE)
    return float((_QUANTITIES * shares).sum() / shares.sum())


@dataclass(frozen=True, slots=True)
class Sales:
    table: pa.Table
    concert: IntArray  # per sale, in purchase-time order
    customer: IntArray
    purchase_us: IntArray
    attendance: IntArray  # per concert: tickets sold before its cut-off
    revenue_cents: IntArray  # per concert


def split_tickets(rng: np.random.Generator, tickets: IntArray) -> tuple[IntArray, IntArray]:
    """Purchases (concert index, quantity) whose quantities add up to ``tickets``."""
    spread = mean_quantity()
    remaining = tickets.astype(np.int64).copy()
    concerts: list[IntArray] = []
    quantities: list[IntArray] = []
    while remaining.any():
        draws = np.where(remaining > 0, np.ceil(remaining / spread * 1.1 + 3), 0).astype(np.int64)
        concert = np.repeat(np.arange(remaining.size), draws)
        quantity = _QUANTITIES[categorical(rng, catalog.QUANTITY_SHARE, concert.size)]
        running = np.cumsum(quantity)
        starts = np.concatenate(([0], np.cumsum(draws)[:-1]))
        before_group = np.where(starts > 0, running[np.maximum(starts - 1, 0)], 0)
        already = running - quantity - before_group[concert]
        keep = already < remaining[concert]
        trimmed = np.minimum(quantity, remaining[concert] - already)[keep]
        concerts.append(concert[keep])
        quantities.append(trimmed)
        remaining -= np.bincount(concert[keep], trimmed, minlength=remaining.size).astype(np.int64)
    if not concerts:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(concerts), np.concatenate(quantities)


def _purchase_times(rng: np.random.Generator, plan: ConcertPlan, concert: IntArray) -> IntArray:
    rush = rng.random(concert.size) < plan.rush_share[concert]
    uniform = rng.random(concert.size)
    early = -RUSH_TIME * np.log1p(-uniform * (1 - np.exp(-1 / RUSH_TIME)))
    late = uniform ** (1 / LATE_BUYING)
    fraction = np.where(rush, early, late) * plan.compression[concert]
    onsale, event = plan.onsale_us[concert], plan.event_us[concert]
    moment = onsale + (fraction * (event - onsale)).astype(np.int64)
    seconds = np.minimum(moment, event - MICROS_PER_SECOND) // MICROS_PER_SECOND
    return seconds * MICROS_PER_SECOND


@dataclass(frozen=True, slots=True)
class _BuyerPools:
    """Who may buy: customers by preferred genre (and city), by activity, and
    each artist's genres by weight. Built once, drawn from chunk by chunk."""

    by_genre: WeightedPools
    by_genre_city: WeightedPools
    genres_of_artist: WeightedPools
    anyone: Cumulative

    @classmethod
    def build(cls, customers: Customers, artists: Artists) -> _BuyerPools:
        genres, cities = len(catalog.GENRES), len(catalog.CITIES)
        artist, genre = np.nonzero(artists.genre_weights)
        return cls(
            by_genre=customers.genre_pools(customers.genres, genres),
            by_genre_city=customers.genre_pools(
                customers.genres * cities + customers.home_city[:, None], genres * cities
            ),
            genres_of_artist=WeightedPools.build(
                artist, genre, artists.genre_weights[artist, genre], artists.count
            ),
            anyone=Cumulative.of(customers.activity),
        )

    def buyers(self, rng: np.random.Generator, plan: ConcertPlan, concert: IntArray) -> IntArray:
        choice = rng.random(concert.size)
        buyer = np.full(concert.size, -1, dtype=np.int64)
        # Each draw only for the sales that need it: local fans, then any fan, then anyone.
        fan = np.flatnonzero(choice >= ANY_CUSTOMER)
        genre = self.genres_of_artist.sample(rng, plan.artist[concert[fan]])
        local = choice[fan] < ANY_CUSTOMER + (1 - ANY_CUSTOMER) * LOCAL_CUSTOMER
        buyer[fan[local]] = self.by_genre_city.sample(
            rng, genre[local] * len(catalog.CITIES) + plan.city[concert[fan[local]]]
        )
        unmatched = buyer[fan] < 0
        buyer[fan[unmatched]] = self.by_genre.sample(rng, genre[unmatched])
        anyone = np.flatnonzero(buyer < 0)
        buyer[anyone] = self.anyone.locate(rng.random(anyone.size) * self.anyone.totals[-1])
        return buyer


def _chunks(tickets: IntArray) -> list[tuple[int, int]]:
    """Consecutive concert ranges of about ``_CHUNK_TICKETS`` tickets each."""
    running = np.cumsum(tickets)
    total = int(running[-1]) if running.size else 0
    cuts = np.searchsorted(running, np.arange(_CHUNK_TICKETS, total, _CHUNK_TICKETS))
    bounds = np.unique(np.concatenate(([0], cuts, [tickets.size])))
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


def _chunk_sales(
    rng: np.random.Generator, plan: ConcertPlan, pools: _BuyerPools, start: int, end: int
) -> tuple[IntArray, ...]:
    """Concert, quantity, tier, time, buyer and payment of the sales of concerts [start, end)."""
    concert, quantity = split_tickets(rng, plan.tickets[start:end])
    concert += start
    tier = categorical_rows(rng, _TIER_SHARES, plan.kind[concert])
    purchase_us = _purchase_times(rng, plan, concert)
    sold = purchase_us < plan.cutoff_us[concert]
    concert, quantity, tier, purchase_us = (a[sold] for a in (concert, quantity, tier, purchase_us))
    customer = pools.buyers(rng, plan, concert)
    payment = categorical(rng, list(catalog.PAYMENT_SHARE.values()), concert.size)
    # Narrow types: the chunks are concatenated and reordered, so bytes count.
    return (
        concert.astype(np.int32),
        quantity.astype(np.int16),
        tier.astype(np.int8),
        purchase_us,
        customer.astype(np.int32),
        payment.astype(np.int8),
    )


def generate_sales(
    rng: np.random.Generator,
    plan: ConcertPlan,
    customers: Customers,
    artists: Artists,
) -> Sales:
    pools = _BuyerPools.build(customers, artists)
    # Chunks keep the many temporaries small enough for the allocator to reuse.
    parts = [_chunk_sales(rng, plan, pools, start, end) for start, end in _chunks(plan.tickets)]
    concert, quantity, tier, purchase_us, customer, payment = (
        np.concatenate(column) for column in zip(*parts, strict=True)
    )
    del parts

    order = np.argsort(purchase_us)
    concert, quantity, tier, purchase_us, customer, payment = (
        a[order] for a in (concert, quantity, tier, purchase_us, customer, payment)
    )
    unit_cents = np.rint(plan.prices[concert, tier] * 100).astype(np.int64)
    total_cents = unit_cents * quantity
    columns = {
        "sale_id": SALE_ID.of(range(concert.size)),
        "concert_id": CONCERT_ID.of(concert),
        "customer_id": CUSTOMER_ID.of(customer),
        "price_tier": TIER_NAMES.take(pa.array(TIER_START[plan.kind[concert]] + tier)),
        "quantity": pa.array(quantity.astype(np.int64)),
        "unit_price": pa.array(unit_cents / 100.0),
        "total_price": pa.array(total_cents / 100.0),
        "purchase_timestamp": pa.array(purchase_us, pa.timestamp("us", tz="UTC")),
        "payment_method": PAYMENT_NAMES.take(pa.array(payment)),
    }
    table = pa.Table.from_pydict(
        columns, schema=arrow_schema(ENTITIES["ticket_sales"], lineage=False)
    )
    return Sales(
        table=table,
        concert=concert,
        customer=customer,
        purchase_us=purchase_us,
        attendance=np.bincount(concert, quantity, minlength=plan.count).astype(np.int64),
        revenue_cents=np.bincount(concert, total_cents, minlength=plan.count).astype(np.int64),
    )


__all__ = ["Sales", "generate_sales", "mean_quantity", "split_tickets"]
