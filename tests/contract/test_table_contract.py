"""Contract of the table port: every adapter passes these same tests.

The DynamoDB adapter runs against moto in-process; the SQLite adapter against a
file in a temporary directory.
"""

from __future__ import annotations

import math
import multiprocessing
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from foundation.table import (
    AttributeEquals,
    ConditionFailedError,
    DynamoDbTable,
    IndexSpec,
    InvalidItemError,
    InvalidQueryError,
    ItemAbsent,
    ItemExists,
    SortKey,
    SortKeyCondition,
    SqliteTable,
    Table,
    TableSpec,
)

ORDERS = TableSpec(
    name="orders",
    indexes=(
        IndexSpec("by-customer", partition_key="customer", sort_key="placed_at"),
        IndexSpec("by-status", partition_key="status"),
    ),
)

TableFactory = Callable[..., Table]


class SerializedClient:
    """A boto3 client whose calls run one at a time.

    moto applies an UpdateItem or a conditional PutItem in several unlocked steps,
    so concurrent calls lose updates (measured: 193 of 200 increments). DynamoDB
    applies each one atomically; this restores that guarantee so the concurrency
    tests check the adapter's own logic (retries, conditions), as on AWS.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute) or name == "get_waiter":
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return call


@pytest.fixture(scope="module")
def dynamodb_client() -> Any:
    """One client for the module: building one per test costs ~0.3 s (moto resets the session).

    Its credentials are fake, so it can only ever talk to moto.
    """
    return boto3.client(
        "dynamodb",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
    )


@pytest.fixture(params=["sqlite", "dynamodb"])
def make_table(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TableFactory]:
    """Builds empty tables of one adapter (created unless asked not to); closes them at the end."""
    tables: list[Table] = []
    if request.param == "dynamodb":
        request.getfixturevalue("moto_aws")
        client = SerializedClient(request.getfixturevalue("dynamodb_client"))

    def build(spec: TableSpec, *, create: bool = True) -> Table:
        table: Table
        if request.param == "sqlite":
            table = SqliteTable(tmp_path / "tables.sqlite3", spec)
        else:
            table = DynamoDbTable(spec, table_name=f"test-{spec.name}", client=client)
        if create:
            table.create_if_missing()
        tables.append(table)
        return table

    yield build
    for table in tables:
        table.close()


@pytest.fixture
def table(make_table: TableFactory) -> Table:
    return make_table(ORDERS)


def keys(items: list[dict[str, Any]]) -> list[str]:
    return [item["sk"] for item in items]


def query_all(table: Table, partition: str, page_size: int, **options: Any) -> list[str]:
    """Follow cursors to the end, returning every sort key seen (repeats included)."""
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        page = table.query(partition, limit=page_size, cursor=cursor, **options)
        assert len(page.items) <= page_size
        seen += keys(page.items)
        cursor = page.cursor
        if cursor is None:
            return seen
    raise AssertionError("paging never ended")


# -- round trips ----------------------------------------------------------------------


def test_put_then_get_round_trips_nested_values_and_numbers(table: Table) -> None:
    item = {
        "pk": "customer#1",
        "sk": "order#1",
        "total": 1234,
        "big": 2**63 + 1,
        "negative": -7,
        "ratio": 0.1 + 0.2,
        "third": 1 / 3,
        "pi": math.pi,
        "tiny": 1e-100,
        "whole_float": 3.0,
        "flag": True,
        "nothing": None,
        "name": "Zoë 🎵",
        "empty": "",
        "lines": [{"sku": "a", "qty": 2, "price": 9.99}, ["nested", 1, False], []],
        "address": {"city": "Lyon", "geo": {"lat": 45.764043, "lon": 4.835659}, "none": {}},
    }
    table.put(item)

    stored = table.get("customer#1", "order#1")

    assert stored == {**item, "whole_float": 3}
    assert stored is not None
    assert type(stored["total"]) is int
    assert type(stored["big"]) is int
    assert type(stored["whole_float"]) is int
    assert type(stored["ratio"]) is float
    assert stored["ratio"] == 0.1 + 0.2  # exact, not 0.3
    assert stored["third"] == 1 / 3
    assert type(stored["flag"]) is bool
    assert type(stored["lines"][0]["qty"]) is int


def test_get_returns_none_for_a_missing_item(table: Table) -> None:
    assert table.get("nobody", "nothing") is None


def test_put_replaces_the_whole_item(table: Table) -> None:
    table.put({"pk": "p", "sk": "s", "old": 1, "kept": "a"})
    table.put({"pk": "p", "sk": "s", "kept": "b"})
    assert table.get("p", "s") == {"pk": "p", "sk": "s", "kept": "b"}


def test_delete_removes_the_item_and_deleting_nothing_is_fine(table: Table) -> None:
    table.put({"pk": "p", "sk": "s"})
    table.delete("p", "s")
    table.delete("p", "s")
    assert table.get("p", "s") is None


def test_table_without_sort_key_stores_items_by_partition_only(make_table: TableFactory) -> None:
    sessions = make_table(TableSpec(name="sessions", sort_key=None))
    sessions.put({"pk": "s1", "user": "ann"})
    assert sessions.get("s1") == {"pk": "s1", "user": "ann"}
    assert sessions.query("s1").items == [{"pk": "s1", "user": "ann"}]
    with pytest.raises(InvalidQueryError, match="sort"):
        sessions.query("s1", sort=SortKey.equals("x"))


# -- validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "attribute"),
    [
        ({"sk": "s"}, "pk"),
        ({"pk": "p"}, "sk"),
        ({"pk": 5, "sk": "s"}, "pk"),
        ({"pk": "p", "sk": ""}, "sk"),
        ({"pk": "p", "sk": "s", "customer": 42}, "customer"),
        ({"pk": "p", "sk": "s", "expires_at": "tomorrow"}, "expires_at"),
        ({"pk": "p", "sk": "s", "score": math.nan}, "score"),
        ({"pk": "p", "sk": "s", "tags": {"a", "b"}}, "tags"),
    ],
)
def test_invalid_item_is_refused_naming_the_attribute(
    table: Table, item: dict[str, Any], attribute: str
) -> None:
    with pytest.raises(InvalidItemError, match=repr(attribute)) as raised:
        table.put(item)
    assert raised.value.attribute == attribute
    with pytest.raises(InvalidItemError):
        table.batch_put([{"pk": "ok", "sk": "ok"}, item])
    assert table.get("ok", "ok") is None  # nothing of the batch was written


def test_item_larger_than_400_kb_is_refused_naming_the_largest_attribute(table: Table) -> None:
    with pytest.raises(InvalidItemError, match="blob"):
        table.put({"pk": "p", "sk": "s", "small": "x", "blob": "x" * 410_000})


def test_key_arguments_are_validated(table: Table) -> None:
    with pytest.raises(InvalidItemError, match="'sk'"):
        table.get("p")
    with pytest.raises(InvalidItemError, match="'pk'"):
        table.delete("", "s")


# -- queries --------------------------------------------------------------------------

SORT_KEYS = ["a", "b", "ba", "bb", "b\uffff", "b\U0001f3b5", "c", "d"]


@pytest.fixture
def partition(table: Table) -> Table:
    table.batch_put([{"pk": "p", "sk": sk, "n": i} for i, sk in enumerate(SORT_KEYS)])
    table.batch_put([{"pk": "other", "sk": sk} for sk in SORT_KEYS])
    return table


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (None, SORT_KEYS),
        (SortKey.equals("ba"), ["ba"]),
        (SortKey.begins_with("b"), ["b", "ba", "bb", "b\uffff", "b\U0001f3b5"]),
        (SortKey.begins_with("b\uffff"), ["b\uffff"]),
        (SortKey.between("b", "bb"), ["b", "ba", "bb"]),
        (SortKey.less_than("b"), ["a"]),
        (SortKey.at_most("b"), ["a", "b"]),
        (SortKey.greater_than("c"), ["d"]),
        (SortKey.at_least("c"), ["c", "d"]),
        (SortKey.equals("zz"), []),
    ],
)
def test_query_applies_every_sort_key_condition_within_the_partition(
    partition: Table, condition: SortKeyCondition | None, expected: list[str]
) -> None:
    page = partition.query("p", sort=condition)
    assert keys(page.items) == expected
    assert page.cursor is None
    assert all(item["pk"] == "p" for item in page.items)


def test_query_descending_returns_reverse_sort_order(partition: Table) -> None:
    page = partition.query("p", ascending=False, sort=SortKey.at_most("c"))
    assert keys(page.items) == ["c", "b\U0001f3b5", "b\uffff", "bb", "ba", "b", "a"]


@pytest.mark.parametrize("ascending", [True, False])
@pytest.mark.parametrize("page_size", [1, 3, 8, 50])
def test_paging_with_limit_and_cursor_misses_and_repeats_nothing(
    partition: Table, ascending: bool, page_size: int
) -> None:
    seen = query_all(partition, "p", page_size, ascending=ascending)
    assert seen == (SORT_KEYS if ascending else SORT_KEYS[::-1])


def test_paging_resumes_a_sort_key_condition(partition: Table) -> None:
    seen = query_all(partition, "p", 2, sort=SortKey.begins_with("b"))
    assert seen == ["b", "ba", "bb", "b\uffff", "b\U0001f3b5"]


def test_malformed_cursor_is_refused(table: Table) -> None:
    with pytest.raises(InvalidQueryError, match="cursor"):
        table.query("p", limit=1, cursor="not a cursor!")


def test_bad_limit_and_unknown_index_are_refused(table: Table) -> None:
    with pytest.raises(InvalidQueryError, match="limit"):
        table.query("p", limit=0)
    with pytest.raises(InvalidQueryError, match="by-nothing"):
        table.query("p", index="by-nothing")


@pytest.fixture
def customers(table: Table) -> Table:
    table.batch_put(
        [
            {"pk": "o1", "sk": "v1", "customer": "ann", "placed_at": "2024-03", "status": "open"},
            {"pk": "o2", "sk": "v1", "customer": "ann", "placed_at": "2024-01", "status": "paid"},
            {"pk": "o3", "sk": "v1", "customer": "bob", "placed_at": "2024-02", "status": "open"},
            {"pk": "o4", "sk": "v1", "customer": "ann", "placed_at": "2024-02"},
            {"pk": "o5", "sk": "v1", "customer": "ann"},  # no index sort key: not in by-customer
            {"pk": "o6", "sk": "v1", "customer": "ann", "placed_at": "2024-02", "status": "open"},
        ]
    )
    return table


def test_query_through_an_index_orders_by_the_index_sort_key(customers: Table) -> None:
    page = customers.query("ann", index="by-customer")
    assert [(item["placed_at"], item["pk"]) for item in page.items] == [
        ("2024-01", "o2"),
        ("2024-02", "o4"),
        ("2024-02", "o6"),
        ("2024-03", "o1"),
    ]
    recent = customers.query("ann", index="by-customer", sort=SortKey.at_least("2024-02"))
    assert sorted(item["pk"] for item in recent.items) == ["o1", "o4", "o6"]


def test_index_without_sort_key_finds_only_items_having_its_key(customers: Table) -> None:
    page = customers.query("open", index="by-status")
    assert sorted(item["pk"] for item in page.items) == ["o1", "o3", "o6"]
    assert page.items[0]["customer"] in {"ann", "bob"}  # whole items are projected


def test_paging_through_an_index_with_equal_sort_keys_misses_nothing(customers: Table) -> None:
    for ascending in (True, False):
        pks: list[str] = []
        cursor = None
        while True:
            page = customers.query(
                "ann", index="by-customer", limit=1, cursor=cursor, ascending=ascending
            )
            pks += [item["pk"] for item in page.items]
            if (cursor := page.cursor) is None:
                break
        assert sorted(pks) == ["o1", "o2", "o4", "o6"]
        assert len(pks) == 4


def test_index_follows_updates_and_deletes(customers: Table) -> None:
    customers.put({"pk": "o1", "sk": "v1", "customer": "bob", "placed_at": "2024-03"})
    customers.delete("o2", "v1")
    page = customers.query("ann", index="by-customer")
    assert [item["pk"] for item in page.items] == ["o4", "o6"]


# -- conditional writes -----------------------------------------------------------------


def test_put_with_item_absent_fails_when_the_item_exists(table: Table) -> None:
    table.put({"pk": "p", "sk": "s", "v": 1}, condition=ItemAbsent())
    with pytest.raises(ConditionFailedError, match="'p'") as raised:
        table.put({"pk": "p", "sk": "s", "v": 2}, condition=ItemAbsent())
    assert (raised.value.partition, raised.value.sort) == ("p", "s")
    assert raised.value.status == 409
    assert table.get("p", "s") == {"pk": "p", "sk": "s", "v": 1}


def test_put_with_item_exists_fails_when_the_item_is_missing(table: Table) -> None:
    with pytest.raises(ConditionFailedError):
        table.put({"pk": "p", "sk": "s"}, condition=ItemExists())
    assert table.get("p", "s") is None
    table.put({"pk": "p", "sk": "s"})
    table.put({"pk": "p", "sk": "s", "v": 2}, condition=ItemExists())
    assert table.get("p", "s") == {"pk": "p", "sk": "s", "v": 2}


def test_put_with_stale_version_fails_and_leaves_the_item_unchanged(table: Table) -> None:
    table.put({"pk": "doc", "sk": "1", "version": 1, "body": "first"})
    table.put(
        {"pk": "doc", "sk": "1", "version": 2, "body": "second"},
        condition=AttributeEquals("version", 1),
    )
    with pytest.raises(ConditionFailedError, match="'doc'"):
        table.put(
            {"pk": "doc", "sk": "1", "version": 2, "body": "stale"},
            condition=AttributeEquals("version", 1),
        )
    assert table.get("doc", "1") == {"pk": "doc", "sk": "1", "version": 2, "body": "second"}


def test_attribute_equals_compares_types_like_dynamodb(table: Table) -> None:
    table.put({"pk": "p", "sk": "s", "flag": True, "n": 2, "tags": ["a", {"b": 1}]})
    with pytest.raises(ConditionFailedError):
        table.put({"pk": "p", "sk": "s"}, condition=AttributeEquals("flag", 1))
    with pytest.raises(ConditionFailedError):
        table.put({"pk": "p", "sk": "s"}, condition=AttributeEquals("missing", None))
    table.put({"pk": "p", "sk": "s", "n": 3}, condition=AttributeEquals("tags", ["a", {"b": 1}]))
    table.put({"pk": "p", "sk": "s", "n": 4}, condition=AttributeEquals("n", 3.0))
    assert table.get("p", "s") == {"pk": "p", "sk": "s", "n": 4}


def test_conditional_delete_fails_when_stale_and_keeps_the_item(table: Table) -> None:
    table.put({"pk": "p", "sk": "s", "version": 3})
    with pytest.raises(ConditionFailedError):
        table.delete("p", "s", condition=AttributeEquals("version", 2))
    with pytest.raises(ConditionFailedError):
        table.delete("p", "missing", condition=ItemExists())
    assert table.get("p", "s") == {"pk": "p", "sk": "s", "version": 3}
    table.delete("p", "s", condition=AttributeEquals("version", 3))
    assert table.get("p", "s") is None


# -- TTL ------------------------------------------------------------------------------


def test_expired_items_are_never_returned(table: Table) -> None:
    past = time.time() - 10
    future = time.time() + 3600
    table.batch_put(
        [
            {"pk": "p", "sk": "live", "expires_at": future, "customer": "ann", "placed_at": "1"},
            {"pk": "p", "sk": "dead", "expires_at": past, "customer": "ann", "placed_at": "2"},
            {"pk": "p", "sk": "forever", "expires_at": None},
        ]
    )
    table.put({"pk": "p", "sk": "dead-int", "expires_at": int(past)})

    assert table.get("p", "dead") is None
    assert table.get("p", "dead-int") is None
    assert table.get("p", "live") is not None
    assert keys(table.query("p").items) == ["forever", "live"]
    assert keys(table.query("ann", index="by-customer").items) == ["live"]
    assert query_all(table, "p", 1) == ["forever", "live"]


def test_an_item_stops_being_returned_once_its_ttl_passes(table: Table) -> None:
    table.put({"pk": "p", "sk": "soon", "expires_at": time.time() + 0.5})
    assert table.get("p", "soon") is not None
    time.sleep(0.6)
    assert table.get("p", "soon") is None
    assert table.query("p").items == []


def test_an_expired_item_counts_as_absent_for_conditions(table: Table) -> None:
    table.put({"pk": "lock", "sk": "job", "owner": "a", "expires_at": time.time() - 1})
    with pytest.raises(ConditionFailedError):
        table.put({"pk": "lock", "sk": "job", "owner": "b"}, condition=ItemExists())
    with pytest.raises(ConditionFailedError):
        table.put(
            {"pk": "lock", "sk": "job", "owner": "b"}, condition=AttributeEquals("owner", "a")
        )
    table.put({"pk": "lock", "sk": "job", "owner": "b"}, condition=ItemAbsent())
    assert table.get("lock", "job") == {"pk": "lock", "sk": "job", "owner": "b"}


# -- counters -------------------------------------------------------------------------


def test_increment_creates_a_missing_item_and_adds(table: Table) -> None:
    assert table.increment("page", "home", "views") == 1
    assert table.increment("page", "home", "views", 5) == 6
    assert table.increment("page", "home", "views", -2) == 4
    assert table.get("page", "home") == {"pk": "page", "sk": "home", "views": 4}


def test_increment_keeps_other_attributes_and_restarts_an_expired_counter(table: Table) -> None:
    table.put({"pk": "rate", "sk": "ann", "views": 10, "note": "x"})
    assert table.increment("rate", "ann", "views") == 11
    assert table.get("rate", "ann") == {"pk": "rate", "sk": "ann", "views": 11, "note": "x"}
    table.put({"pk": "rate", "sk": "bob", "views": 10, "expires_at": time.time() - 1})
    assert table.increment("rate", "bob", "views", 2) == 2
    assert table.get("rate", "bob") == {"pk": "rate", "sk": "bob", "views": 2}


def test_increment_refuses_a_key_or_non_numeric_attribute(table: Table) -> None:
    table.put({"pk": "p", "sk": "s", "name": "ann"})
    with pytest.raises(InvalidItemError, match="'name'"):
        table.increment("p", "s", "name")
    with pytest.raises(InvalidItemError, match="'customer'"):
        table.increment("p", "s", "customer")
    assert table.get("p", "s") == {"pk": "p", "sk": "s", "name": "ann"}


def run_in_threads(threads: int, work: Callable[[], None]) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def worker() -> None:
        try:
            barrier.wait()
            work()
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []


def test_concurrent_increments_from_eight_threads_lose_nothing(table: Table) -> None:
    def work() -> None:
        for _ in range(25):
            table.increment("counter", "total", "n")

    run_in_threads(8, work)
    assert table.get("counter", "total") == {"pk": "counter", "sk": "total", "n": 200}


def test_concurrent_optimistic_version_updates_lose_nothing(table: Table) -> None:
    table.put({"pk": "doc", "sk": "1", "version": 0, "count": 0})
    writers, updates_each = 6, 6
    all_have_read = threading.Barrier(writers)  # forces a real race on the first update
    conflicts: list[int] = []

    def work() -> None:
        for update in range(updates_each):
            while True:
                current = table.get("doc", "1")
                assert current is not None
                if update == 0 and not conflicts:
                    all_have_read.wait()
                updated = {**current, "version": current["version"] + 1}
                updated["count"] += 1
                try:
                    table.put(updated, condition=AttributeEquals("version", current["version"]))
                    break
                except ConditionFailedError:
                    conflicts.append(1)

    run_in_threads(writers, work)
    total = writers * updates_each
    assert table.get("doc", "1") == {"pk": "doc", "sk": "1", "version": total, "count": total}
    assert len(conflicts) >= writers - 1  # all but one lost the first race and retried


# -- batches and health ---------------------------------------------------------------


def test_batch_put_writes_more_than_one_chunk_and_the_last_duplicate_wins(table: Table) -> None:
    items = [{"pk": "batch", "sk": f"{i:03d}", "i": i} for i in range(60)]
    items.append({"pk": "batch", "sk": "007", "i": "last"})
    table.batch_put(items)
    stored = table.query("batch").items
    assert len(stored) == 60
    assert stored[7] == {"pk": "batch", "sk": "007", "i": "last"}
    table.batch_put([])


def test_check_reports_healthy_table_and_missing_table(make_table: TableFactory) -> None:
    table = make_table(ORDERS)
    status = table.check()
    assert status.ok, status.detail
    assert status.backend == table.backend

    unhealthy = make_table(TableSpec(name="never-created"), create=False).check()
    assert not unhealthy.ok
    assert "never-created" in unhealthy.detail


# -- SQLite only: durability and processes ----------------------------------------------


def test_sqlite_data_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "data.sqlite3"
    first = SqliteTable(path, ORDERS)
    first.create_if_missing()
    first.put({"pk": "p", "sk": "s", "customer": "ann", "placed_at": "1", "n": 1.5})
    first.close()

    reopened = SqliteTable(path, ORDERS)
    reopened.create_if_missing()
    assert reopened.get("p", "s") == {
        "pk": "p",
        "sk": "s",
        "customer": "ann",
        "placed_at": "1",
        "n": 1.5,
    }
    assert len(reopened.query("ann", index="by-customer").items) == 1
    reopened.close()


def test_sqlite_index_added_later_is_backfilled(tmp_path: Path) -> None:
    path = tmp_path / "data.sqlite3"
    plain = SqliteTable(path, TableSpec(name="orders"))
    plain.create_if_missing()
    plain.put({"pk": "o1", "sk": "v1", "customer": "ann", "placed_at": "1"})
    plain.put({"pk": "o2", "sk": "v1", "customer": "ann"})
    plain.close()

    indexed = SqliteTable(path, ORDERS)
    indexed.create_if_missing()
    assert [item["pk"] for item in indexed.query("ann", index="by-customer").items] == ["o1"]
    indexed.close()


def test_sqlite_tables_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    orders = SqliteTable(path, ORDERS)
    users = SqliteTable(path, TableSpec(name="users"))
    for table in (orders, users):
        table.create_if_missing()
    orders.put({"pk": "p", "sk": "s", "kind": "order"})
    users.put({"pk": "p", "sk": "s", "kind": "user"})
    assert orders.get("p", "s") == {"pk": "p", "sk": "s", "kind": "order"}
    assert users.get("p", "s") == {"pk": "p", "sk": "s", "kind": "user"}


def _increment_in_process(path: str, times: int) -> None:
    table = SqliteTable(Path(path), ORDERS)
    for _ in range(times):
        table.increment("counter", "total", "n")
    table.close()


def test_sqlite_increments_from_several_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    table = SqliteTable(path, ORDERS)
    table.create_if_missing()
    context = multiprocessing.get_context("fork")  # the child opens its own connections
    processes = [
        context.Process(target=_increment_in_process, args=(str(path), 50)) for _ in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert table.get("counter", "total") == {"pk": "counter", "sk": "total", "n": 200}
