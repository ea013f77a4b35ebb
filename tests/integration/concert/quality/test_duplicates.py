"""The duplicate report over loaded raw tables: exact in SQL, fuzzy from the names."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from concert.quality import DuplicateGroup, DuplicateKind, DuplicateReason, find_duplicates
from tests.integration.concert.quality.data import (
    FIRST_BATCH,
    INGESTED_AT,
    SECOND_BATCH,
    RawLoader,
)

Data = dict[str, list[dict[str, Any]]]


def _artist(artist_id: str, name: str, popularity: int = 50) -> dict[str, Any]:
    return {"artist_id": artist_id, "name": name, "popularity": popularity}


def _venue(venue_id: str, name: str, city: str, capacity: int = 2000) -> dict[str, Any]:
    return {"venue_id": venue_id, "name": name, "city": city, "country": "US",
            "capacity": capacity, "venue_type": "theater"}  # fmt: skip


def _by_reason(groups: list[DuplicateGroup], reason: DuplicateReason) -> list[DuplicateGroup]:
    return [group for group in groups if group.reason is reason]


def test_clean_data_has_no_duplicates(loader: RawLoader, clean: Data) -> None:
    loader.load_all(clean)
    assert find_duplicates(loader.warehouse) == []


def test_keys_delivered_in_two_batches_are_exact_duplicates(loader: RawLoader, clean: Data) -> None:
    loader.load_all(clean)
    later = INGESTED_AT + timedelta(hours=1)
    loader.load("ticket_sales", clean["ticket_sales"][:2], SECOND_BATCH, later)
    loader.load("artists", clean["artists"][:1], SECOND_BATCH, later)
    groups = find_duplicates(loader.warehouse)
    assert all(g.kind is DuplicateKind.EXACT and g.score == 1.0 for g in groups)
    sales = [g for g in groups if g.entity == "ticket_sales"]
    assert [(g.keys, g.batch_ids) for g in sales] == [
        (("s1", "s1"), (FIRST_BATCH, SECOND_BATCH)),
        (("s2", "s2"), (FIRST_BATCH, SECOND_BATCH)),
    ]
    assert sales[0].names == (None, None)
    (artist,) = [g for g in groups if g.entity == "artists"]
    assert artist.reason is DuplicateReason.SAME_KEY
    assert artist.names == ("Metallica", "Metallica")


def test_the_same_key_report_is_capped_per_entity(loader: RawLoader, clean: Data) -> None:
    loader.load_all(clean)
    loader.load("ticket_sales", clean["ticket_sales"], SECOND_BATCH)
    groups = find_duplicates(loader.warehouse, ["ticket_sales"], max_groups=3)
    assert [g.keys[0] for g in groups] == ["s1", "s2", "s3"]


def test_the_same_venue_under_two_keys_is_an_exact_duplicate_not_also_a_fuzzy_one(
    loader: RawLoader,
) -> None:
    venues = [
        _venue("v1", "Orpheum Theatre", "Los Angeles"),
        _venue("v9", "Orpheum Theatre", "Los Angeles"),
        _venue("v2", "Orpheum Theatre", "Boston"),  # another city: another venue
    ]
    loader.load("venues", venues)
    groups = find_duplicates(loader.warehouse, ["venues"])
    assert [(g.reason, g.keys) for g in groups] == [(DuplicateReason.SAME_CONTENT, ("v1", "v9"))]


def test_spelling_variants_of_an_artist_form_one_fuzzy_group(loader: RawLoader) -> None:
    artists = [
        _artist("a1", "The Beatles", 95),
        _artist("a2", "Beatles, The", 90),
        _artist("a3", "beatles", 80),
        _artist("a4", "Beattles", 70),
        _artist("a5", "Metallica", 85),
        _artist("a6", "Megadeth", 75),
        _artist("a7", "Gabriel F. Kowalski"),
        _artist("a8", "Gabriel J. Kowalski"),
    ]
    loader.load("artists", artists)
    groups = find_duplicates(loader.warehouse, ["artists"])
    (group,) = groups
    assert group.kind is DuplicateKind.FUZZY and group.reason is DuplicateReason.SIMILAR_NAME
    assert group.keys == ("a1", "a2", "a3", "a4")
    assert group.names == ("The Beatles", "Beatles, The", "beatles", "Beattles")
    assert group.score == pytest.approx(1 - 1 / len("beattles"), abs=1e-4)


def test_fuzzy_matching_uses_each_key_latest_name(loader: RawLoader) -> None:
    loader.load("artists", [_artist("a1", "Radiohead"), _artist("a2", "Radiohaed")])
    later = INGESTED_AT + timedelta(hours=1)
    loader.load("artists", [_artist("a2", "Portishead")], SECOND_BATCH, later)

    def similar() -> list[DuplicateGroup]:
        groups = find_duplicates(loader.warehouse, ["artists"])
        return _by_reason(groups, DuplicateReason.SIMILAR_NAME)

    assert similar() == []  # a2 is now called Portishead
    loader.load("artists", [_artist("a2", "Radio Head")], "third", later + timedelta(hours=1))
    (group,) = similar()
    assert group.keys == ("a1", "a2")
    assert group.names == ("Radiohead", "Radio Head")
    assert group.batch_ids == (FIRST_BATCH, "third")


def test_venues_with_near_identical_names_in_one_city_are_paired(loader: RawLoader) -> None:
    venues = [
        _venue("v1", "Orpheum Theatre", "Los Angeles", 2000),
        _venue("v2", "The Orpheum Theater", "Los Angeles", 1976),
        _venue("v3", "Orpheum Theatre", "Boston", 2700),
        _venue("v4", "Hollywood Bowl", "Los Angeles", 17500),
        _venue("v5", "Hollywood Palladium", "Los Angeles", 3700),
    ]
    loader.load("venues", venues)
    (group,) = find_duplicates(loader.warehouse, ["venues"])
    assert (group.kind, group.keys, group.score) == (DuplicateKind.FUZZY, ("v1", "v2"), 1.0)


def test_entities_without_a_loaded_table_are_left_out(loader: RawLoader, clean: Data) -> None:
    loader.load("artists", clean["artists"])
    assert find_duplicates(loader.warehouse, ["artists", "venues"]) == []
