"""Write conditions and sort key conditions, as plain values every adapter translates.

Write conditions guard ``put`` and ``delete``: :class:`ItemAbsent` (create only),
:class:`ItemExists` (replace only) and :class:`AttributeEquals` (optimistic
concurrency with a version attribute). An expired item counts as absent.

Sort key conditions narrow a ``query`` inside one partition; build them with
:class:`SortKey`, e.g. ``SortKey.begins_with("order#")``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from foundation.table.exceptions import InvalidQueryError


@dataclass(frozen=True, slots=True)
class ItemAbsent:
    """The write succeeds only if no live item has this key."""


@dataclass(frozen=True, slots=True)
class ItemExists:
    """The write succeeds only if a live item has this key."""


@dataclass(frozen=True, slots=True)
class AttributeEquals:
    """The write succeeds only if a live item has this key and ``name`` equals ``value``."""

    name: str
    value: Any


Condition = ItemAbsent | ItemExists | AttributeEquals


class SortOperator(StrEnum):
    """Comparison values are the operator as written in SQL and DynamoDB expressions."""

    EQUALS = "="
    LESS_THAN = "<"
    AT_MOST = "<="
    GREATER_THAN = ">"
    AT_LEAST = ">="
    BETWEEN = "between"
    BEGINS_WITH = "begins_with"


@dataclass(frozen=True, slots=True)
class SortKeyCondition:
    """A condition on the sort key; ``high`` is only set for ``BETWEEN`` (inclusive)."""

    operator: SortOperator
    value: str
    high: str | None = None

    def __post_init__(self) -> None:
        for bound in (self.value, self.high):
            if bound is not None and (not isinstance(bound, str) or not bound):
                raise InvalidQueryError("sort", "bounds must be non-empty strings", bound)
        # Code point order is UTF-8 byte order, which is how DynamoDB sorts strings.
        if self.high is not None and self.high < self.value:
            raise InvalidQueryError("sort", "between() needs low <= high", (self.value, self.high))


class SortKey:
    """Builders for :class:`SortKeyCondition`; bounds compare as UTF-8 bytes, like DynamoDB."""

    @staticmethod
    def equals(value: str) -> SortKeyCondition:
        return SortKeyCondition(SortOperator.EQUALS, value)

    @staticmethod
    def less_than(value: str) -> SortKeyCondition:
        return SortKeyCondition(SortOperator.LESS_THAN, value)

    @staticmethod
    def at_most(value: str) -> SortKeyCondition:
        return SortKeyCondition(SortOperator.AT_MOST, value)

    @staticmethod
    def greater_than(value: str) -> SortKeyCondition:
        return SortKeyCondition(SortOperator.GREATER_THAN, value)

    @staticmethod
    def at_least(value: str) -> SortKeyCondition:
        return SortKeyCondition(SortOperator.AT_LEAST, value)

    @staticmethod
    def between(low: str, high: str) -> SortKeyCondition:
        """Inclusive on both ends."""
        return SortKeyCondition(SortOperator.BETWEEN, low, high)

    @staticmethod
    def begins_with(prefix: str) -> SortKeyCondition:
        return SortKeyCondition(SortOperator.BEGINS_WITH, prefix)


def condition_holds(condition: Condition, current: Mapping[str, Any] | None) -> bool:
    """Whether ``condition`` holds for the live item ``current`` (None when absent or expired).

    Used by adapters that evaluate conditions themselves; it follows DynamoDB's
    comparison rules so every adapter agrees.
    """
    if isinstance(condition, ItemAbsent):
        return current is None
    if isinstance(condition, ItemExists):
        return current is not None
    return (
        current is not None
        and condition.name in current
        and same_value(current[condition.name], condition.value)
    )


def same_value(left: Any, right: Any) -> bool:
    """DynamoDB equality: typed (True is not 1), numbers by value, containers deeply."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(map(same_value, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same_value(left[k], right[k]) for k in left)
    return type(left) is type(right) and bool(left == right)


__all__ = [
    "AttributeEquals",
    "Condition",
    "ItemAbsent",
    "ItemExists",
    "SortKey",
    "SortKeyCondition",
    "SortOperator",
    "condition_holds",
    "same_value",
]
