"""Name drawing shared by artists and venues, kept unique within one run."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np

from concert.ingest.generator import catalog

_ATTEMPTS = 25
T = TypeVar("T")


def pick(rng: np.random.Generator, words: tuple[str, ...]) -> str:
    return words[int(rng.integers(len(words)))]


def person(rng: np.random.Generator) -> str:
    return f"{pick(rng, catalog.FIRST_NAMES)} {pick(rng, catalog.SURNAMES)}"


def unique_name(draw: Callable[[], tuple[str, T]], seen: set[str]) -> tuple[str, T]:
    """A fresh ``(name, extra)`` draw whose name is not in ``seen``; after a few
    collisions, the last name numbered ("The Velvet Hours 2")."""
    name, extra = draw()
    for _ in range(_ATTEMPTS):
        if name not in seen:
            break
        name, extra = draw()
    candidate, number = name, 2
    while candidate in seen:
        candidate = f"{name} {number}"
        number += 1
    seen.add(candidate)
    return candidate, extra


__all__ = ["person", "pick", "unique_name"]
