"""Local warehouse adapter: an embedded DuckDB database file (or memory)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from foundation.health import HealthStatus, timed_check
from foundation.warehouse.base import LEDGER_TABLE, LoadMode, Warehouse
from foundation.warehouse.dialect import check_parameters, single_statement, split_statements
from foundation.warehouse.exceptions import (
    InvalidArgumentError,
    QueryFailedError,
    WarehouseError,
    WarehouseUnavailableError,
)

_MEMORY = ":memory:"
_LEDGER_INSERT = (
    f"INSERT INTO {LEDGER_TABLE} VALUES "  # noqa: S608 - constant table name
    "($table_name, $batch_id, $source, $row_count, $mode, now() AT TIME ZONE 'UTC')"
)


class DuckDbWarehouse(Warehouse):
    """Warehouse in a DuckDB file (``":memory:"`` by default).

    Safe to share between threads: each thread gets its own cursor on the one
    database (a DuckDB connection object must not be used by two threads at
    once), so reads run in parallel and each thread has its own transactions.
    """

    backend = "duckdb"
    default_schema = "main"

    def __init__(
        self,
        path: Path | str = _MEMORY,
        *,
        threads: int | None = None,
        read_only: bool = False,
    ) -> None:
        super().__init__()
        self.path = str(path)
        config: dict[str, str | bool | int | float | list[str]] = {}
        if threads is not None:
            if threads < 1:
                raise InvalidArgumentError(
                    f"threads must be at least 1, got {threads}", names=("threads",)
                )
            config["threads"] = threads
        if self.path != _MEMORY and not read_only:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._connection = duckdb.connect(self.path, read_only=read_only, config=config)
        except duckdb.Error as exc:
            raise WarehouseUnavailableError(
                f"cannot open DuckDB database {self.path!r}: {exc}"
            ) from exc
        self._local = threading.local()
        # Weak, so a thread's cursor goes away with the thread; close() closes the rest.
        self._cursors: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()
        self._cursors_lock = threading.Lock()
        self._closed = False

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        if self._closed:
            raise WarehouseError(f"DuckDB warehouse {self.path!r} is closed")
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            with self._cursors_lock:
                cursor = self._connection.cursor()
                self._cursors.add(cursor)
            self._local.cursor = cursor
        return cursor

    @staticmethod
    def _run(
        cursor: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any] | None = None
    ) -> duckdb.DuckDBPyConnection:
        try:
            return cursor.execute(sql, dict(params) if params else None)
        except duckdb.Error as exc:
            raise QueryFailedError(str(exc), sql=sql) from exc

    @contextmanager
    def _transaction(self, cursor: duckdb.DuckDBPyConnection) -> Iterator[None]:
        self._run(cursor, "BEGIN TRANSACTION")
        try:
            yield
            self._run(cursor, "COMMIT")
        except BaseException:
            # A failed COMMIT has already ended the transaction, so ROLLBACK may fail.
            with suppress(duckdb.Error):
                cursor.rollback()
            raise

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        bound = check_parameters(sql, params)
        self._run(self._cursor(), single_statement(sql), bound)

    def execute_script(self, sql: str) -> None:
        check_parameters(sql, None)
        cursor = self._cursor()
        with self._transaction(cursor):
            for statement in split_statements(sql):
                self._run(cursor, statement)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        bound = check_parameters(sql, params)
        statement = single_statement(sql)
        try:
            # .sql() hands Arrow the result without the extra copy a DB-API fetch makes.
            relation = self._cursor().sql(statement, params=bound or None)
            return relation.to_arrow_table() if relation is not None else pa.table({})
        except duckdb.Error as exc:
            raise QueryFailedError(str(exc), sql=statement) from exc

    def _check_source(self, source: str) -> None:
        if not isinstance(source, str) or not source.strip():
            raise InvalidArgumentError(
                f"sources: {source!r} must be a local Parquet path or glob", names=("sources",)
            )

    def _load(self, table: str, sources: Sequence[str], batch_id: str, mode: LoadMode) -> int:
        cursor = self._cursor()
        total = 0
        with self._transaction(cursor):
            if mode == "replace":
                self._run(cursor, f"DELETE FROM {table}")  # noqa: S608 - checked identifier
            for source in sources:
                inserted = self._run(
                    cursor,
                    # Hive folders (month=/batch=) must not become extra columns: load by position.
                    f"INSERT INTO {table} SELECT * "  # noqa: S608 - checked identifier
                    "FROM read_parquet($source, hive_partitioning = false)",
                    {"source": source},
                ).fetchone()
                rows = int(inserted[0]) if inserted else 0
                self._run(
                    cursor,
                    _LEDGER_INSERT,
                    {
                        "table_name": table,
                        "batch_id": batch_id,
                        "source": source,
                        "row_count": rows,
                        "mode": mode,
                    },
                )
                total += rows
        return total

    def check(self) -> HealthStatus:
        def probe() -> str:
            self.query("SELECT 1 AS ok")
            return f"DuckDB {duckdb.__version__} at {self.path}"

        return timed_check("warehouse", self.backend, probe)

    def close(self) -> None:
        with self._cursors_lock:
            if self._closed:
                return
            self._closed = True
            for cursor in list(self._cursors):
                cursor.close()
            self._connection.close()


__all__ = ["DuckDbWarehouse"]
