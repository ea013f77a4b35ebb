"""Errors raised by every warehouse adapter.

Each class also subclasses the shared :mod:`foundation.errors` class that gives
its HTTP status, so callers may catch either the warehouse family or the
generic kind (for example every :class:`DependencyUnavailableError`).
"""

from __future__ import annotations

from typing import Any

from foundation.errors import AppError, BadRequestError, DependencyUnavailableError

# Statements are echoed in messages for debugging; long ones are cut to this many characters.
_SQL_IN_MESSAGE = 300


def shorten_sql(sql: str) -> str:
    """One line of SQL, cut to a length that keeps log lines and messages readable."""
    flat = " ".join(sql.split())
    return flat if len(flat) <= _SQL_IN_MESSAGE else flat[: _SQL_IN_MESSAGE - 3] + "..."


class WarehouseError(AppError):
    """Base of every warehouse error."""


class QueryFailedError(WarehouseError):
    """The engine rejected or failed a statement; carries the engine's message and the SQL."""

    def __init__(self, message: str, *, sql: str | None = None, **extra: Any) -> None:
        detail = message if sql is None else f"{message} [statement: {shorten_sql(sql)}]"
        super().__init__(detail, **extra)
        self.message = message
        self.sql = sql


class UnsupportedSqlError(WarehouseError, BadRequestError):
    """SQL written in DuckDB's dialect uses a construct that cannot be run on Redshift."""

    def __init__(self, construct: str, *, sql: str | None = None, **extra: Any) -> None:
        detail = f"unsupported on Redshift: {construct}"
        if sql is not None:
            detail = f"{detail} [statement: {shorten_sql(sql)}]"
        super().__init__(detail, **extra)
        self.construct = construct
        self.sql = sql


class InvalidArgumentError(WarehouseError, BadRequestError):
    """A SQL parameter, table name, batch id or source the warehouse cannot accept."""

    def __init__(self, detail: str, *, names: tuple[str, ...] = (), **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.names = names


class LoadError(WarehouseError):
    """A bulk load failed; nothing of the batch was kept."""


class WarehouseUnavailableError(WarehouseError, DependencyUnavailableError):
    """The warehouse could not be reached or refused work (throttling, connection, lock)."""


class WarehouseTimeoutError(WarehouseUnavailableError):
    """A statement did not finish within the adapter's time-out and was cancelled."""

    def __init__(self, detail: str, *, statement_id: str | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.statement_id = statement_id


__all__ = [
    "InvalidArgumentError",
    "LoadError",
    "QueryFailedError",
    "UnsupportedSqlError",
    "WarehouseError",
    "WarehouseTimeoutError",
    "WarehouseUnavailableError",
]
