"""Vectorised building blocks: id columns, categorical draws, weighted pools.

Ids are built as fixed-width ASCII straight into Arrow buffers, so ten million
of them cost a few numpy passes instead of ten million Python strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_BASE62 = np.frombuffer(
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8
)
MICROS_PER_DAY = 86_400_000_000
MICROS_PER_SECOND = 1_000_000


def _fixed_width_strings(
    chars: npt.NDArray[np.uint8], valid: BoolArray | None = None
) -> pa.StringArray:
    rows, width = chars.shape
    offsets = np.arange(rows + 1, dtype=np.int64) * width
    if offsets[-1] > np.iinfo(np.int32).max:
        raise ValueError(f"{rows} strings of {width} bytes exceed one Arrow string array")
    bitmap = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.StringArray.from_buffers(
        rows,
        pa.py_buffer(offsets.astype(np.int32)),
        pa.py_buffer(np.ascontiguousarray(chars)),
        bitmap,
    )


# "0000" ... "9999" as one 4-byte word each: ids are written four digits per division.
_FOUR_DIGITS = np.frombuffer(
    "".join(f"{n:04d}" for n in range(10_000)).encode("ascii"), dtype=np.uint32
)


_ID_BLOCK = 1 << 20


def numbered_ids(
    prefix: str,
    numbers: npt.ArrayLike | range,
    width: int,
    valid: BoolArray | None = None,
    *,
    start: int = 0,
) -> pa.StringArray:
    """``prefix`` followed by each number plus ``start``, zero-padded to ``width``
    digits; null where ``valid`` is False. A ``range`` is never materialised whole."""
    values = numbers if isinstance(numbers, range) else np.asarray(numbers)
    low, high = 0, 0
    if len(values):
        low, high = (
            (values[0], values[-1])
            if isinstance(values, range)
            else (int(values.min()), int(values.max()))
        )
        if low + start < 0 or high + start >= 10**width:
            raise ValueError(f"numbers for {prefix!r} ids must fit in {width} digits")
    # 32-bit division is several times faster than 64-bit; use it whenever it fits.
    kind: Any = np.uint32 if high + start < 2**32 else np.int64
    groups = -(-width // 4)
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    chars = np.empty((len(values), head.size + width), dtype=np.uint8)
    chars[:, : head.size] = head
    # Blocks keep the division temporaries small enough for the allocator to reuse.
    for first in range(0, len(values), _ID_BLOCK):
        part = values[first : first + _ID_BLOCK]
        rest: npt.NDArray[Any] = (
            np.arange(part.start, part.stop, part.step, dtype=kind)
            if isinstance(part, range)
            else part.astype(kind)
        ) + kind(start)
        words = np.empty((rest.size, groups), dtype=np.uint32)
        for group in range(groups - 1, -1, -1):
            quotient = rest // kind(10_000)
            words[:, group] = _FOUR_DIGITS[rest - quotient * kind(10_000)]
            rest = quotient
        block = chars[first : first + _ID_BLOCK, head.size :]
        block[:] = words.view(np.uint8)[:, groups * 4 - width :]
    return _fixed_width_strings(chars, valid)


@dataclass(frozen=True, slots=True)
class IdFormat:
    """How one entity's ids look: a prefix and a fixed number of digits."""

    prefix: str
    width: int

    @property
    def capacity(self) -> int:
        return int(10**self.width) - 1

    def of(self, index: npt.ArrayLike | range, valid: BoolArray | None = None) -> pa.StringArray:
        """The ids of 0-based indices (ids are numbered from 1)."""
        return numbered_ids(self.prefix, index, self.width, valid, start=1)


ARTIST_ID = IdFormat("art-", 6)
VENUE_ID = IdFormat("ven-", 6)
CONCERT_ID = IdFormat("con-", 7)
CUSTOMER_ID = IdFormat("cus-", 8)
SALE_ID = IdFormat("sal-", 10)
INTERACTION_ID = IdFormat("int-", 10)
SESSION_ID = IdFormat("ses-", 13)  # customer index x 100,000 + UTC day


def base62_ids(rng: np.random.Generator, count: int, length: int = 22) -> pa.StringArray:
    """Random ids like Spotify's: ``length`` characters of [0-9A-Za-z]."""
    return _fixed_width_strings(_BASE62[rng.integers(0, 62, size=(count, length))])


@dataclass(frozen=True, slots=True)
class Cumulative:
    """Running totals of positive weights, searchable in a step or two.

    A binary search of a big array misses the cache at every step, and that
    dominated sampling millions of buyers. Here a guide table says, for each of
    ``size`` equal slices of the grand total, the first entry whose running
    total passes it; a draw starts at its slice's entry and walks forward.
    """

    totals: FloatArray
    guide: IntArray

    @classmethod
    def of(cls, weights: FloatArray) -> Cumulative:
        totals = np.cumsum(np.asarray(weights, dtype=np.float64))
        if totals.size == 0 or not totals[-1] > 0:
            raise ValueError("weights must hold at least one positive weight")
        slices = np.arange(totals.size) * (totals[-1] / totals.size)
        return cls(totals, np.searchsorted(totals, slices, side="right").astype(np.int64))

    def locate(self, targets: FloatArray) -> IntArray:
        """For each target in [0, total), the first entry whose running total exceeds it."""
        last = self.totals.size - 1
        slot = (targets * (self.totals.size / self.totals[-1])).astype(np.int64)
        # Start one slice early: rounding must never start past the answer.
        found: IntArray = self.guide[np.clip(slot - 1, 0, last)]
        pending = np.flatnonzero(self.totals[found] <= targets)
        while pending.size:
            found[pending] = np.minimum(found[pending] + 1, last)
            at = found[pending]
            pending = pending[(self.totals[at] <= targets[pending]) & (at < last)]
        return found


def categorical(
    rng: np.random.Generator, shares: Sequence[float] | FloatArray, size: int
) -> IntArray:
    """Indices drawn with probability proportional to ``shares``."""
    weights = np.asarray(shares, dtype=np.float64)
    if weights.size > 4_096:
        cumulative = Cumulative.of(weights)
        return cumulative.locate(rng.random(size) * cumulative.totals[-1])
    totals = np.cumsum(weights)
    draws: IntArray = np.searchsorted(totals, rng.random(size) * totals[-1], side="right")
    return np.minimum(draws, weights.size - 1).astype(np.int64)


def categorical_rows(rng: np.random.Generator, shares: FloatArray, rows: IntArray) -> IntArray:
    """One index per entry of ``rows``, drawn with the shares of that row of ``shares``
    (a matrix of at most 65,536 rows)."""
    # Few rows: a 16-bit key lets numpy's stable argsort use its radix sort.
    order = np.argsort(rows.astype(np.uint16), kind="stable")
    edges = np.searchsorted(rows[order], np.arange(shares.shape[0] + 1))
    drawn = np.empty(rows.size, dtype=np.int64)
    for row in range(shares.shape[0]):
        members = order[edges[row] : edges[row + 1]]
        if members.size:
            drawn[members] = categorical(rng, shares[row], members.size)
    return drawn


@dataclass(frozen=True, slots=True)
class WeightedPools:
    """Members grouped into numbered pools, each drawn with its own weights.

    One sorted array holds every pool, so drawing millions of members from
    thousands of pools is one search of the running totals of the weights.
    """

    members: IntArray
    cumulative: Cumulative | None  # None when every pool is empty
    starts: IntArray
    ends: IntArray

    @classmethod
    def build(
        cls, pools: IntArray, members: IntArray, weights: FloatArray, pool_count: int
    ) -> WeightedPools:
        keep = weights > 0
        pools, members, weights = pools[keep], members[keep], weights[keep]
        order = np.argsort(pools, kind="stable")
        sorted_pools = pools[order]
        bounds = np.arange(pool_count + 1)
        edges = np.searchsorted(sorted_pools, bounds, side="left")
        return cls(
            members=members[order].astype(np.int64),
            cumulative=Cumulative.of(weights[order]) if weights.size else None,
            starts=edges[:-1].astype(np.int64),
            ends=edges[1:].astype(np.int64),
        )

    def sample(self, rng: np.random.Generator, pools: IntArray) -> IntArray:
        """One member per entry of ``pools``; -1 where that pool is empty."""
        if self.cumulative is None:
            return np.full(pools.size, -1, dtype=np.int64)
        starts, ends = self.starts[pools], self.ends[pools]
        empty = ends == starts
        before = np.concatenate(([0.0], self.cumulative.totals))
        low = before[starts]
        high = before[ends]
        positions = self.cumulative.locate(low + rng.random(pools.size) * (high - low))
        positions = np.clip(positions, starts, np.maximum(ends - 1, starts))
        chosen = self.members[np.minimum(positions, self.members.size - 1)]
        return np.where(empty, -1, chosen).astype(np.int64)


def group_offsets(group_of_sorted: IntArray, group_count: int) -> IntArray:
    """Start offsets (length ``group_count + 1``) of each group in a sorted array."""
    return np.searchsorted(group_of_sorted, np.arange(group_count + 1), side="left").astype(
        np.int64
    )


def list_array(offsets: IntArray, values: pa.Array) -> pa.ListArray:
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values)


__all__ = [
    "ARTIST_ID",
    "CONCERT_ID",
    "CUSTOMER_ID",
    "INTERACTION_ID",
    "MICROS_PER_DAY",
    "MICROS_PER_SECOND",
    "SALE_ID",
    "SESSION_ID",
    "VENUE_ID",
    "BoolArray",
    "Cumulative",
    "FloatArray",
    "IdFormat",
    "IntArray",
    "WeightedPools",
    "base62_ids",
    "categorical",
    "categorical_rows",
    "group_offsets",
    "list_array",
    "numbered_ids",
]
