"""Errors raised by every table adapter, each a subclass of the shared hierarchy."""

from __future__ import annotations

from typing import Any

from foundation.errors import (
    ConflictError,
    DependencyUnavailableError,
    FieldIssue,
    InvalidInputError,
)


class ConditionFailedError(ConflictError):
    """A conditional write found the item in another state than the condition required."""

    def __init__(self, table: str, partition: str, sort: str | None, condition: object) -> None:
        key = f"partition={partition!r}" + ("" if sort is None else f", sort={sort!r}")
        super().__init__(
            f"condition {condition!r} failed on table {table!r} for item ({key})",
            table=table,
            partition=partition,
            sort=sort,
        )
        self.table = table
        self.partition = partition
        self.sort = sort
        self.condition = condition


class InvalidItemError(InvalidInputError):
    """An item or key breaks a rule of the table: missing or mistyped key attribute, bad value."""

    def __init__(self, attribute: str, message: str, value: Any = None) -> None:
        super().__init__(
            f"attribute {attribute!r}: {message}",
            issues=[FieldIssue(field=attribute, message=message, value=value)],
        )
        self.attribute = attribute


class InvalidQueryError(InvalidInputError):
    """A query that cannot run: unknown index, malformed cursor, bad limit."""

    def __init__(self, parameter: str, message: str, value: Any = None) -> None:
        super().__init__(
            f"{parameter}: {message}",
            issues=[FieldIssue(field=parameter, message=message, value=value)],
        )
        self.parameter = parameter


class TableUnavailableError(DependencyUnavailableError):
    """The backing store is missing, locked for too long, throttling or unreachable."""

    def __init__(self, table: str, reason: str, retry_after_seconds: int | None = 1) -> None:
        super().__init__(
            f"table {table!r} is unavailable: {reason}",
            retry_after_seconds=retry_after_seconds,
            table=table,
        )
        self.table = table


__all__ = [
    "ConditionFailedError",
    "InvalidItemError",
    "InvalidQueryError",
    "TableUnavailableError",
]
