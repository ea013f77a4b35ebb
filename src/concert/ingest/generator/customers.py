"""Customers (users) with planted genre preferences: the recommendation ground truth.

Effects planted here:

- Each customer lives in a city (by market size, among cities with venues)
  and prefers one to three genres (35% / 45% / 20%) with Dirichlet weights
  summing to 1. The first genre follows the genre shares reweighted by the
  home city's affinity (Nashville residents lean country); further genres are
  related to the first 60% of the time, else drawn like the first.
- Activity is heavy-tailed (lognormal, sigma 1): a few customers buy and
  browse a lot, most buy a handful of tickets.

Sales and interactions draw their customers from these preferences (see
:mod:`concert.ingest.generator.sales`), so most of a customer's purchases fall
in their preferred genres, and the ground truth can score a recommender.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from concert.ingest.generator import catalog
from concert.ingest.generator.arrays import (
    FloatArray,
    IntArray,
    WeightedPools,
    categorical,
    categorical_rows,
)

MAX_PREFERRED_GENRES = 3


def city_genre_affinity() -> FloatArray:
    """Cities x genres affinity from the catalogue; 1.0 where none is listed."""
    affinity = np.ones((len(catalog.CITIES), len(catalog.GENRES)))
    for row, city in enumerate(catalog.CITIES):
        for genre, value in city.affinity.items():
            affinity[row, catalog.GENRE_INDEX[genre]] = value
    return affinity


@dataclass(frozen=True, slots=True)
class Customers:
    home_city: IntArray  # index into catalog.CITIES
    activity: FloatArray
    genres: IntArray  # customers x MAX_PREFERRED_GENRES, -1 where unused
    weights: FloatArray  # same shape, 0 where unused; rows sum to 1

    @property
    def count(self) -> int:
        return int(self.home_city.size)

    def genre_pools(self, pool_of: IntArray, pool_count: int) -> WeightedPools:
        """Customers pooled by ``pool_of[customer, slot]`` (a key per preferred
        genre), weighted by preference weight times activity."""
        slots = self.genres >= 0
        customer = np.broadcast_to(np.arange(self.count)[:, None], self.genres.shape)
        weight = self.weights * self.activity[:, None]
        return WeightedPools.build(pool_of[slots], customer[slots], weight[slots], pool_count)


def _related_or_fresh(
    rng: np.random.Generator, first: IntArray, fresh_shares: FloatArray, city: IntArray
) -> IntArray:
    related_members = [
        (catalog.GENRE_INDEX[g], catalog.GENRE_INDEX[r])
        for g in catalog.GENRES
        for r in catalog.RELATED_GENRES[g]
    ]
    owners, members = (np.array(column) for column in zip(*related_members, strict=True))
    related = WeightedPools.build(
        owners, members, np.ones(members.size), len(catalog.GENRES)
    ).sample(rng, first)
    fresh = categorical_rows(rng, fresh_shares, city)
    return np.where(rng.random(first.size) < 0.6, related, fresh)


def generate_customers(rng: np.random.Generator, count: int, venue_cities: IntArray) -> Customers:
    cities = np.unique(venue_cities)
    weights = np.array([catalog.CITIES[c].weight for c in cities])
    home = cities[categorical(rng, weights, count)]
    shares = np.asarray(catalog.GENRE_SHARE) * city_genre_affinity() ** 2
    genres = np.full((count, MAX_PREFERRED_GENRES), -1, dtype=np.int64)
    genres[:, 0] = categorical_rows(rng, shares, home)
    wanted = categorical(rng, (0.35, 0.45, 0.2), count) + 1
    for slot in range(1, MAX_PREFERRED_GENRES):
        candidate = _related_or_fresh(rng, genres[:, 0], shares, home)
        duplicate = (genres[:, :slot] == candidate[:, None]).any(axis=1)
        genres[:, slot] = np.where((wanted > slot) & ~duplicate, candidate, -1)
    # Used slots first, so the sorted (descending) weights line up with them.
    genres = np.take_along_axis(genres, np.argsort(genres < 0, axis=1, kind="stable"), axis=1)
    raw = rng.gamma(1.5, size=genres.shape) * (genres >= 0)
    raw[:, 0] += 0.5  # the first genre is the main one
    weight = -np.sort(-raw, axis=1)
    weight /= weight.sum(axis=1, keepdims=True)
    return Customers(
        home_city=home,
        activity=rng.lognormal(0.0, 1.0, count),
        genres=genres,
        weights=weight,
    )


__all__ = ["MAX_PREFERRED_GENRES", "Customers", "city_genre_affinity", "generate_customers"]
