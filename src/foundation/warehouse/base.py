"""The warehouse port: run SQL, bulk load Parquet, fetch results as Arrow.

All SQL given to a warehouse is written in DuckDB's dialect with named
parameters written ``$name``; adapters for other engines translate it (see
:mod:`foundation.warehouse.dialect`).
"""

from __future__ import annotations

import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import pyarrow as pa

from foundation.closing import Closing
from foundation.health import HealthStatus
from foundation.warehouse.exceptions import InvalidArgumentError, LoadError, QueryFailedError

LoadMode = Literal["append", "replace"]
LOAD_MODES: tuple[LoadMode, ...] = ("append", "replace")

#: Ledger of loaded batches: one row per (table, batch, source) makes loads idempotent.
LEDGER_TABLE = "_skyline_loads"
MAX_BATCH_ID_LENGTH = 256

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")

_LEDGER_DDL = f"""
CREATE TABLE IF NOT EXISTS {LEDGER_TABLE} (
    table_name VARCHAR NOT NULL,
    batch_id VARCHAR NOT NULL,
    source_uri VARCHAR NOT NULL,
    row_count BIGINT NOT NULL,
    load_mode VARCHAR NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (table_name, batch_id, source_uri)
)
"""
_LEDGER_LOOKUP = (
    f"SELECT row_count FROM {LEDGER_TABLE} "  # noqa: S608 - constant table name
    "WHERE table_name = $table_name AND batch_id = $batch_id"
)
_TABLES = f"""
SELECT table_schema, table_name
FROM information_schema.tables
WHERE table_catalog = current_database()
  AND table_schema <> 'information_schema'
  AND left(table_schema, 3) <> 'pg_'
  AND table_name <> '{LEDGER_TABLE}'
"""  # noqa: S608 - constant table name


@dataclass(frozen=True, slots=True)
class LoadResult:
    """Outcome of :meth:`Warehouse.load_parquet`.

    ``rows`` is the number of rows the batch added; when ``skipped`` is true the
    batch had been loaded before and ``rows`` is what that earlier load added.
    """

    table: str
    batch_id: str
    rows: int
    skipped: bool


def check_identifier(name: str, field: str = "table") -> str:
    """``name`` when it is a plain ``table`` or ``schema.table`` name, safe to put in SQL."""
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise InvalidArgumentError(
            f"{field} {name!r} is not a plain name like 'events' or 'analytics.events'",
            names=(field,),
        )
    return name


class Warehouse(Closing, ABC):
    """A SQL warehouse reached through one dialect (DuckDB's).

    Contract shared by every adapter:

    * ``params`` bind ``$name`` placeholders one to one: a placeholder with no
      value, or a value with no placeholder, raises :class:`InvalidArgumentError`
      naming them. Values are scalars (str, bool, int, float, Decimal, date,
      datetime, time) or None.
    * A statement the engine rejects raises :class:`QueryFailedError` carrying
      the engine's message; a warehouse that cannot be reached raises
      :class:`WarehouseUnavailableError` (a time-out, :class:`WarehouseTimeoutError`).
    * Unquoted names are case-insensitive.
    """

    backend: ClassVar[str]
    #: Schema that unqualified table names resolve to.
    default_schema: ClassVar[str]

    def __init__(self) -> None:
        self._ledger_ready = False
        # Loads through one instance run one at a time, so two threads loading the same
        # batch cannot both miss it in the ledger; the second one reports it skipped.
        self._load_lock = threading.Lock()

    @abstractmethod
    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        """Run one statement for its effect; any result rows are discarded."""

    @abstractmethod
    def execute_script(self, sql: str) -> None:
        """Run several ``;``-separated statements in one transaction: all or nothing.

        The script must not hold its own BEGIN/COMMIT, nor parameters.
        """

    @abstractmethod
    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run one statement and return its rows; a statement without rows gives an empty table."""

    @abstractmethod
    def check(self) -> HealthStatus:
        """Probe the warehouse with a cheap call."""

    @abstractmethod
    def _check_source(self, source: str) -> None:
        """Raise :class:`InvalidArgumentError` for a source this adapter cannot read."""

    @abstractmethod
    def _load(self, table: str, sources: Sequence[str], batch_id: str, mode: LoadMode) -> int:
        """Load ``sources`` into ``table`` and record each in the ledger, in one transaction.

        Returns the number of rows loaded. On failure nothing is kept.
        """

    def load_parquet(
        self,
        table: str,
        sources: Sequence[str],
        *,
        batch_id: str,
        mode: LoadMode = "append",
    ) -> LoadResult:
        """Bulk load Parquet files into an existing table, at most once per (table, batch_id).

        Parquet columns map to the table's columns by position, as Redshift's
        COPY does. ``mode="replace"`` empties the table first, in the same
        transaction. Re-running a loaded batch changes nothing and reports
        ``skipped=True``. Sources are local paths or globs for DuckDB, and
        ``s3://`` object keys or prefixes for Redshift.
        """
        self._check_load(table, sources, batch_id, mode)
        # Unquoted names are case-insensitive, so the ledger keys on the folded name.
        key = table.lower()
        with self._load_lock:
            if not self._ledger_ready:
                self.execute(_LEDGER_DDL)
                self._ledger_ready = True
            earlier = self._loaded_rows(key, batch_id)
            if earlier is not None:
                return LoadResult(table, batch_id, earlier, skipped=True)
            try:
                rows = self._load(key, list(sources), batch_id, mode)
            except QueryFailedError as exc:
                # Another process loading the same batch may have committed first.
                earlier = self._loaded_rows(key, batch_id)
                if earlier is not None:
                    return LoadResult(table, batch_id, earlier, skipped=True)
                raise LoadError(
                    f"loading batch {batch_id!r} into table {table!r} failed: {exc.detail}"
                ) from exc
        return LoadResult(table, batch_id, rows, skipped=False)

    def _check_load(
        self, table: str, sources: Sequence[str], batch_id: str, mode: LoadMode
    ) -> None:
        check_identifier(table)
        if not isinstance(batch_id, str) or not 0 < len(batch_id) <= MAX_BATCH_ID_LENGTH:
            raise InvalidArgumentError(
                f"batch_id must be a string of 1 to {MAX_BATCH_ID_LENGTH} characters",
                names=("batch_id",),
            )
        if mode not in LOAD_MODES:
            raise InvalidArgumentError(
                f"mode {mode!r} must be one of {', '.join(LOAD_MODES)}", names=("mode",)
            )
        if isinstance(sources, str) or not sources:
            raise InvalidArgumentError(
                "sources must be a non-empty list of paths or URIs", names=("sources",)
            )
        seen: set[str] = set()
        for source in sources:
            if source in seen:
                raise InvalidArgumentError(f"sources lists {source!r} twice", names=("sources",))
            seen.add(source)
            self._check_source(source)

    def _loaded_rows(self, table: str, batch_id: str) -> int | None:
        """Rows the batch added when it was loaded, or None when it never was."""
        found = self.query(_LEDGER_LOOKUP, {"table_name": table, "batch_id": batch_id})
        if found.num_rows == 0:
            return None
        return sum(int(count) for count in found.column("row_count").to_pylist())

    def insert_rows(
        self, table: str, rows: Sequence[Mapping[str, Any]], *, chunk_size: int = 100
    ) -> None:
        """Insert rows (mappings with the same keys) with one parameterised multi-row
        INSERT per chunk: portable to Redshift's Data API, which has no bulk insert call."""
        check_identifier(table)
        for start in range(0, len(rows), chunk_size):
            chunk = rows[start : start + chunk_size]
            columns = [check_identifier(column, "column") for column in chunk[0]]
            params: dict[str, Any] = {}
            tuples = []
            for index, row in enumerate(chunk):
                names = [f"{column}_{index}" for column in columns]
                params.update(
                    {name: row[column] for name, column in zip(names, columns, strict=True)}
                )
                tuples.append("(" + ", ".join(f"${name}" for name in names) + ")")
            self.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join(tuples)}",  # noqa: S608
                params,
            )

    def table_exists(self, name: str) -> bool:
        """Whether a table or view ``name`` (``table`` or ``schema.table``) exists."""
        schema, _, table = check_identifier(name).rpartition(".")
        found = self.query(
            "SELECT 1 AS found FROM information_schema.tables "
            "WHERE table_catalog = current_database() "
            "AND lower(table_schema) = lower($schema) AND lower(table_name) = lower($table)",
            {"schema": schema or self.default_schema, "table": table},
        )
        return bool(found.num_rows > 0)

    def list_tables(self) -> list[str]:
        """Tables and views, sorted; those outside the default schema as ``schema.table``."""
        found = self.query(_TABLES).to_pylist()
        return sorted(
            row["table_name"]
            if row["table_schema"] == self.default_schema
            else f"{row['table_schema']}.{row['table_name']}"
            for row in found
        )

    def close(self) -> None:
        """Release connections; the warehouse must not be used afterwards."""


__all__ = [
    "LEDGER_TABLE",
    "LOAD_MODES",
    "LoadMode",
    "LoadResult",
    "Warehouse",
    "check_identifier",
]
