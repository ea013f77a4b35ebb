"""Fuzzy name matching for the duplicate report: normalise names, then pair close spellings.

Why this runs in Python and not in the warehouse: DuckDB has
``jaro_winkler_similarity`` and ``levenshtein`` but Redshift has no string
similarity function at all, so no portable SQL can score pairs. The fuzzy
pass only reads the artist and venue dimensions (thousands of rows, not the
millions of sales), pulled as Arrow with one portable query, and never
compares all pairs: an inverted index proposes candidates, so the cost grows
with the number of names, not its square.

Normalisation (:func:`name_tokens`): accents folded, lowercase, ``&`` and
``'n'`` read as "and", apostrophes and dots dropped (``R.E.M.`` = ``REM``),
other punctuation separates words, spelling variants unified (theatre ->
theater), a leading or trailing article dropped. Two names are the same name when their sorted
words match ("The Beatles" = "Beatles, The" = "beatles") or their words
joined in order do ("AC/DC" = "ACDC"): score 1.

Two names are *close* when they differ in exactly one word and that word is a
typo: both spellings at least :data:`MIN_TYPO_LENGTH` letters and at most one
edit apart, counting a swap of neighbours as one edit ("Beatles" /
"Beattles" / "Beatels"). Short words and digits never count as typos, so
"Gabriel F. Kowalski" / "Gabriel J. Kowalski", "Leo & the Lanterns" / "Cleo &
the Lanterns", "Blink 182" / "Blink 181" and "Area51" / "Area52" stay apart,
and so do names with different words ("Metallica" / "Megadeth"). Score:
1 - 1 / length of the longer normalised name (so 0.875 for "beattles").
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

#: Words dropped from names: "The Beatles" and "Beatles" are one band.
ARTICLES = frozenset({"the", "a", "an"})
#: Spellings read as one word.
SYNONYMS = {
    "n": "and",
    "theatre": "theater",
    "centre": "center",
    "amphitheatre": "amphitheater",
    "ctr": "center",
    "sq": "square",
    "mt": "mount",
}
#: Shortest word in which one edit counts as a typo rather than another word.
MIN_TYPO_LENGTH = 5

_JOINING = re.compile(r"['\u2019.]")
_SEPARATING = re.compile(r"[^\w\s]|_")
_NOT_DIGIT = re.compile(r"[^0-9]")


@dataclass(frozen=True, slots=True)
class NameMatch:
    """How an entity's fuzzy duplicates are found: by ``column``, among rows that share
    the (normalised) values of ``within`` (venues: the same city and country)."""

    column: str
    within: tuple[str, ...] = ()


def name_tokens(name: str) -> tuple[str, ...]:
    """The normalised words of a name, in order."""
    folded = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in folded if not unicodedata.combining(char)).lower()
    text = _SEPARATING.sub(" ", _JOINING.sub("", text.replace("&", " and ")))
    words = [SYNONYMS.get(word, word) for word in text.split()]
    # Only a leading or trailing article: a middle "a" is an initial ("Kira A. Jensen").
    start = 1 if words and words[0] in ARTICLES else 0
    end = len(words) - 1 if len(words) > start and words[-1] in ARTICLES else len(words)
    return tuple(words[start:end] or words)  # "The The" keeps its words


def normalise_name(name: str) -> str:
    """The comparison key of a name: its normalised words, sorted."""
    return " ".join(sorted(name_tokens(name)))


def one_edit_apart(left: str, right: str) -> bool:
    """Whether ``right`` is ``left`` with one letter inserted, deleted, replaced, or two
    neighbouring letters swapped (linear time: no full edit-distance table)."""
    if left == right or abs(len(left) - len(right)) > 1:
        return False
    if len(left) > len(right):
        left, right = right, left
    start = 0
    while start < len(left) and left[start] == right[start]:
        start += 1
    if len(left) < len(right):
        return left[start:] == right[start + 1 :]
    # Same length: one replaced letter, or two neighbours swapped.
    if left[start + 1 :] == right[start + 1 :]:
        return True
    return (
        start + 1 < len(left)
        and left[start] == right[start + 1]
        and left[start + 1] == right[start]
        and left[start + 2 :] == right[start + 2 :]
    )


def _deletions(word: str) -> set[str]:
    return {word, *(word[:index] + word[index + 1 :] for index in range(len(word)))}


def _typo_word(word: str) -> bool:
    return len(word) >= MIN_TYPO_LENGTH and not word.isdigit()


def _same_digits(left: str, right: str) -> bool:
    return _NOT_DIGIT.sub("", left) == _NOT_DIGIT.sub("", right)


def _scope_key(scope: Sequence[str]) -> tuple[str, ...]:
    return tuple(" ".join(name_tokens(value)) for value in scope)


def similar_pairs(
    names: Sequence[str], scopes: Sequence[Sequence[str]] | None = None
) -> dict[tuple[int, int], float]:
    """Pairs ``(i, j)`` (i < j) of names that are the same or close, with their score.

    ``scopes[i]`` are the values name ``i`` is compared within (e.g. its city
    and country): names with other scope values are never paired. Candidates
    come from two indexes: the same name (sorted or joined words), and the
    same other words plus a shared one-letter deletion of the differing word
    (any two words one edit apart share one), so only likely pairs are compared.
    """
    same: defaultdict[tuple[object, ...], list[int]] = defaultdict(list)
    typo: defaultdict[tuple[object, ...], list[tuple[int, str]]] = defaultdict(list)
    lengths: list[int] = []
    for position, name in enumerate(names):
        words = name_tokens(name)
        scope = _scope_key(scopes[position]) if scopes is not None else ()
        sorted_key = " ".join(sorted(words))
        lengths.append(len(sorted_key))
        same[(scope, "sorted", sorted_key)].append(position)
        same[(scope, "joined", "".join(words))].append(position)
        for index, word in enumerate(words):
            if _typo_word(word):
                rest = tuple(sorted(words[:index] + words[index + 1 :]))
                for variant in _deletions(word):
                    typo[(scope, rest, variant)].append((position, word))
    pairs: dict[tuple[int, int], float] = {}
    for members in same.values():
        pairs.update(dict.fromkeys(combinations(sorted(set(members)), 2), 1.0))
    for entries in typo.values():
        for (left, left_word), (right, right_word) in combinations(entries, 2):
            pair = (min(left, right), max(left, right))
            if left == right or pair in pairs:
                continue
            if _same_digits(left_word, right_word) and one_edit_apart(left_word, right_word):
                pairs[pair] = 1.0 - 1 / max(lengths[left], lengths[right])
    return pairs


def connected_groups(pairs: dict[tuple[int, int], float]) -> list[tuple[tuple[int, ...], float]]:
    """The groups the pairs link (transitively), each with its weakest link's score."""
    parent: dict[int, int] = {}

    def root(item: int) -> int:
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for left, right in pairs:
        parent[root(left)] = root(right)
    members: defaultdict[int, list[int]] = defaultdict(list)
    for item in parent:
        members[root(item)].append(item)
    weakest: dict[int, float] = {}
    for (left, _), score in pairs.items():
        group = root(left)
        weakest[group] = min(score, weakest.get(group, 1.0))
    groups = [(tuple(sorted(items)), weakest[group]) for group, items in members.items()]
    return sorted(groups)


__all__ = [
    "ARTICLES",
    "MIN_TYPO_LENGTH",
    "SYNONYMS",
    "NameMatch",
    "connected_groups",
    "name_tokens",
    "normalise_name",
    "one_edit_apart",
    "similar_pairs",
]
