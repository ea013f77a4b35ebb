"""Name normalisation and fuzzy pairing for the duplicate report."""

from __future__ import annotations

import pytest

from concert.quality.matching import (
    connected_groups,
    name_tokens,
    normalise_name,
    one_edit_apart,
    similar_pairs,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("The Beatles", "beatles"),
        ("Beatles, The", "beatles"),
        ("beatles", "beatles"),
        ("  BEATLES!  ", "beatles"),
        ("Guns N' Roses", "and guns roses"),
        ("Guns & Roses", "and guns roses"),
        ("R.E.M.", "rem"),
        ("Björk", "bjork"),
        ("Sigur Rós", "ros sigur"),
        ("Orpheum Theatre", "orpheum theater"),
        ("A Tribe Called Quest", "called quest tribe"),
        ("The The", "the the"),
    ],
)
def test_normalise_folds_case_accents_punctuation_articles_and_word_order(
    name: str, expected: str
) -> None:
    assert normalise_name(name) == expected


def test_an_initial_in_the_middle_is_not_an_article() -> None:
    assert name_tokens("Kira A. Jensen") == ("kira", "a", "jensen")


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("beatles", "beattles", True),  # inserted
        ("beatles", "beatle", True),  # deleted
        ("beatles", "beetles", True),  # replaced
        ("beatles", "beatels", True),  # neighbours swapped
        ("beatles", "ebatles", True),
        ("beatles", "beatles", False),  # no edit at all
        ("roses", "horses", False),
        ("abc", "cba", False),
        ("abcd", "badc", False),
        ("metallica", "megadeth", False),
    ],
)
def test_one_edit_apart_counts_a_swap_of_neighbours_as_one_edit(
    left: str, right: str, expected: bool
) -> None:
    assert one_edit_apart(left, right) is expected
    assert one_edit_apart(right, left) is expected


def test_spelling_variants_of_one_artist_are_paired() -> None:
    names = ["The Beatles", "Beatles, The", "beatles", "Beattles", "Metallica", "Megadeth"]
    pairs = similar_pairs(names)
    assert pairs[(0, 1)] == pairs[(0, 2)] == pairs[(1, 2)] == 1.0
    assert pairs[(0, 3)] == pytest.approx(1 - 1 / len("beattles"))
    assert not any(4 in pair or 5 in pair for pair in pairs)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Metallica", "Megadeth"),
        ("Gabriel F. Kowalski", "Gabriel J. Kowalski"),  # different initials
        ("Leo & the Lanterns", "Cleo & the Lanterns"),  # short words are other words
        ("The Drifting Roses", "The Drifting Horses"),  # two edits
        ("Blink 182", "Blink 181"),  # numbers are never typos
        ("The Velvet Hours", "The Velvet Hours 2"),
        ("Young Nyx", "Young Onyx"),
    ],
)
def test_clearly_different_names_are_not_paired(left: str, right: str) -> None:
    assert similar_pairs([left, right]) == {}


def test_word_order_and_joined_spellings_are_the_same_name() -> None:
    assert similar_pairs(["AC/DC", "ACDC"]) == {(0, 1): 1.0}
    assert similar_pairs(["Madison Square Garden", "Garden, Madison Square"]) == {(0, 1): 1.0}


def test_a_typo_in_one_word_of_several_is_found() -> None:
    pairs = similar_pairs(["Red Hot Chili Peppers", "Red Hot Chilli Peppers"])
    assert list(pairs) == [(0, 1)]
    assert 0.9 < pairs[(0, 1)] < 1.0


def test_scopes_keep_venues_of_other_cities_apart() -> None:
    names = ["Orpheum Theatre", "Orpheum Theater", "Orpheum Theatre"]
    scopes = [["Los Angeles", "US"], ["los angeles", "US"], ["Boston", "US"]]
    assert similar_pairs(names, scopes) == {(0, 1): 1.0}


def test_groups_follow_pairs_transitively_and_keep_the_weakest_link() -> None:
    groups = connected_groups({(0, 1): 1.0, (1, 4): 0.9, (2, 3): 0.8})
    assert groups == [((0, 1, 4), 0.9), ((2, 3), 0.8)]
    assert connected_groups({}) == []


def test_names_differing_only_in_numbers_are_not_paired_even_by_thousands() -> None:
    names = [f"Band Alpha{index}" for index in range(3000)]
    names += ["Unique Sparrows", "Unique Sparows"]
    pairs = similar_pairs(names)
    assert pairs == {(3000, 3001): pytest.approx(1 - 1 / len("sparrows unique"))}
