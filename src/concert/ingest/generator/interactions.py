"""User interactions (views, searches, likes, saves, shares, purchases).

Effects planted here:

- Volume: ``interactions_per_sale`` per sale (2.5 at demo size), capped by
  ``max_interactions`` for the big presets.
- Mix: view 50%, purchase 13%, search 12%, like 12%, save 8%, share 5%.
  Purchases are a sample of the real sales (same user, concert and time).
- Browsing follows the same planted preferences as buying: an active user
  (by activity) picks one of their preferred genres (by weight) 85% of the
  time, else any genre by its share; then an artist of that genre, weighted
  by fame (target capacity^0.7); then one of that artist's concerts. Half the
  searches are for the genre itself, the rest for the artist; likes name the
  artist; views, saves and shares name the concert (and views its venue).
- Times: before ``as_of``; concert interactions fall in the 120 days before
  the show (or before ``as_of`` for shows still to come), others anywhere in
  the history window. A session is a user's activity on one UTC day.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from concert.domain.models import ENTITIES, InteractionType
from concert.domain.schema import arrow_schema
from concert.ingest.generator import catalog
from concert.ingest.generator.arrays import (
    ARTIST_ID,
    CONCERT_ID,
    CUSTOMER_ID,
    INTERACTION_ID,
    MICROS_PER_DAY,
    MICROS_PER_SECOND,
    SESSION_ID,
    VENUE_ID,
    IntArray,
    WeightedPools,
    categorical,
    group_offsets,
)
from concert.ingest.generator.artists import Artists, target_capacity
from concert.ingest.generator.concerts import ConcertPlan
from concert.ingest.generator.config import GeneratorConfig
from concert.ingest.generator.customers import Customers
from concert.ingest.generator.sales import Sales

TYPE_SHARE: dict[InteractionType, float] = {
    InteractionType.VIEW: 0.50,
    InteractionType.PURCHASE: 0.13,
    InteractionType.SEARCH: 0.12,
    InteractionType.LIKE: 0.12,
    InteractionType.SAVE: 0.08,
    InteractionType.SHARE: 0.05,
}
PREFERRED_GENRE = 0.85
_TYPES = tuple(TYPE_SHARE)
_VIEW, _PURCHASE, _SEARCH, _LIKE = (
    _TYPES.index(t)
    for t in (
        InteractionType.VIEW,
        InteractionType.PURCHASE,
        InteractionType.SEARCH,
        InteractionType.LIKE,
    )
)
_LOOKBACK_US = 120 * MICROS_PER_DAY


def artist_genre_pools(artists: Artists) -> WeightedPools:
    """Artists pooled by each of their genres, weighted by genre weight x fame."""
    artist, genre = np.nonzero(artists.genre_weights)
    fame = target_capacity(artists.popularity)[artist] ** 0.7
    return WeightedPools.build(
        genre, artist, artists.genre_weights[artist, genre] * fame, len(catalog.GENRES)
    )


def _browsing_genres(rng: np.random.Generator, customers: Customers, user: IntArray) -> IntArray:
    cumulative = np.cumsum(customers.weights[user], axis=1)
    slot = (cumulative < rng.random(user.size)[:, None]).sum(axis=1)
    preferred = customers.genres[user, np.minimum(slot, cumulative.shape[1] - 1)]
    anything = categorical(rng, catalog.GENRE_SHARE, user.size)
    return np.where(
        (rng.random(user.size) < PREFERRED_GENRE) & (preferred >= 0), preferred, anything
    )


def _concert_of(
    rng: np.random.Generator, plan: ConcertPlan, artist: IntArray, artist_count: int
) -> IntArray:
    """A random concert of each artist (-1 for none, or no artist)."""
    by_artist = np.argsort(plan.artist, kind="stable")
    offsets = group_offsets(plan.artist[by_artist], artist_count)
    known = np.maximum(artist, 0)
    counts = offsets[known + 1] - offsets[known]
    pick = offsets[known] + (rng.random(artist.size) * counts).astype(np.int64)
    return np.where((artist >= 0) & (counts > 0), by_artist[np.minimum(pick, plan.count - 1)], -1)


def _times(
    rng: np.random.Generator, config: GeneratorConfig, plan: ConcertPlan, concert: IntArray
) -> IntArray:
    as_of_us = (config.as_of - date(1970, 1, 1)).days * MICROS_PER_DAY
    window_start = as_of_us - config.history_days * MICROS_PER_DAY
    event = plan.event_us[np.maximum(concert, 0)]
    high = np.where(concert >= 0, np.minimum(event, as_of_us), as_of_us)
    low = np.where(concert >= 0, np.maximum(event - _LOOKBACK_US, window_start), window_start)
    low = np.minimum(low, high - MICROS_PER_DAY)
    moment: IntArray = low + (rng.random(concert.size) * (high - low)).astype(np.int64)
    return moment // MICROS_PER_SECOND * MICROS_PER_SECOND


def generate_interactions(
    rng: np.random.Generator,
    config: GeneratorConfig,
    *,
    artists: Artists,
    plan: ConcertPlan,
    customers: Customers,
    sales: Sales,
) -> pa.Table:
    sale_count = sales.concert.size
    total = min(round(sale_count * config.interactions_per_sale), config.max_interactions)
    drawn = categorical(rng, list(TYPE_SHARE.values()), total)
    purchases = min(int((drawn == _PURCHASE).sum()), sale_count)
    browsing = drawn[drawn != _PURCHASE]

    user = categorical(rng, customers.activity, browsing.size)
    genre = _browsing_genres(rng, customers, user)
    artist = artist_genre_pools(artists).sample(rng, genre)
    concert = _concert_of(rng, plan, artist, artists.count)
    moment = _times(rng, config, plan, concert)

    sampled = np.sort(rng.choice(sale_count, purchases, replace=False))
    bought = sales.concert[sampled]
    kind = np.concatenate((browsing, np.full(purchases, _PURCHASE)))
    user = np.concatenate((user, sales.customer[sampled]))
    genre = np.concatenate((genre, np.full(purchases, -1)))
    concert = np.concatenate((concert, bought))
    artist = np.concatenate((artist, plan.artist[bought]))
    moment = np.concatenate((moment, sales.purchase_us[sampled]))

    order = np.argsort(moment)
    kind, user, genre, concert, artist, moment = (
        a[order] for a in (kind, user, genre, concert, artist, moment)
    )
    searches_genre = (kind == _SEARCH) & (rng.random(kind.size) < 0.5)
    names_artist = (artist >= 0) & ~searches_genre
    names_concert = (concert >= 0) & ~np.isin(kind, (_SEARCH, _LIKE))
    names_venue = names_concert & np.isin(kind, (_VIEW, _PURCHASE))
    names_genre = (genre >= 0) & ~names_artist
    genre_names = pa.array(catalog.GENRES)
    columns = {
        "interaction_id": INTERACTION_ID.of(range(kind.size)),
        "user_id": CUSTOMER_ID.of(user),
        "interaction_type": pa.array([t.value for t in _TYPES]).take(pa.array(kind)),
        "timestamp": pa.array(moment, pa.timestamp("us", tz="UTC")),
        "artist_id": ARTIST_ID.of(np.maximum(artist, 0), names_artist),
        "concert_id": CONCERT_ID.of(np.maximum(concert, 0), names_concert),
        "venue_id": VENUE_ID.of(plan.venue[np.maximum(concert, 0)], names_venue),
        "genre": genre_names.take(pa.array(np.maximum(genre, 0), mask=~names_genre)),
        "session_id": SESSION_ID.of(user * 100_000 + moment // MICROS_PER_DAY),
    }
    return pa.Table.from_pydict(
        columns, schema=arrow_schema(ENTITIES["user_interactions"], lineage=False)
    )


__all__ = ["TYPE_SHARE", "artist_genre_pools", "generate_interactions"]
