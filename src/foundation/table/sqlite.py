# SQL text only ever interpolates identifiers validated by TableSpec; values are bound.
# ruff: noqa: S608
"""Table adapter on one SQLite file (WAL), the local default.

Each table is a SQLite table keyed by (partition, sort) holding the item as
JSON, with one pair of columns (and a partial SQL index) per GSI and a TTL
column. Several tables may share one file. Every thread gets its own
connection; processes coordinate through SQLite's locks (WAL, busy timeout),
and conditional writes run inside ``BEGIN IMMEDIATE`` so they are atomic.
Expired rows are filtered out of every read and purged now and then.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from foundation.health import HealthStatus, timed_check
from foundation.table.base import IndexSpec, Item, Page, Table, TableSpec
from foundation.table.conditions import (
    Condition,
    SortKeyCondition,
    SortOperator,
    condition_holds,
)
from foundation.table.encoding import (
    MAX_ITEM_BYTES,
    decode_cursor,
    encode_cursor,
    largest_attribute,
    number_from_text,
)
from foundation.table.exceptions import (
    ConditionFailedError,
    InvalidItemError,
    InvalidQueryError,
    TableUnavailableError,
)

_PURGE_INTERVAL_SECONDS = 60.0
_NO_SORT = ""  # stored sort value for tables without a sort key (real keys are non-empty)


def _quote(identifier: str) -> str:
    # Table and index names are validated by TableSpec ([A-Za-z0-9_.-]), so quoting is enough.
    return f'"{identifier}"'


def _index_columns(index: IndexSpec) -> tuple[str, str]:
    return _quote(f"{index.name}:pk"), _quote(f"{index.name}:sk")


def _prefix_upper_bound(prefix: str) -> str | None:
    """The least string greater than every string starting with ``prefix`` (code point order)."""
    chars = list(prefix)
    while chars:
        code = ord(chars.pop()) + 1
        if 0xD800 <= code <= 0xDFFF:  # surrogates cannot be stored; skip to the next scalar
            code = 0xE000
        if code <= 0x10FFFF:
            return "".join(chars) + chr(code)
    return None


class SqliteTable(Table):
    """A :class:`Table` stored in the SQLite file at ``path``."""

    backend = "sqlite"

    def __init__(self, path: Path, spec: TableSpec, *, busy_timeout_seconds: float = 30.0) -> None:
        self.path = Path(path)
        self.spec = spec
        self._busy_timeout = busy_timeout_seconds
        self._table = _quote(spec.name)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._next_purge = 0.0
        index_columns = [column for index in spec.indexes for column in _index_columns(index)]
        self._columns = ["pk", "sk", "item", "ttl", *index_columns]
        self._upsert = (
            f"INSERT OR REPLACE INTO {self._table} ({', '.join(self._columns)}) "
            f"VALUES ({', '.join('?' * len(self._columns))})"
        )

    # -- connections and errors ---------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        # Keyed by PID too: a connection inherited through fork must never be used.
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid == os.getpid():
            return connection
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(
            self.path,
            timeout=self._busy_timeout,
            isolation_level=None,  # autocommit; transactions are explicit BEGIN IMMEDIATE
            check_same_thread=False,  # only so close() can close it from another thread
        )
        with self._errors():
            connection.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable across application crashes in WAL mode; only power loss can
        # drop the last commits, which is the usual trade for an embedded store.
        connection.execute("PRAGMA synchronous=NORMAL")
        self._local.connection = connection
        self._local.pid = os.getpid()
        with self._connections_lock:
            self._connections.append(connection)
        return connection

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            message = str(exc)
            if "no such table" in message:
                raise TableUnavailableError(
                    self.spec.name, f"no table in {self.path}; call create_if_missing()", None
                ) from exc
            if "locked" in message or "busy" in message:
                raise TableUnavailableError(self.spec.name, message) from exc
            raise

    @contextmanager
    def _write_transaction(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        with self._errors():
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def close(self) -> None:
        with self._connections_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()

    # -- rows ---------------------------------------------------------------------------

    def _row(self, item: Item) -> tuple[tuple[str, str | None], tuple[Any, ...]]:
        """The item's key and its row; raises InvalidItemError for an item DynamoDB would refuse."""
        partition, sort = self.spec.validate(item)
        try:
            body = json.dumps(item, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            size = len(body.encode())  # also refuses lone surrogates, as DynamoDB does
        except (TypeError, ValueError) as exc:
            raise InvalidItemError(self._unencodable_attribute(item), str(exc)) from exc
        if size > MAX_ITEM_BYTES:
            raise InvalidItemError(largest_attribute(item), "item is larger than 400 KB")
        ttl = None
        if self.spec.ttl_attribute is not None:
            ttl = item.get(self.spec.ttl_attribute)
        index_values: list[str | None] = []
        for index in self.spec.indexes:
            index_partition = item.get(index.partition_key)
            index_sort = None if index.sort_key is None else item.get(index.sort_key)
            if index_partition is None or (index.sort_key is not None and index_sort is None):
                index_partition = index_sort = None  # sparse: not in this index
            index_values += [index_partition, index_sort]
        row = (partition, _NO_SORT if sort is None else sort, body, ttl, *index_values)
        return (partition, sort), row

    @staticmethod
    def _unencodable_attribute(item: Item) -> str:
        for name, value in item.items():
            try:
                json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
            except (TypeError, ValueError):
                return name
        return ""

    @staticmethod
    def _item(body: str) -> Item:
        item: Item = json.loads(body, parse_float=number_from_text)
        return item

    def _live_item(
        self, connection: sqlite3.Connection, key: tuple[str, str | None]
    ) -> Item | None:
        row = connection.execute(
            f"SELECT item FROM {self._table} WHERE pk = ? AND sk = ? AND (ttl IS NULL OR ttl > ?)",
            (key[0], _NO_SORT if key[1] is None else key[1], time.time()),
        ).fetchone()
        return None if row is None else self._item(row[0])

    def _check_condition(
        self, connection: sqlite3.Connection, key: tuple[str, str | None], condition: Condition
    ) -> Item | None:
        current = self._live_item(connection, key)
        if not condition_holds(condition, current):
            raise ConditionFailedError(self.spec.name, key[0], key[1], condition)
        return current

    def _purge_expired_now_and_then(self) -> None:
        now = time.monotonic()
        if self.spec.ttl_attribute is None or now < self._next_purge:
            return
        self._next_purge = now + _PURGE_INTERVAL_SECONDS
        with self._errors():
            self._connection().execute(
                f"DELETE FROM {self._table} WHERE ttl IS NOT NULL AND ttl <= ?", (time.time(),)
            )

    # -- the port -----------------------------------------------------------------------

    def create_if_missing(self) -> None:
        index_columns = "".join(
            f", {column} TEXT" for index in self.spec.indexes for column in _index_columns(index)
        )
        with self._write_transaction() as connection:
            connection.execute(
                f"CREATE TABLE IF NOT EXISTS {self._table} (pk TEXT NOT NULL, sk TEXT NOT NULL, "
                f"item TEXT NOT NULL, ttl REAL{index_columns}, PRIMARY KEY (pk, sk)) WITHOUT ROWID"
            )
            self._add_missing_index_columns(connection)
            connection.execute(
                f"CREATE INDEX IF NOT EXISTS {_quote(self.spec.name + ':ttl')} "
                f"ON {self._table} (ttl) WHERE ttl IS NOT NULL"
            )
            for index in self.spec.indexes:
                index_partition, index_sort = _index_columns(index)
                connection.execute(
                    f"CREATE INDEX IF NOT EXISTS {_quote(self.spec.name + ':' + index.name)} "
                    f"ON {self._table} ({index_partition}, {index_sort}, pk, sk) "
                    f"WHERE {index_partition} IS NOT NULL"
                )
        self._purge_expired_now_and_then()

    def _add_missing_index_columns(self, connection: sqlite3.Connection) -> None:
        """Backfill the columns of an index added to the spec after the table was created."""
        existing = {row[1] for row in connection.execute(f"PRAGMA table_info({self._table})")}
        for index in self.spec.indexes:
            index_partition, index_sort = _index_columns(index)
            if index_partition.strip('"') in existing:
                continue
            connection.execute(f"ALTER TABLE {self._table} ADD COLUMN {index_partition} TEXT")
            connection.execute(f"ALTER TABLE {self._table} ADD COLUMN {index_sort} TEXT")
            attributes = [index.partition_key] + ([index.sort_key] if index.sort_key else [])
            present = " AND ".join("json_type(item, ?) = 'text'" for _ in attributes)
            paths = [f'$."{name}"' for name in attributes]
            sort_path = paths[1] if index.sort_key else None
            connection.execute(
                f"UPDATE {self._table} SET {index_partition} = json_extract(item, ?), "
                f"{index_sort} = json_extract(item, ?) WHERE {present}",
                (paths[0], sort_path, *paths),
            )

    def put(self, item: Item, *, condition: Condition | None = None) -> None:
        key, row = self._row(item)
        if condition is None:
            with self._errors():
                self._connection().execute(self._upsert, row)
        else:
            with self._write_transaction() as connection:
                self._check_condition(connection, key, condition)
                connection.execute(self._upsert, row)
        self._purge_expired_now_and_then()

    def get(self, partition: str, sort: str | None = None) -> Item | None:
        key = self.spec.key(partition, sort)
        with self._errors():
            return self._live_item(self._connection(), key)

    def delete(
        self, partition: str, sort: str | None = None, *, condition: Condition | None = None
    ) -> None:
        key = self.spec.key(partition, sort)
        statement = f"DELETE FROM {self._table} WHERE pk = ? AND sk = ?"
        parameters = (key[0], _NO_SORT if key[1] is None else key[1])
        if condition is None:
            with self._errors():
                self._connection().execute(statement, parameters)
            return
        with self._write_transaction() as connection:
            self._check_condition(connection, key, condition)
            connection.execute(statement, parameters)

    def query(
        self,
        partition: str,
        *,
        sort: SortKeyCondition | None = None,
        index: str | None = None,
        limit: int | None = None,
        ascending: bool = True,
        cursor: str | None = None,
    ) -> Page:
        target = self.spec.query_target(partition, index, sort, limit)
        if index is None:
            partition_column, sort_column = "pk", "sk"
            order_columns = ["sk"]
        else:
            partition_column, sort_column = _index_columns(target)
            order_columns = ([sort_column] if target.sort_key else []) + ["pk", "sk"]
        where = [f"{partition_column} = ?", "(ttl IS NULL OR ttl > ?)"]
        parameters: list[Any] = [partition, time.time()]
        if sort is not None:
            clause, values = self._sort_clause(sort_column, sort)
            where.append(clause)
            parameters += values
        if cursor is not None:
            position = decode_cursor(cursor)
            if not isinstance(position, list) or len(position) != len(order_columns):
                raise InvalidQueryError("cursor", "not a cursor of this query", cursor)
            where.append(
                f"({', '.join(order_columns)}) {'>' if ascending else '<'} "
                f"({', '.join('?' * len(order_columns))})"
            )
            parameters += position
        direction = "ASC" if ascending else "DESC"
        statement = (
            f"SELECT item, {', '.join(order_columns)} FROM {self._table} "
            f"WHERE {' AND '.join(where)} "
            f"ORDER BY {', '.join(f'{column} {direction}' for column in order_columns)}"
        )
        if limit is not None:
            statement += " LIMIT ?"
            parameters.append(limit + 1)  # one more tells whether another page exists
        with self._errors():
            rows = self._connection().execute(statement, parameters).fetchall()
        next_cursor = None
        if limit is not None and len(rows) > limit:
            rows = rows[:limit]
            next_cursor = encode_cursor(list(rows[-1][1:]))
        return Page([self._item(row[0]) for row in rows], next_cursor)

    @staticmethod
    def _sort_clause(column: str, sort: SortKeyCondition) -> tuple[str, Sequence[str]]:
        if sort.operator is SortOperator.BETWEEN:
            return f"{column} BETWEEN ? AND ?", (sort.value, sort.high or sort.value)
        if sort.operator is SortOperator.BEGINS_WITH:
            upper = _prefix_upper_bound(sort.value)
            if upper is None:
                return f"{column} >= ?", (sort.value,)
            return f"{column} >= ? AND {column} < ?", (sort.value, upper)
        return f"{column} {sort.operator.value} ?", (sort.value,)

    def batch_put(self, items: Iterable[Item]) -> None:
        rows = [self._row(item)[1] for item in items]
        if not rows:
            return
        with self._write_transaction() as connection:
            connection.executemany(self._upsert, rows)
        self._purge_expired_now_and_then()

    def increment(self, partition: str, sort: str | None, attribute: str, amount: int = 1) -> int:
        key = self.spec.key(partition, sort)
        self.spec.check_counter(attribute, amount)
        with self._write_transaction() as connection:
            item = self._live_item(connection, key)
            if item is None:
                item = {self.spec.partition_key: key[0]}
                if self.spec.sort_key is not None:
                    item[self.spec.sort_key] = key[1]
            current = item.get(attribute, 0)
            if isinstance(current, bool) or not isinstance(current, int):
                raise InvalidItemError(attribute, "counter is not an integer", current)
            item[attribute] = current + amount
            connection.execute(self._upsert, self._row(item)[1])
        return int(item[attribute])

    def check(self) -> HealthStatus:
        def probe() -> str:
            with self._errors():
                self._connection().execute(f"SELECT 1 FROM {self._table} LIMIT 1").fetchall()
            return f"{self.path} table {self.spec.name!r}"

        return timed_check(self.spec.name, self.backend, probe)


__all__ = ["SqliteTable"]
