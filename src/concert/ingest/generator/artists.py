"""Artists: heavy-tailed popularity, genre-correlated, with plausible names.

Effects planted here:

- Popularity is heavy-tailed: a latent fame ``z ~ N(shift(genre), 1)`` maps to
  popularity ``100 * sigmoid(1.1 z - 0.9)``: the median artist sits near 30,
  about 2% are stars above 80. Fame drives the venue size an artist plays
  (``target_capacity``: ~250 seats at popularity 0, ~1,600 at 50, ~6,000 at
  70, ~45,000 at 95), so a few stars sell most tickets.
- Popularity correlates with genre: the primary genre shifts ``z``
  (``catalog.GENRE_POPULARITY_SHIFT``), so pop and hip hop acts skew popular.
- One to three genres (50% / 35% / 15%): the primary genre by its share, the
  others from its related genres. ``genre_weights`` (primary 0.6, the rest
  sharing 0.4) say how much each genre counts for demand and customers.
- Band genres (rock, indie, metal, punk, folk) are mostly bands of 2-6
  members, the others mostly solo acts; about 8% have no known members.
- Formation dates lie at least a year before ``as_of``, recent acts being
  more common (classical, jazz and blues acts are older); 8% are unknown.
- About 75% have a Spotify-like 22-character base62 id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

import numpy as np
import pyarrow as pa

from concert.domain.models import ENTITIES
from concert.domain.schema import arrow_schema
from concert.ingest.generator import catalog
from concert.ingest.generator.arrays import (
    ARTIST_ID,
    FloatArray,
    IntArray,
    base62_ids,
    categorical,
    list_array,
)
from concert.ingest.generator.config import GeneratorConfig
from concert.ingest.generator.names import person, pick, unique_name

PRIMARY_GENRE_WEIGHT = 0.6
_OLD_GENRES = frozenset({"classical", "jazz", "blues"})


def target_capacity(popularity: IntArray) -> FloatArray:
    """The venue size an artist of this popularity fills: 250 seats up to 70,000."""
    share = (np.asarray(popularity, dtype=np.float64) / 100.0) ** 1.6
    seats: FloatArray = np.exp(np.log(250.0) + share * np.log(70_000.0 / 250.0))
    return seats


@dataclass(frozen=True, slots=True)
class Artists:
    table: pa.Table
    popularity: IntArray
    fame: FloatArray  # the latent z behind popularity
    primary_genre: IntArray
    genre_weights: FloatArray  # artists x genres, each row sums to 1

    @property
    def count(self) -> int:
        return int(self.popularity.size)


def _genre_sets(rng: np.random.Generator, count: int) -> tuple[IntArray, list[list[int]]]:
    primary = categorical(rng, catalog.GENRE_SHARE, count)
    sizes = categorical(rng, (0.5, 0.35, 0.15), count) + 1
    genre_lists: list[list[int]] = []
    for index in range(count):
        first = catalog.GENRES[primary[index]]
        related = [catalog.GENRE_INDEX[g] for g in catalog.RELATED_GENRES[first]]
        extra = rng.permutation(related)[: sizes[index] - 1]
        genre_lists.append([int(primary[index]), *(int(g) for g in extra)])
    return primary, genre_lists


def _band(rng: np.random.Generator) -> tuple[str, list[str]]:
    members = [person(rng) for _ in range(int(rng.integers(2, 7)))]
    adjective, noun = pick(rng, catalog.ADJECTIVES), pick(rng, catalog.NOUNS)
    styles = (
        f"The {adjective} {noun}",
        f"{adjective} {noun}",
        f"{members[0].split()[0]} & the {noun}",
    )
    return styles[int(rng.integers(len(styles)))], members


def _solo(rng: np.random.Generator, genre: str) -> tuple[str, list[str]]:
    lead = person(rng)
    first, last = lead.split()
    roll = rng.random()
    if genre == "classical" and roll < 0.4:
        return f"{last} String Quartet", [lead, *(person(rng) for _ in range(3))]
    if genre == "jazz" and roll < 0.4:
        return f"{lead} Trio", [lead, person(rng), person(rng)]
    if genre in {"hip hop", "electronic", "r&b"} and roll < 0.5:
        title = "" if genre == "r&b" else pick(rng, ("DJ", "Lil", "MC", "Young", ""))
        return f"{title} {pick(rng, catalog.STAGE_WORDS)}".strip(), [lead]
    if roll > 0.7:
        return f"{first} {chr(65 + int(rng.integers(26)))}. {last}", [lead]
    return lead, [lead]


def _act(rng: np.random.Generator, genre: str) -> tuple[str, list[str]]:
    """A name and its members for an act whose primary genre is ``genre``."""
    band = rng.random() < (0.8 if genre in catalog.BAND_GENRES else 0.15)
    return _band(rng) if band else _solo(rng, genre)


def _formation_dates(rng: np.random.Generator, primary: IntArray, as_of: date) -> list[date | None]:
    latest = as_of - timedelta(days=365)
    old = np.isin(primary, [catalog.GENRE_INDEX[g] for g in _OLD_GENRES])
    ages = rng.exponential(np.where(old, 25.0, 11.0)) * 365.25
    ages = np.minimum(ages, (latest - date(1950, 1, 1)).days)
    unknown = rng.random(primary.size) < 0.08
    return [
        None if unknown[i] else latest - timedelta(days=int(ages[i])) for i in range(primary.size)
    ]


def generate_artists(rng: np.random.Generator, config: GeneratorConfig) -> Artists:
    count = config.artists
    primary, genre_lists = _genre_sets(rng, count)
    shift = np.array([catalog.GENRE_POPULARITY_SHIFT[g] for g in catalog.GENRES])[primary]
    fame = rng.standard_normal(count) + shift
    popularity = np.clip(np.rint(100.0 / (1.0 + np.exp(-(1.1 * fame - 0.9)))), 0, 100)

    weights = np.zeros((count, len(catalog.GENRES)))
    for index, genres in enumerate(genre_lists):
        weights[index, genres[0]] = PRIMARY_GENRE_WEIGHT if len(genres) > 1 else 1.0
        for extra in genres[1:]:
            weights[index, extra] = (1.0 - PRIMARY_GENRE_WEIGHT) / (len(genres) - 1)

    seen: set[str] = set()
    names: list[str] = []
    members: list[list[str]] = []
    for genre in primary:
        name, people = unique_name(partial(_act, rng, catalog.GENRES[genre]), seen)
        names.append(name)
        members.append([] if rng.random() < 0.08 else people)

    genre_offsets = np.concatenate(([0], np.cumsum([len(g) for g in genre_lists])))
    member_offsets = np.concatenate(([0], np.cumsum([len(m) for m in members])))
    genre_names = [catalog.GENRES[g] for genres in genre_lists for g in genres]
    spotify = base62_ids(rng, count)
    has_spotify = rng.random(count) < 0.75
    columns = {
        "artist_id": ARTIST_ID.of(range(count)),
        "name": pa.array(names, pa.string()),
        "genres": list_array(genre_offsets, pa.array(genre_names, pa.string())),
        "popularity": pa.array(popularity.astype(np.int64)),
        "formation_date": pa.array(_formation_dates(rng, primary, config.as_of), pa.date32()),
        "members": list_array(
            member_offsets, pa.array([m for people in members for m in people], pa.string())
        ),
        "spotify_id": pa.array(
            spotify.to_numpy(zero_copy_only=False), pa.string(), mask=~has_spotify
        ),
    }
    schema = arrow_schema(ENTITIES["artists"], lineage=False)
    return Artists(
        table=pa.Table.from_pydict(columns, schema=schema),
        popularity=popularity.astype(np.int64),
        fame=fame,
        primary_genre=primary,
        genre_weights=weights,
    )


__all__ = ["PRIMARY_GENRE_WEIGHT", "Artists", "generate_artists", "target_capacity"]
