"""Contract of the warehouse port.

Three groups:

* argument checks every adapter makes before touching its engine, parametrized
  over both adapters (the Redshift one holds a Stubber with no responses, so
  any call it made would fail the test);
* engine behaviour, parametrized over the DuckDB adapter in memory and in a file;
* the Redshift adapter against recorded Data API responses
  (``tests/fixtures/redshift_data``) on a real boto3 client through
  ``botocore.stub.Stubber``, which also asserts the SQL and parameters sent.
  moto's redshift-data has no SQL engine; one test pins down what it offers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.stub import Stubber

from foundation.errors import BadRequestError, ConfigurationError, DependencyUnavailableError
from foundation.warehouse import (
    LEDGER_TABLE,
    DuckDbWarehouse,
    InvalidArgumentError,
    LoadError,
    LoadResult,
    QueryFailedError,
    RedshiftWarehouse,
    Warehouse,
    WarehouseError,
    WarehouseTimeoutError,
    WarehouseUnavailableError,
)
from foundation.warehouse import redshift as redshift_module

RECORDED = Path(__file__).parents[1] / "fixtures" / "redshift_data"
WORKGROUP = "skyline-wg"
DATABASE = "analytics"
COPY_ROLE = "arn:aws:iam::123456789012:role/skyline-redshift-copy"
TARGET = {"WorkgroupName": WORKGROUP, "Database": DATABASE}

# The Arrow types both adapters give for the same columns (DuckDB's DDL; Redshift's metadata).
ORDERS_DDL = (
    "CREATE TABLE orders (id INTEGER NOT NULL, user_count BIGINT, ratio DOUBLE, "
    "amount DECIMAL(12, 2), name VARCHAR, active BOOLEAN, created_at TIMESTAMP, day DATE)"
)
ORDERS_TYPES = {
    "id": pa.int32(),
    "user_count": pa.int64(),
    "ratio": pa.float64(),
    "amount": pa.decimal128(12, 2),
    "name": pa.string(),
    "active": pa.bool_(),
    "created_at": pa.timestamp("us"),
    "day": pa.date32(),
}


def recorded(name: str) -> dict[str, Any]:
    scenario: dict[str, Any] = json.loads((RECORDED / f"{name}.json").read_text(encoding="utf-8"))
    return scenario


def schema_types(table: pa.Table) -> dict[str, pa.DataType]:
    return {field.name: field.type for field in table.schema}


# --------------------------------------------------------------------------------------
# Argument checks: the same assertions for every adapter
# --------------------------------------------------------------------------------------


@pytest.fixture(params=["duckdb", "redshift"])
def any_warehouse(request: pytest.FixtureRequest, aws_env: None) -> Iterator[Warehouse]:
    if request.param == "duckdb":
        with DuckDbWarehouse() as warehouse:
            yield warehouse
        return
    client = boto3.client("redshift-data", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield RedshiftWarehouse(
            workgroup=WORKGROUP, database=DATABASE, copy_role_arn=COPY_ROLE, client=client
        )
        stubber.assert_no_pending_responses()


def test_missing_parameter_is_named(any_warehouse: Warehouse) -> None:
    with pytest.raises(InvalidArgumentError, match=r"no value for \$since") as caught:
        any_warehouse.query("SELECT 1 AS one WHERE $since < $until", {"until": 3})
    assert caught.value.names == ("since",)
    assert isinstance(caught.value, BadRequestError)


def test_parameter_absent_from_sql_is_named(any_warehouse: Warehouse) -> None:
    with pytest.raises(InvalidArgumentError, match="not used in the SQL: extra") as caught:
        any_warehouse.execute("SELECT $a AS a", {"a": 1, "extra": 2})
    assert caught.value.names == ("extra",)


def test_dollar_inside_string_or_comment_is_not_a_parameter(any_warehouse: Warehouse) -> None:
    with pytest.raises(InvalidArgumentError, match="not used in the SQL: price"):
        any_warehouse.query("SELECT '$price' AS label -- $price\n", {"price": 1})


def test_positional_placeholders_are_refused(any_warehouse: Warehouse) -> None:
    with pytest.raises(InvalidArgumentError, match=r"positional placeholder '\?'"):
        any_warehouse.query("SELECT ? AS a")
    with pytest.raises(InvalidArgumentError, match=r"\$1"):
        any_warehouse.query("SELECT $1 AS a")


def test_parameter_of_unsupported_type_is_named(any_warehouse: Warehouse) -> None:
    with pytest.raises(InvalidArgumentError, match="'ids' has unsupported type list"):
        any_warehouse.query("SELECT 1 AS a WHERE 1 = ANY($ids)", {"ids": [1, 2]})


def test_query_refuses_several_statements(any_warehouse: Warehouse) -> None:
    with pytest.raises(QueryFailedError, match="expected one SQL statement, got 2"):
        any_warehouse.query("SELECT 1; SELECT 2")


def test_scripts_take_no_parameters(any_warehouse: Warehouse) -> None:
    with pytest.raises(InvalidArgumentError, match=r"no value for \$a"):
        any_warehouse.execute_script("SELECT $a; SELECT 2")


@pytest.mark.parametrize("name", ["orders; DROP TABLE x", "1orders", "a.b.c", "", "or ders"])
def test_table_names_must_be_plain(any_warehouse: Warehouse, name: str) -> None:
    with pytest.raises(InvalidArgumentError, match="table") as caught:
        any_warehouse.load_parquet(name, ["s3://bucket/x.parquet"], batch_id="b1")
    assert caught.value.names == ("table",)
    with pytest.raises(InvalidArgumentError):
        any_warehouse.table_exists(name)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"sources": [], "batch_id": "b1"}, "sources"),
        ({"sources": "s3://bucket/x.parquet", "batch_id": "b1"}, "sources"),
        ({"sources": ["s3://b/x.parquet", "s3://b/x.parquet"], "batch_id": "b1"}, "sources"),
        ({"sources": ["s3://bucket/x.parquet"], "batch_id": ""}, "batch_id"),
        ({"sources": ["s3://bucket/x.parquet"], "batch_id": "x" * 257}, "batch_id"),
        ({"sources": ["s3://bucket/x.parquet"], "batch_id": "b1", "mode": "merge"}, "mode"),
    ],
)
def test_load_arguments_are_checked_before_any_work(
    any_warehouse: Warehouse, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=field) as caught:
        any_warehouse.load_parquet("orders", **arguments)
    assert caught.value.names == (field,)


# --------------------------------------------------------------------------------------
# Engine behaviour (DuckDB, in memory and in a file)
# --------------------------------------------------------------------------------------


@pytest.fixture(params=["memory", "file"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DuckDbWarehouse]:
    path = ":memory:" if request.param == "memory" else tmp_path / "nested" / "wh.duckdb"
    with DuckDbWarehouse(path, threads=2) as opened:
        yield opened


@pytest.fixture
def orders(warehouse: DuckDbWarehouse) -> DuckDbWarehouse:
    warehouse.execute("CREATE TABLE orders (id INTEGER, name VARCHAR, amount DECIMAL(12, 2))")
    return warehouse


def write_orders(path: Path, ids: list[int]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "id": pa.array(ids, pa.int32()),
            "name": [f"order-{i}" for i in ids],
            "amount": pa.array([Decimal(i) / 4 for i in ids], pa.decimal128(12, 2)),
        }
    )
    pq.write_table(table, path)
    return str(path)


def order_ids(warehouse: Warehouse) -> list[int]:
    ids: list[int] = warehouse.query("SELECT id FROM orders ORDER BY id").column("id").to_pylist()
    return ids


def test_insert_and_query_with_named_parameters(orders: DuckDbWarehouse) -> None:
    orders.execute(
        "INSERT INTO orders VALUES ($id, $name, $amount)",
        {"id": 7, "name": "it's; -- not a comment", "amount": Decimal("12.50")},
    )
    orders.execute("INSERT INTO orders VALUES (8, 'other', 1)")

    found = orders.query("SELECT name, amount FROM orders WHERE id = $id", {"id": 7})

    assert found.to_pylist() == [{"name": "it's; -- not a comment", "amount": Decimal("12.50")}]


def test_query_preserves_column_types_and_nulls_in_arrow(warehouse: DuckDbWarehouse) -> None:
    warehouse.execute(ORDERS_DDL)
    warehouse.execute(
        "INSERT INTO orders VALUES (1, 9000000000, 0.25, 12.50, 'Zoë', true, "
        "TIMESTAMP '2024-05-01 10:15:00', DATE '2024-05-01'), "
        "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
    )

    result = warehouse.query("SELECT * FROM orders ORDER BY id")

    assert schema_types(result) == ORDERS_TYPES
    assert result.to_pylist() == [
        {
            "id": 1,
            "user_count": 9_000_000_000,
            "ratio": 0.25,
            "amount": Decimal("12.50"),
            "name": "Zoë",
            "active": True,
            "created_at": datetime(2024, 5, 1, 10, 15),
            "day": date(2024, 5, 1),
        },
        {"id": 2} | dict.fromkeys(list(ORDERS_TYPES)[1:]),
    ]


def test_every_supported_parameter_type_round_trips(warehouse: DuckDbWarehouse) -> None:
    values = {
        "text": "text with 'quotes'",
        "empty": "",
        "flag": True,
        "whole": 42,
        "real": 2.5,
        "exact": Decimal("1234.5678"),
        "day": date(2024, 2, 29),
        "moment": datetime(2024, 2, 29, 23, 59, 59, 123456),
        "clock": time(8, 30),
        "nothing": None,
    }
    sql = "SELECT " + ", ".join(f"${name} AS {name}" for name in values)
    assert warehouse.query(sql, values).to_pylist() == [values]


def test_keyword_named_parameters_bind(orders: DuckDbWarehouse) -> None:
    orders.execute_script("INSERT INTO orders VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)")
    found = orders.query(
        "SELECT id FROM orders WHERE id BETWEEN $start AND $end ORDER BY id", {"start": 2, "end": 3}
    )
    assert found.column("id").to_pylist() == [2, 3]


def test_query_of_statement_without_rows_returns_a_table(orders: DuckDbWarehouse) -> None:
    result = orders.query("SELECT * FROM orders WHERE id < 0")
    assert result.num_rows == 0
    assert result.column_names == ["id", "name", "amount"]


def test_execute_script_runs_every_statement(warehouse: DuckDbWarehouse) -> None:
    warehouse.execute_script(
        """
        -- a comment; with a semicolon
        CREATE TABLE orders (id INTEGER, name VARCHAR, amount DECIMAL(12, 2));
        INSERT INTO orders VALUES (1, 'semi;colon', 1.00);
        INSERT INTO orders VALUES (2, $$dollar ; quoted$$, 2.00);;
        UPDATE orders SET amount = amount * 10 WHERE id = 2;
        /* trailing comment; */
        """
    )
    assert warehouse.query("SELECT name, amount FROM orders ORDER BY id").to_pylist() == [
        {"name": "semi;colon", "amount": Decimal("1.00")},
        {"name": "dollar ; quoted", "amount": Decimal("20.00")},
    ]


def test_execute_script_is_all_or_nothing(orders: DuckDbWarehouse) -> None:
    with pytest.raises(QueryFailedError, match="no_such_table") as caught:
        orders.execute_script(
            "INSERT INTO orders VALUES (1, 'a', 1); CREATE TABLE audit (id INTEGER); "
            "INSERT INTO no_such_table VALUES (1)"
        )
    assert caught.value.sql == "INSERT INTO no_such_table VALUES (1)"
    assert order_ids(orders) == []
    assert not orders.table_exists("audit")


def test_bad_sql_raises_query_failed_with_engine_message(warehouse: DuckDbWarehouse) -> None:
    with pytest.raises(QueryFailedError, match='syntax error at or near "SELEC"') as caught:
        warehouse.query("SELEC 1")
    assert caught.value.sql == "SELEC 1"
    assert isinstance(caught.value, WarehouseError)
    with pytest.raises(QueryFailedError, match="missing_table"):
        warehouse.execute("DELETE FROM missing_table")


def test_load_parquet_appends_files_and_globs(orders: DuckDbWarehouse, tmp_path: Path) -> None:
    first = write_orders(tmp_path / "in" / "a.parquet", [1, 2])
    write_orders(tmp_path / "in" / "glob" / "b.parquet", [3])
    write_orders(tmp_path / "in" / "glob" / "c.parquet", [4, 5])

    result = orders.load_parquet(
        "orders", [first, str(tmp_path / "in" / "glob" / "*.parquet")], batch_id="2024-05-01"
    )

    assert result == LoadResult("orders", "2024-05-01", rows=5, skipped=False)
    assert order_ids(orders) == [1, 2, 3, 4, 5]
    assert orders.query("SELECT amount FROM orders WHERE id = 5").to_pylist() == [
        {"amount": Decimal("1.25")}
    ]


def test_reloading_a_batch_is_skipped_and_changes_nothing(
    orders: DuckDbWarehouse, tmp_path: Path
) -> None:
    source = write_orders(tmp_path / "a.parquet", [1, 2, 3])
    first = orders.load_parquet("orders", [source], batch_id="batch-1")

    again = orders.load_parquet("ORDERS", [source], batch_id="batch-1")
    replaced_again = orders.load_parquet("orders", [source], batch_id="batch-1", mode="replace")

    assert first == LoadResult("orders", "batch-1", rows=3, skipped=False)
    assert again == LoadResult("ORDERS", "batch-1", rows=3, skipped=True)
    assert replaced_again.skipped
    assert order_ids(orders) == [1, 2, 3]


def test_same_batch_id_loads_once_per_table(orders: DuckDbWarehouse, tmp_path: Path) -> None:
    source = write_orders(tmp_path / "a.parquet", [1])
    orders.execute("CREATE TABLE orders_copy AS SELECT * FROM orders")
    assert not orders.load_parquet("orders", [source], batch_id="b").skipped
    assert not orders.load_parquet("orders_copy", [source], batch_id="b").skipped


def test_replace_mode_swaps_the_table_contents(orders: DuckDbWarehouse, tmp_path: Path) -> None:
    orders.load_parquet("orders", [write_orders(tmp_path / "a.parquet", [1, 2])], batch_id="b1")

    result = orders.load_parquet(
        "orders", [write_orders(tmp_path / "b.parquet", [8, 9])], batch_id="b2", mode="replace"
    )

    assert result == LoadResult("orders", "b2", rows=2, skipped=False)
    assert order_ids(orders) == [8, 9]


def test_failed_load_keeps_nothing_and_can_be_retried(
    orders: DuckDbWarehouse, tmp_path: Path
) -> None:
    good = write_orders(tmp_path / "a.parquet", [1, 2])
    missing = str(tmp_path / "later.parquet")
    orders.execute("INSERT INTO orders VALUES (0, 'kept', 0)")

    with pytest.raises(LoadError, match=r"batch 'b1' into table 'orders'.*later\.parquet"):
        orders.load_parquet("orders", [good, missing], batch_id="b1", mode="replace")

    assert order_ids(orders) == [0]
    write_orders(Path(missing), [3])
    retried = orders.load_parquet("orders", [good, missing], batch_id="b1")
    assert retried == LoadResult("orders", "b1", rows=3, skipped=False)
    assert order_ids(orders) == [0, 1, 2, 3]


def test_load_into_missing_table_names_it(warehouse: DuckDbWarehouse, tmp_path: Path) -> None:
    source = write_orders(tmp_path / "a.parquet", [1])
    with pytest.raises(LoadError, match="missing_orders"):
        warehouse.load_parquet("missing_orders", [source], batch_id="b1")


def test_parquet_columns_map_by_position_like_copy(
    warehouse: DuckDbWarehouse, tmp_path: Path
) -> None:
    warehouse.execute("CREATE TABLE pairs (first_col VARCHAR, second_col VARCHAR)")
    path = tmp_path / "pairs.parquet"
    pq.write_table(pa.table({"second_col": ["b"], "first_col": ["a"]}), path)

    warehouse.load_parquet("pairs", [str(path)], batch_id="b1")

    assert warehouse.query("SELECT * FROM pairs").to_pylist() == [
        {"first_col": "b", "second_col": "a"}
    ]


def test_concurrent_loads_of_one_batch_load_it_once(
    orders: DuckDbWarehouse, tmp_path: Path
) -> None:
    source = write_orders(tmp_path / "a.parquet", list(range(100)))
    results: list[LoadResult] = []
    errors: list[BaseException] = []

    def load() -> None:
        try:
            results.append(orders.load_parquet("orders", [source], batch_id="shared"))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(result.skipped for result in results) == [False] + [True] * 5
    assert orders.query("SELECT count(*) AS n FROM orders").to_pylist() == [{"n": 100}]


def test_threads_share_one_warehouse(orders: DuckDbWarehouse) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(20):
                orders.execute(
                    "INSERT INTO orders VALUES ($id, $name, 1)",
                    {"id": worker * 100 + i, "name": f"w{worker}"},
                )
                mine = orders.query(
                    "SELECT count(*) AS n FROM orders WHERE name = $name", {"name": f"w{worker}"}
                )
                assert mine.to_pylist() == [{"n": i + 1}]
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert orders.query("SELECT count(*) AS n FROM orders").to_pylist() == [{"n": 160}]


def test_table_exists_and_list_tables(orders: DuckDbWarehouse, tmp_path: Path) -> None:
    orders.execute_script(
        "CREATE SCHEMA staging; CREATE TABLE staging.raw_orders (id INTEGER); "
        "CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 100"
    )
    orders.load_parquet("orders", [write_orders(tmp_path / "a.parquet", [1])], batch_id="b1")

    assert orders.list_tables() == ["big_orders", "orders", "staging.raw_orders"]
    assert orders.table_exists("orders")
    assert orders.table_exists("ORDERS")
    assert orders.table_exists("staging.raw_orders")
    assert not orders.table_exists("raw_orders")
    assert not orders.table_exists("missing")
    assert orders.table_exists(LEDGER_TABLE)


def test_check_probes_the_database(warehouse: DuckDbWarehouse) -> None:
    healthy = warehouse.check()
    assert (healthy.ok, healthy.backend) == (True, "duckdb")
    warehouse.close()
    closed = warehouse.check()
    assert not closed.ok
    assert "closed" in closed.detail


def test_file_warehouse_persists_and_opens_read_only(tmp_path: Path) -> None:
    path = tmp_path / "wh.duckdb"
    with DuckDbWarehouse(path) as writer:
        writer.execute_script("CREATE TABLE kept (id INTEGER); INSERT INTO kept VALUES (1)")

    with DuckDbWarehouse(path, read_only=True) as reader:
        assert reader.query("SELECT id FROM kept").to_pylist() == [{"id": 1}]
        with pytest.raises(QueryFailedError, match="read-only"):
            reader.execute("INSERT INTO kept VALUES (2)")


def test_opening_a_missing_read_only_file_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(WarehouseUnavailableError, match=r"absent\.duckdb"):
        DuckDbWarehouse(tmp_path / "absent.duckdb", read_only=True)


# --------------------------------------------------------------------------------------
# Redshift Data API, against recorded responses
# --------------------------------------------------------------------------------------


class FakeClock:
    """Stands in for time.monotonic/sleep in the adapter, so polling takes no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(redshift_module, "monotonic", fake.monotonic)
    monkeypatch.setattr(redshift_module, "sleep", fake.sleep)
    return fake


@pytest.fixture
def data_api(aws_env: None, clock: FakeClock) -> Iterator[tuple[RedshiftWarehouse, Stubber]]:
    client = boto3.client("redshift-data", region_name="us-east-1")
    with Stubber(client) as stubber:
        warehouse = RedshiftWarehouse(
            workgroup=WORKGROUP,
            database=DATABASE,
            copy_role_arn=COPY_ROLE,
            client=client,
            poll_interval=0.25,
            timeout=1.0,
        )
        yield warehouse, stubber
        stubber.assert_no_pending_responses()


def expect_statement(
    stubber: Stubber,
    scenario: dict[str, Any],
    sql: str,
    parameters: list[dict[str, str]] | None = None,
) -> str:
    expected: dict[str, Any] = {"Sql": sql, **TARGET}
    if parameters is not None:
        expected["Parameters"] = parameters
    stubber.add_response("execute_statement", scenario["execute_statement"], expected)
    return str(scenario["execute_statement"]["Id"])


def expect_describe(stubber: Stubber, described: dict[str, Any]) -> None:
    stubber.add_response("describe_statement", described, {"Id": described["Id"]})


def expect_ledger(stubber: Stubber, batch_id: str, result: str) -> None:
    load = recorded("load_parquet")
    statement_id = expect_statement(
        stubber,
        load["ledger_lookup"],
        "SELECT row_count FROM _skyline_loads "
        "WHERE table_name = :table_name AND batch_id = :batch_id",
        [{"name": "batch_id", "value": batch_id}, {"name": "table_name", "value": "orders"}],
    )
    expect_describe(stubber, load["ledger_lookup"]["describe_statement"])
    stubber.add_response("get_statement_result", load[result], {"Id": statement_id})


def expect_ledger_table(stubber: Stubber) -> None:
    load = recorded("load_parquet")
    expect_statement(
        stubber,
        load["ledger_ddl"],
        "CREATE TABLE IF NOT EXISTS _skyline_loads (table_name VARCHAR(MAX) NOT NULL, "
        "batch_id VARCHAR(MAX) NOT NULL, source_uri VARCHAR(MAX) NOT NULL, "
        "row_count BIGINT NOT NULL, load_mode VARCHAR(MAX) NOT NULL, "
        "loaded_at TIMESTAMP NOT NULL, PRIMARY KEY (table_name, batch_id, source_uri))",
    )
    expect_describe(stubber, load["ledger_ddl"]["describe_statement"])


def expect_super_column_lookup(stubber: Stubber, result: str) -> None:
    """The catalog lookup a load makes to learn whether ``orders`` has a SUPER column."""
    load = recorded("load_parquet")
    statement_id = expect_statement(
        stubber,
        load["ledger_lookup"],
        "SELECT 1 AS found FROM information_schema.columns "
        "WHERE table_catalog = CURRENT_DATABASE() AND LOWER(table_schema) = LOWER(:schema) "
        "AND LOWER(table_name) = LOWER(:table) AND data_type = 'super' LIMIT 1",
        [{"name": "schema", "value": "public"}, {"name": "table", "value": "orders"}],
    )
    expect_describe(stubber, load["ledger_lookup"]["describe_statement"])
    stubber.add_response("get_statement_result", load[result], {"Id": statement_id})


def copy_and_record(
    quoted_source: str, mode: str = "append", parquet: str = "PARQUET"
) -> list[str]:
    """The COPY and ledger insert expected for one source, given as a Redshift literal."""
    return [
        f"COPY orders FROM {quoted_source} IAM_ROLE '{COPY_ROLE}' FORMAT AS {parquet}",
        "INSERT INTO _skyline_loads "
        "(table_name, batch_id, source_uri, row_count, load_mode, loaded_at) "
        f"SELECT 'orders', 'batch-7', {quoted_source}, pg_last_copy_count(), '{mode}', GETDATE()",
    ]


def test_redshift_query_polls_until_finished_and_reads_every_page(
    data_api: tuple[RedshiftWarehouse, Stubber], clock: FakeClock
) -> None:
    warehouse, stubber = data_api
    scenario = recorded("query_two_pages")
    statement_id = expect_statement(
        stubber,
        scenario,
        "SELECT * FROM orders WHERE created_at >= :since AND name <> :name "
        "AND DATE_TRUNC('MONTH', day) = CURRENT_DATE ORDER BY id NULLS FIRST",
        [
            {"name": "name", "value": "nobody"},
            {"name": "since", "value": "2024-05-01 00:00:00"},
        ],
    )
    for described in scenario["describe_statement"]:  # SUBMITTED, STARTED, FINISHED
        expect_describe(stubber, described)
    first_page, second_page = scenario["get_statement_result"]
    stubber.add_response("get_statement_result", first_page, {"Id": statement_id})
    stubber.add_response(
        "get_statement_result", second_page, {"Id": statement_id, "NextToken": "page-2-token"}
    )

    result = warehouse.query(
        "SELECT * FROM orders WHERE created_at >= $since AND name <> $name "
        "AND date_trunc('month', day) = today() ORDER BY id NULLS FIRST",
        {"since": datetime(2024, 5, 1), "name": "nobody"},
    )

    assert clock.sleeps == [0.25, 0.375]
    assert schema_types(result) == {
        **ORDERS_TYPES,
        "seen_at": pa.timestamp("us", tz="UTC"),
        "day": pa.date32(),
    }
    rows = result.to_pylist()
    assert [row["id"] for row in rows] == [1, 2, 3]
    assert rows[0] | {"seen_at": None} == {
        "id": 1,
        "user_count": 9_000_000_000,
        "ratio": 0.25,
        "amount": Decimal("12.50"),
        "name": "Zoë",
        "active": True,
        "created_at": datetime(2024, 5, 1, 10, 15),
        "seen_at": None,
        "day": date(2024, 5, 1),
    }
    assert rows[0]["seen_at"].isoformat() == "2024-05-01T10:15:00.500000+00:00"
    assert rows[1] == {"id": 2} | dict.fromkeys(list(rows[1])[1:])
    assert rows[2]["amount"] == Decimal("-0.01")
    assert rows[2]["created_at"] == datetime(2024, 12, 31, 23, 59, 59, 999999)


def test_redshift_binds_null_and_empty_string_as_literals(
    data_api: tuple[RedshiftWarehouse, Stubber],
) -> None:
    warehouse, stubber = data_api
    scenario = recorded("load_parquet")["ledger_ddl"]
    expect_statement(
        stubber,
        scenario,
        "UPDATE orders SET name = '', note = NULL WHERE active = :active AND day = :day",
        [{"name": "active", "value": "true"}, {"name": "day", "value": "2024-02-29"}],
    )
    expect_describe(stubber, scenario["describe_statement"])

    warehouse.execute(
        "UPDATE orders SET name = $name, note = $note WHERE active = $active AND day = $day",
        {"name": "", "note": None, "active": True, "day": date(2024, 2, 29)},
    )


def test_redshift_failed_statement_carries_redshift_message(
    data_api: tuple[RedshiftWarehouse, Stubber],
) -> None:
    warehouse, stubber = data_api
    scenario = recorded("failed_statement")
    expect_statement(stubber, scenario, "SELECT COUNT(*) FROM missing_table")
    for described in scenario["describe_statement"]:
        expect_describe(stubber, described)

    with pytest.raises(QueryFailedError, match=r'relation "public\.missing_table" does not exist'):
        warehouse.query("SELECT count(*) FROM missing_table")


def test_redshift_statement_past_its_timeout_is_cancelled(
    data_api: tuple[RedshiftWarehouse, Stubber], clock: FakeClock
) -> None:
    warehouse, stubber = data_api
    scenario = recorded("long_running_statement")
    statement_id = expect_statement(stubber, scenario, "SELECT COUNT(*) FROM orders")
    for _ in range(4):  # at 0, 0.25, 0.625 and 1.0 s
        expect_describe(stubber, scenario["describe_statement_running"])
    stubber.add_response("cancel_statement", scenario["cancel_statement"], {"Id": statement_id})

    with pytest.raises(WarehouseTimeoutError, match="did not finish within 1 s") as caught:
        warehouse.query("SELECT count(*) FROM orders")

    assert caught.value.statement_id == statement_id
    assert isinstance(caught.value, DependencyUnavailableError)
    assert clock.now == pytest.approx(1.0)


def test_redshift_script_runs_as_one_translated_batch(
    data_api: tuple[RedshiftWarehouse, Stubber],
) -> None:
    warehouse, stubber = data_api
    load = recorded("load_parquet")
    stubber.add_response(
        "batch_execute_statement",
        load["batch_execute_statement"],
        {
            "Sqls": [
                "CREATE TABLE daily (day DATE, name VARCHAR(MAX), total DECIMAL(12, 2))",
                "INSERT INTO daily SELECT DATE_TRUNC('DAY', created_at), name, SUM(amount) "
                "FROM orders WHERE created_at > GETDATE() - INTERVAL '7 DAY' GROUP BY 1, 2",
            ],
            **TARGET,
        },
    )
    expect_describe(stubber, load["batch_finished"])

    warehouse.execute_script(
        "CREATE TABLE daily (day DATE, name VARCHAR, total DECIMAL(12, 2));\n"
        "INSERT INTO daily SELECT date_trunc('day', created_at), name, sum(amount) FROM orders "
        "WHERE created_at > current_timestamp - INTERVAL 7 DAY GROUP BY 1, 2;"
    )


# Lists, structs and maps in Parquet load into SUPER columns only with SERIALIZETOJSON.
@pytest.mark.parametrize(
    ("super_column", "parquet"),
    [("super_column_absent", "PARQUET"), ("super_column_present", "PARQUET SERIALIZETOJSON")],
)
def test_redshift_load_copies_and_records_ledger_in_one_batch(
    data_api: tuple[RedshiftWarehouse, Stubber], super_column: str, parquet: str
) -> None:
    warehouse, stubber = data_api
    load = recorded("load_parquet")
    sources = ["s3://skyline-curated/orders/batch=7/part-0.parquet", "s3://skyline-curated/o'k/"]
    expect_ledger_table(stubber)
    expect_ledger(stubber, "batch-7", "ledger_empty_result")
    expect_super_column_lookup(stubber, super_column)
    stubber.add_response(
        "batch_execute_statement",
        load["batch_execute_statement"],
        {
            "Sqls": [
                *copy_and_record(f"'{sources[0]}'", parquet=parquet),
                # The quote in the key is escaped the way Redshift reads it.
                *copy_and_record("'s3://skyline-curated/o\\'k/'", parquet=parquet),
            ],
            **TARGET,
        },
    )
    expect_describe(stubber, load["batch_finished"])

    result = warehouse.load_parquet("Orders", sources, batch_id="batch-7")

    assert result == LoadResult("Orders", "batch-7", rows=1500, skipped=False)


def test_redshift_load_of_a_batch_in_the_ledger_is_skipped(
    data_api: tuple[RedshiftWarehouse, Stubber],
) -> None:
    warehouse, stubber = data_api
    expect_ledger_table(stubber)
    expect_ledger(stubber, "batch-7", "ledger_hit_result")
    expect_ledger(stubber, "batch-7", "ledger_hit_result")  # the table is created only once

    for _ in range(2):
        result = warehouse.load_parquet("orders", ["s3://skyline-curated/x/"], batch_id="batch-7")
        assert result == LoadResult("orders", "batch-7", rows=1500, skipped=True)


def test_redshift_failed_load_raises_load_error_with_redshift_message(
    data_api: tuple[RedshiftWarehouse, Stubber],
) -> None:
    warehouse, stubber = data_api
    load = recorded("load_parquet")
    source = "s3://skyline-curated/orders/batch=7/"
    expect_ledger_table(stubber)
    expect_ledger(stubber, "batch-7", "ledger_empty_result")
    expect_super_column_lookup(stubber, "super_column_absent")
    stubber.add_response(
        "batch_execute_statement",
        load["batch_execute_statement"],
        {"Sqls": ["DELETE FROM orders", *copy_and_record(f"'{source}'", "replace")], **TARGET},
    )
    expect_describe(stubber, load["batch_failed"])
    expect_ledger(stubber, "batch-7", "ledger_empty_result")  # not loaded by anyone else

    with pytest.raises(LoadError, match="Load into table 'orders' failed") as caught:
        warehouse.load_parquet("orders", [source], batch_id="batch-7", mode="replace")

    assert isinstance(caught.value.__cause__, QueryFailedError)
    assert caught.value.__cause__.sql is not None
    assert caught.value.__cause__.sql.startswith("COPY orders FROM 's3://skyline-curated/orders")


@pytest.mark.parametrize(
    "source", ["/tmp/orders.parquet", "s3://", "s3://bucket/part-*.parquet", "https://x/y"]
)
def test_redshift_load_sources_must_be_s3_keys_or_prefixes(
    data_api: tuple[RedshiftWarehouse, Stubber], source: str
) -> None:
    warehouse, _ = data_api
    with pytest.raises(InvalidArgumentError, match="source"):
        warehouse.load_parquet("orders", [source], batch_id="b1")


def test_redshift_load_needs_the_copy_role(aws_env: None) -> None:
    client = boto3.client("redshift-data", region_name="us-east-1")
    with Stubber(client):
        warehouse = RedshiftWarehouse(workgroup=WORKGROUP, database=DATABASE, client=client)
        with pytest.raises(ConfigurationError, match="copy_role_arn"):
            warehouse.load_parquet("orders", ["s3://bucket/key"], batch_id="b1")


def test_redshift_throttling_is_reported_unavailable(
    data_api: tuple[RedshiftWarehouse, Stubber],
) -> None:
    warehouse, stubber = data_api
    stubber.add_client_error("execute_statement", "ThrottlingException", "Rate exceeded", 400)
    with pytest.raises(WarehouseUnavailableError, match="ThrottlingException: Rate exceeded"):
        warehouse.execute("SELECT 1")


def test_redshift_check_lists_databases_without_running_a_query(
    data_api: tuple[RedshiftWarehouse, Stubber],
) -> None:
    warehouse, stubber = data_api
    stubber.add_response("list_databases", {"Databases": [DATABASE]}, {**TARGET, "MaxResults": 1})
    stubber.add_client_error(
        "list_databases", "AccessDeniedException", "not authorized", 403, expected_params=None
    )

    healthy, denied = warehouse.check(), warehouse.check()

    assert (healthy.ok, healthy.backend) == (True, "redshift")
    assert WORKGROUP in healthy.detail
    assert not denied.ok
    assert "AccessDeniedException" in denied.detail


def test_moto_redshift_data_accepts_statements_but_never_finishes_them(
    moto_aws: None,
) -> None:
    """What moto offers: statements are stored and stay STARTED; results are canned rows.

    So against moto the adapter can only show its time-out path: the statement is
    cancelled (moto marks it ABORTED). batch_execute_statement is not implemented.
    """
    client = boto3.client("redshift-data", region_name="us-east-1")
    warehouse = RedshiftWarehouse(
        workgroup=WORKGROUP, database=DATABASE, client=client, poll_interval=0.02, timeout=0.1
    )

    with pytest.raises(WarehouseTimeoutError) as caught:
        warehouse.query("SELECT count(*) FROM orders")

    statement_id = caught.value.statement_id
    assert statement_id is not None
    described = client.describe_statement(Id=statement_id)
    assert described["Status"] == "ABORTED"
    assert described["QueryString"] == "SELECT COUNT(*) FROM orders"
    canned = client.get_statement_result(Id=statement_id)
    assert [column["name"] for column in canned["ColumnMetadata"]] == ["Number", "Street", "City"]
    with pytest.raises(NotImplementedError, match="batch_execute_statement"):
        client.batch_execute_statement(Sqls=["SELECT 1"], **TARGET)


def test_redshift_records_of_other_types_convert_by_type_name() -> None:
    columns = [
        {"name": "small", "typeName": "int2"},
        {"name": "single", "typeName": "float4"},
        {"name": "at", "typeName": "time"},
        {"name": "unsized", "typeName": "numeric", "precision": 0, "scale": 0},
        {"name": "doc", "typeName": "super"},
    ]
    records = [
        [
            {"longValue": 7},
            {"doubleValue": 1.5},
            {"stringValue": "08:30:00.25"},
            {"stringValue": "3.75"},
            {"stringValue": '{"a":1}'},
        ],
        [{"isNull": True}] * 5,
    ]

    table = redshift_module.records_to_table(columns, records)

    assert schema_types(table) == {
        "small": pa.int16(),
        "single": pa.float32(),
        "at": pa.time64("us"),
        "unsized": pa.float64(),
        "doc": pa.string(),
    }
    assert table.to_pylist() == [
        {
            "small": 7,
            "single": 1.5,
            "at": time(8, 30, 0, 250000),
            "unsized": 3.75,
            "doc": '{"a":1}',
        },
        dict.fromkeys(["small", "single", "at", "unsized", "doc"]),
    ]


def test_insert_rows_writes_every_row_across_chunks() -> None:
    with DuckDbWarehouse() as warehouse:
        warehouse.execute("create table scores (entity varchar, score double, note varchar)")
        rows = [{"entity": f"e{n}", "score": n / 2, "note": None} for n in range(7)]
        warehouse.insert_rows("scores", rows, chunk_size=3)
        table = warehouse.query("select * from scores order by score")
        assert table.to_pylist() == rows
        with pytest.raises(InvalidArgumentError):
            warehouse.insert_rows("scores; drop table scores", rows)
