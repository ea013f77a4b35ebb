"""Every statement the warehouse package runs translates to Redshift SQL that parses back.

Models, their tests, the raw-table DDL and the bookkeeping and summary queries
are written once in DuckDB's dialect. Each is translated with the same
``to_redshift`` the Redshift adapter uses and parsed back with sqlglot's
Redshift reader. Parsing alone accepts functions Redshift lacks (sqlglot
reads ARG_MAX or DAY_OF_WEEK in any dialect), so every function in the
translation must also be on a list checked against Redshift's SQL reference:
a model that needs a new function adds it here after checking it exists there.
"""

from __future__ import annotations

import re

import pytest
import sqlglot
from sqlglot import exp

from concert.domain import ENTITIES
from concert.warehouse import runner, summary
from concert.warehouse.ddl import raw_table_ddl
from concert.warehouse.models import load_models
from foundation.warehouse import to_redshift

MODELS = load_models()
# Functions of Redshift's SQL reference that the translated statements may call.
REDSHIFT_FUNCTIONS = frozenset(
    {
        "ABS",
        "AVG",
        "CASE",
        "CAST",
        "COALESCE",
        "COUNT",
        "DATEDIFF",
        "DATE_TRUNC",
        "EXTRACT",
        "MAX",
        "MIN",
        "NULLIF",
        "POWER",
        "ROW_NUMBER",
        "SUM",
    }
)
BOOKKEEPING = {
    "runs_ddl": runner._RUNS_DDL,
    "tests_ddl": runner._TESTS_DDL,
    "date_range": summary._DATE_RANGE,
    "top_venues": summary._TOP_VENUES,
    "top_artists": summary._TOP_ARTISTS,
    "last_loads": summary._LAST_LOADS,
    "last_builds": summary._LAST_BUILDS,
    "last_tests": summary._LAST_TESTS,
}


def _function_name(node: exp.Expr) -> str:
    """The name a function call is written with in Redshift SQL (CASE for CASE ... END)."""
    found = re.match(r"[A-Z_]+", node.sql(dialect="redshift"))
    assert found is not None, node.sql(dialect="redshift")
    return found.group()


def _parses_as_redshift(duckdb_sql: str) -> str:
    redshift_sql = to_redshift(duckdb_sql)
    trees = [tree for tree in sqlglot.parse(redshift_sql, read="redshift") if tree is not None]
    assert trees
    called = {
        _function_name(node)
        for tree in trees
        for node in tree.find_all(exp.Func)
        if not isinstance(node, exp.Connector)
    }
    unknown = called - REDSHIFT_FUNCTIONS
    assert not unknown, f"functions not on the Redshift list: {sorted(unknown)}"
    return redshift_sql


@pytest.mark.parametrize("name", list(MODELS))
def test_model_build_translates_to_redshift(name: str) -> None:
    redshift_sql = _parses_as_redshift(MODELS[name].build_sql())
    assert redshift_sql.startswith(f"DROP TABLE IF EXISTS {name}; CREATE TABLE {name} AS ")


@pytest.mark.parametrize("name", list(MODELS))
def test_model_tests_translate_to_redshift(name: str) -> None:
    for test in MODELS[name].tests:
        _parses_as_redshift(test.count_sql(name))


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_raw_table_ddl_for_redshift_uses_super_for_lists_and_maps(entity: str) -> None:
    redshift_sql = _parses_as_redshift(raw_table_ddl(ENTITIES[entity], backend="redshift"))
    assert "[]" not in redshift_sql
    assert "MAP" not in redshift_sql
    assert redshift_sql.startswith(f"CREATE TABLE IF NOT EXISTS raw_{entity} (")


def test_duckdb_list_and_map_types_would_not_translate_to_redshift_columns() -> None:
    # Why the DDL is dialect-aware: sqlglot keeps array and map types Redshift lacks.
    assert "VARCHAR(MAX)[]" in to_redshift(raw_table_ddl(ENTITIES["artists"]))
    assert "MAP<" in to_redshift(raw_table_ddl(ENTITIES["concerts"]))
    redshift = to_redshift(raw_table_ddl(ENTITIES["concerts"], backend="redshift"))
    assert "ticket_prices SUPER NOT NULL" in redshift


@pytest.mark.parametrize("name", list(BOOKKEEPING))
def test_bookkeeping_and_summary_queries_translate_to_redshift(name: str) -> None:
    _parses_as_redshift(BOOKKEEPING[name])


def test_staging_keeps_qualify_which_redshift_supports() -> None:
    assert "QUALIFY ROW_NUMBER() OVER" in to_redshift(MODELS["stg_ticket_sales"].sql)


def test_list_indexing_becomes_zero_based_on_redshift() -> None:
    # DuckDB lists start at 1, Redshift SUPER arrays at 0: genres[1] is the first genre on both.
    assert "genres[0]" in to_redshift(MODELS["stg_artists"].sql)


@pytest.mark.parametrize(
    "duckdb_only",
    [
        "select arg_max(a, b) from t",
        "select dayofweek(d) from t",
        "select list_extract(g, 1) from t",
    ],
)
def test_the_check_catches_duckdb_only_functions(duckdb_only: str) -> None:
    with pytest.raises(AssertionError, match="functions not on the Redshift list"):
        _parses_as_redshift(duckdb_only)
