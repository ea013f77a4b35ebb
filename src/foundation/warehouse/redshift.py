"""AWS warehouse adapter: Redshift Serverless through the Redshift Data API.

Statements are submitted, polled with ``describe_statement`` until they end,
and their rows fetched page by page with ``get_statement_result`` and turned
into an Arrow table typed from the column metadata.

Parquet loads run ``COPY ... FORMAT AS PARQUET``. Nested Parquet columns (lists,
structs, maps) load into SUPER columns only with ``SERIALIZETOJSON``, so before
copying the adapter asks the catalog whether the target table has a SUPER
column and adds the option when it does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import date, datetime, time
from decimal import Decimal
from time import monotonic, sleep
from typing import Any

import pyarrow as pa
from sqlglot import exp

from foundation.errors import ConfigurationError
from foundation.health import HealthStatus, timed_check
from foundation.warehouse.base import LEDGER_TABLE, LoadMode, LoadResult, Warehouse
from foundation.warehouse.dialect import (
    WRITE_DIALECT,
    check_parameters,
    single_statement,
    split_statements,
    to_redshift,
)
from foundation.warehouse.exceptions import (
    InvalidArgumentError,
    QueryFailedError,
    WarehouseTimeoutError,
    WarehouseUnavailableError,
)

#: The Data API runs at most this many statements in one batch (one transaction).
MAX_BATCH_STATEMENTS = 40
_MAX_POLL_INTERVAL = 2.0
_FAILED = frozenset({"FAILED", "ABORTED"})
# One row when the table has a SUPER column, which COPY fills only with SERIALIZETOJSON.
_SUPER_COLUMN = (
    "SELECT 1 AS found FROM information_schema.columns "
    "WHERE table_catalog = current_database() "
    "AND lower(table_schema) = lower($schema) AND lower(table_name) = lower($table) "
    "AND data_type = 'super' LIMIT 1"
)

# Column types whose values arrive as typed JSON fields (longValue, doubleValue, ...).
_TYPED_FIELDS: dict[str, pa.DataType] = {
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "float4": pa.float32(),
    "float8": pa.float64(),
    "bool": pa.bool_(),
    "varbyte": pa.binary(),
}
# Column types whose values arrive as text that Arrow parses in one vectorised cast.
_CAST_FROM_TEXT: dict[str, pa.DataType] = {
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
}


def _literal(value: str) -> str:
    """A Redshift string literal, quotes and backslashes escaped."""
    return str(exp.Literal.string(value).sql(dialect=WRITE_DIALECT))


def _parameter_value(value: Any) -> str:
    """The text form the Data API binds; Redshift casts it to the column's type."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def _column_array(column: Mapping[str, Any], values: list[Any]) -> pa.Array:
    type_name = str(column.get("typeName", "")).lower()
    if type_name in _TYPED_FIELDS:
        return pa.array(values, _TYPED_FIELDS[type_name])
    if type_name == "time":
        parsed = [None if v is None else time.fromisoformat(v) for v in values]
        return pa.array(parsed, pa.time64("us"))
    text = pa.array([None if v is None else str(v) for v in values], pa.string())
    if type_name in _CAST_FROM_TEXT:
        return text.cast(_CAST_FROM_TEXT[type_name])
    if type_name == "numeric":
        precision, scale = int(column.get("precision", 0)), int(column.get("scale", 0))
        return text.cast(pa.decimal128(precision, scale) if 0 < precision <= 38 else pa.float64())
    return text  # varchar, char, super (JSON text), geometry, ... stay text


def records_to_table(
    columns: Sequence[Mapping[str, Any]], records: Sequence[Sequence[Mapping[str, Any]]]
) -> pa.Table:
    """An Arrow table from Data API ``ColumnMetadata`` and ``Records`` (typed fields)."""
    values: list[list[Any]] = [[] for _ in columns]
    for record in records:
        for index, field in enumerate(record):
            # A field is {"isNull": true} or holds its value under its type's key.
            value = (
                None
                if field.get("isNull")
                else next(v for key, v in field.items() if key != "isNull")
            )
            values[index].append(value)
    arrays = [_column_array(column, values[i]) for i, column in enumerate(columns)]
    return pa.Table.from_arrays(arrays, names=[str(column["name"]) for column in columns])


class RedshiftWarehouse(Warehouse):
    """Warehouse on a Redshift Serverless workgroup, reached through the Data API.

    SQL is translated from DuckDB's dialect by :func:`to_redshift`. Scripts and
    loads run as one ``batch_execute_statement``, which is one transaction.
    """

    backend = "redshift"
    default_schema = "public"

    def __init__(
        self,
        *,
        workgroup: str,
        database: str,
        copy_role_arn: str | None = None,
        client: Any = None,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
        poll_interval: float = 0.2,
        timeout: float = 300.0,
    ) -> None:
        super().__init__()
        # boto3 is an optional extra: imported only when this adapter is built.
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        if poll_interval <= 0 or timeout <= 0:
            raise InvalidArgumentError(
                "poll_interval and timeout must be positive", names=("poll_interval", "timeout")
            )
        if client is None:
            import boto3  # noqa: PLC0415

            client = boto3.client("redshift-data", region_name=region, endpoint_url=endpoint_url)
        self._client = client
        self._boto_errors: tuple[type[Exception], ...] = (ClientError, BotoCoreError)
        self.workgroup = workgroup
        self.database = database
        self.copy_role_arn = copy_role_arn
        self.poll_interval = poll_interval
        self.timeout = timeout

    # -- Data API calls ---------------------------------------------------------------

    def _call(self, operation: str, sql: str | None = None, **request: Any) -> dict[str, Any]:
        try:
            response: dict[str, Any] = getattr(self._client, operation)(**request)
        except self._boto_errors as exc:
            error = getattr(exc, "response", {}).get("Error", {})
            code, message = error.get("Code", type(exc).__name__), error.get("Message", str(exc))
            if code == "ValidationException":
                raise QueryFailedError(f"{code}: {message}", sql=sql) from exc
            raise WarehouseUnavailableError(
                f"Redshift Data API {operation} failed: {code}: {message}"
            ) from exc
        return response

    def _submit(self, operation: str, sql: str, **request: Any) -> dict[str, Any]:
        """Start a statement (or batch) and wait for it; returns its final description."""
        started = self._call(
            operation, sql, WorkgroupName=self.workgroup, Database=self.database, **request
        )
        return self._wait(started["Id"], sql)

    def _wait(self, statement_id: str, sql: str) -> dict[str, Any]:
        deadline = monotonic() + self.timeout
        interval = self.poll_interval
        while True:
            described = self._call("describe_statement", sql, Id=statement_id)
            status = described["Status"]
            if status == "FINISHED":
                return described
            if status in _FAILED:
                raise self._failure(described, sql)
            remaining = deadline - monotonic()
            if remaining <= 0:
                self._cancel(statement_id)
                raise WarehouseTimeoutError(
                    f"Redshift statement {statement_id} did not finish within "
                    f"{self.timeout:g} s and was cancelled",
                    statement_id=statement_id,
                )
            sleep(min(interval, remaining))
            interval = min(interval * 1.5, max(self.poll_interval, _MAX_POLL_INTERVAL))

    @staticmethod
    def _failure(described: Mapping[str, Any], sql: str) -> QueryFailedError:
        failed = [s for s in described.get("SubStatements", []) if s.get("Status") in _FAILED]
        if failed:
            sql = str(failed[0].get("QueryString", sql))
        message = described.get("Error") or f"statement {described['Status'].lower()}"
        return QueryFailedError(str(message), sql=sql)

    def _cancel(self, statement_id: str) -> None:
        # It may have ended meanwhile; the time-out is reported either way.
        with suppress(*self._boto_errors):
            self._client.cancel_statement(Id=statement_id)

    def _fetch(self, statement_id: str) -> pa.Table:
        columns: list[dict[str, Any]] = []
        records: list[list[dict[str, Any]]] = []
        request: dict[str, Any] = {"Id": statement_id}
        while True:
            page = self._call("get_statement_result", **request)
            columns = columns or page.get("ColumnMetadata", [])
            records.extend(page.get("Records", []))
            if not page.get("NextToken"):
                return records_to_table(columns, records)
            request["NextToken"] = page["NextToken"]

    def _batch(self, statements: Sequence[str]) -> dict[str, Any]:
        if len(statements) > MAX_BATCH_STATEMENTS:
            raise InvalidArgumentError(
                f"{len(statements)} statements in one transaction; the Redshift Data API "
                f"runs at most {MAX_BATCH_STATEMENTS}",
                names=("sql",),
            )
        return self._submit("batch_execute_statement", "; ".join(statements), Sqls=statements)

    # -- the port -----------------------------------------------------------------------

    def _statement(self, sql: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        bound = check_parameters(sql, params)
        # The Data API cannot bind NULL or an empty string: those go into the SQL as literals.
        inline = {name: value for name, value in bound.items() if value is None or value == ""}
        translated = to_redshift(single_statement(sql), inline=inline)
        request: dict[str, Any] = {"Sql": translated}
        parameters = [
            {"name": name, "value": _parameter_value(value)}
            for name, value in sorted(bound.items())
            if name not in inline
        ]
        if parameters:
            request["Parameters"] = parameters
        return self._submit("execute_statement", translated, **request)

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self._statement(sql, params)

    def execute_script(self, sql: str) -> None:
        check_parameters(sql, None)
        statements = [to_redshift(statement) for statement in split_statements(sql)]
        if statements:
            self._batch(statements)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        described = self._statement(sql, params)
        if not described.get("HasResultSet"):
            return pa.table({})
        return self._fetch(described["Id"])

    def load_parquet(
        self,
        table: str,
        sources: Sequence[str],
        *,
        batch_id: str,
        mode: LoadMode = "append",
    ) -> LoadResult:
        if not self.copy_role_arn:
            raise ConfigurationError(
                "copy_role_arn (SKYLINE_REDSHIFT_COPY_ROLE_ARN) must name the IAM role "
                "Redshift assumes to COPY from S3"
            )
        return super().load_parquet(table, sources, batch_id=batch_id, mode=mode)

    def _check_source(self, source: str) -> None:
        if not isinstance(source, str) or not source.startswith("s3://") or len(source) < 6:
            raise InvalidArgumentError(
                f"sources: {source!r} must be an s3:// object key or prefix", names=("sources",)
            )
        if any(char in source for char in "*?["):
            raise InvalidArgumentError(
                f"sources: {source!r} is a glob; COPY loads every object under a prefix instead",
                names=("sources",),
            )

    def _has_super_column(self, table: str) -> bool:
        """Whether ``table`` (``table`` or ``schema.table``) has a column of type SUPER."""
        schema, _, name = table.rpartition(".")
        found = self.query(_SUPER_COLUMN, {"schema": schema or self.default_schema, "table": name})
        return bool(found.num_rows > 0)

    def _load(self, table: str, sources: Sequence[str], batch_id: str, mode: LoadMode) -> int:
        role = _literal(str(self.copy_role_arn))
        parquet = "PARQUET SERIALIZETOJSON" if self._has_super_column(table) else "PARQUET"
        # DELETE, not TRUNCATE: TRUNCATE commits at once in Redshift, breaking the transaction.
        statements = [f"DELETE FROM {table}"] if mode == "replace" else []  # noqa: S608
        copy_positions = []
        for source in sources:
            copy_positions.append(len(statements))
            statements.append(
                f"COPY {table} FROM {_literal(source)} IAM_ROLE {role} FORMAT AS {parquet}"
            )
            statements.append(
                f"INSERT INTO {LEDGER_TABLE} "
                "(table_name, batch_id, source_uri, row_count, load_mode, loaded_at) "
                f"SELECT {_literal(table)}, {_literal(batch_id)}, {_literal(source)}, "
                f"pg_last_copy_count(), {_literal(mode)}, GETDATE()"
            )
        described = self._batch(statements)
        results = described.get("SubStatements", [])
        # ResultRows of a COPY is the number of rows it loaded; -1 means unknown.
        return sum(max(int(results[i].get("ResultRows", 0)), 0) for i in copy_positions)

    def check(self) -> HealthStatus:
        def probe() -> str:
            # Lists databases through the workgroup: proves credentials, workgroup and
            # database without running (and paying for) a query.
            self._call(
                "list_databases",
                WorkgroupName=self.workgroup,
                Database=self.database,
                MaxResults=1,
            )
            return f"workgroup {self.workgroup}, database {self.database}"

        return timed_check("warehouse", self.backend, probe)


__all__ = ["MAX_BATCH_STATEMENTS", "RedshiftWarehouse", "records_to_table"]
