"""Each kind of model test finds exactly the rows that break it."""

from __future__ import annotations

import duckdb
import pytest

from concert.warehouse.checks import (
    AcceptedValues,
    Expression,
    ModelSpec,
    ModelTest,
    NotNull,
    Query,
    Relationship,
    Unique,
)


@pytest.fixture
def connection() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(
        "create table parent as select * from (values ('p1'), ('p2')) as t(id);"
        "create table child as select * from (values "
        "(1, 'a', 'p1', 'red', 0.5), (2, 'b', 'p2', 'blue', 1.5), (2, null, 'p9', 'pink', null), "
        "(3, 'd', null, 'it''s', 0.2)) as t(id, code, parent_id, colour, share)"
    )
    return connection


def _failures(connection: duckdb.DuckDBPyConnection, test: ModelTest) -> int:
    row = connection.execute(test.count_sql("child")).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize(
    ("test", "failures"),
    [
        (Unique(("id",)), 1),
        (Unique(("id", "code")), 0),
        (NotNull("code"), 1),
        (NotNull("id"), 0),
        (Relationship("parent_id", "parent", "id"), 1),  # p9 is missing; NULL is no reference
        (AcceptedValues("colour", ("red", "blue", "it's")), 1),
        (Expression("share is a fraction", "share between 0 and 1"), 1),  # NULL is not a failure
        (Query("more than three rows", "select 1 from {model} having count(*) > 3"), 1),
    ],
)
def test_a_test_counts_the_rows_that_break_it(
    connection: duckdb.DuckDBPyConnection, test: ModelTest, failures: int
) -> None:
    assert _failures(connection, test) == failures


def test_names_say_what_is_checked() -> None:
    assert Unique(("a", "b")).name == "unique(a, b)"
    assert Relationship("x", "t", "y").name == "relationships(x -> t.y)"
    assert Expression("share is a fraction", "share <= 1").name == "share is a fraction"


def test_a_spec_tests_its_key_then_its_own_tests() -> None:
    extra = AcceptedValues("status", ("ok",))
    spec = ModelSpec("x", ("a", "b"), (extra,))
    assert spec.all_tests() == (Unique(("a", "b")), NotNull("a"), NotNull("b"), extra)
    partial = ModelSpec("x", ("a", "b"), not_null=("a",))
    assert partial.all_tests() == (Unique(("a", "b")), NotNull("a"))
