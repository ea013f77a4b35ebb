"""Our SQL dialect (DuckDB's): statement splitting, parameters, translation to Redshift."""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from foundation.warehouse.dialect import (
    check_parameters,
    parameter_names,
    split_statements,
    to_redshift,
)
from foundation.warehouse.exceptions import (
    InvalidArgumentError,
    QueryFailedError,
    UnsupportedSqlError,
)

# name -> (DuckDB SQL, fragments the Redshift translation must contain)
ANALYTICAL = {
    "cte_and_windows": (
        "WITH daily AS (SELECT date_trunc('day', created_at) AS day, customer_id, "
        "sum(amount) AS total FROM orders GROUP BY 1, 2) "
        "SELECT day, customer_id, row_number() OVER (PARTITION BY day ORDER BY total DESC) AS r, "
        "avg(total) OVER (PARTITION BY customer_id ORDER BY day "
        "ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS rolling, "
        "lag(total) OVER (PARTITION BY customer_id ORDER BY day) AS previous FROM daily",
        [
            "WITH daily AS (",
            "DATE_TRUNC('DAY', created_at)",
            "ROW_NUMBER() OVER (PARTITION BY day ORDER BY total DESC",
            "ROWS BETWEEN 6 PRECEDING AND CURRENT ROW",
            "LAG(total) OVER",
        ],
    ),
    "qualify": (
        "SELECT customer_id, created_at FROM orders "
        "QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY created_at DESC) = 1",
        ["QUALIFY ROW_NUMBER() OVER"],
    ),
    "date_arithmetic": (
        "SELECT created_at + INTERVAL 3 DAY AS due, date_diff('day', created_at, current_date) "
        "AS age, current_timestamp AS at, today() AS d, make_date(2024, 1, 31) AS m "
        "FROM orders WHERE created_at > now() - INTERVAL 7 DAY",
        [
            "created_at + INTERVAL '3 DAY'",
            "DATEDIFF(DAY, created_at, CURRENT_DATE)",
            "GETDATE() AS at",
            "CURRENT_DATE AS d",
            "DATE_FROM_PARTS(2024, 1, 31)",
            "INTERVAL '7 DAY'",
        ],
    ),
    "case_and_casts": (
        "SELECT CASE WHEN amount >= 100 THEN 'large' WHEN amount >= 10 THEN 'medium' "
        "ELSE 'small' END AS size, amount::VARCHAR AS text, TRY_CAST(code AS INTEGER) AS n, "
        "CAST(x AS DOUBLE) AS f, ifnull(a, b) AS c FROM orders",
        [
            "CASE WHEN amount >= 100 THEN 'large'",
            "CAST(amount AS VARCHAR(MAX))",
            "CAST(x AS DOUBLE PRECISION)",
            "COALESCE(a, b)",
        ],
    ),
    "rollup": (
        "SELECT region, product, sum(amount) AS total, grouping(region, product) AS level "
        "FROM sales GROUP BY ROLLUP (region, product)",
        ["GROUP BY ROLLUP (region, product)", "GROUPING(region, product)"],
    ),
    "create_table_as": (
        "CREATE TABLE monthly AS SELECT date_trunc('month', created_at) AS month, "
        "count(DISTINCT customer_id) AS buyers FROM orders GROUP BY 1",
        ["CREATE TABLE monthly AS SELECT DATE_TRUNC('MONTH', created_at)"],
    ),
    "strings": (
        "SELECT upper(name), length(name), substr(name, 1, 3), name || '-' || city, "
        "strpos(name, 'a'), regexp_matches(name, '^A'), strftime(created_at, '%Y-%m'), "
        "string_agg(city, ', ') FROM customers GROUP BY name, city, created_at",
        [
            "SUBSTRING(name FROM 1 FOR 3)",
            "POSITION('a' IN name)",
            "name ~ '^A'",
            "TO_CHAR(created_at, 'YYYY-MM')",
            "LISTAGG(city, ', ')",
        ],
    ),
    "statistics": (
        "SELECT median(amount), quantile_cont(amount, 0.9), approx_count_distinct(customer_id) "
        "FROM orders",
        ["PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY amount)", "APPROXIMATE COUNT(DISTINCT"],
    ),
    "parameters": (
        "SELECT * FROM orders WHERE created_at >= $since AND status IN ($a, $b) "
        "AND name <> '$not_a_param' LIMIT 10",
        ["created_at >= :since", "IN (:a, :b)", "'$not_a_param'"],
    ),
}


@pytest.mark.parametrize("name", sorted(ANALYTICAL))
def test_analytical_sql_translates_to_redshift_that_parses_back(name: str) -> None:
    duckdb_sql, fragments = ANALYTICAL[name]

    redshift_sql = to_redshift(duckdb_sql)

    for fragment in fragments:
        assert fragment in redshift_sql
    reparsed = sqlglot.parse_one(redshift_sql, read="redshift")
    assert type(reparsed) is type(sqlglot.parse_one(duckdb_sql, read="duckdb"))
    # Placeholders are the Data API's :name, never psycopg's %(name)s.
    assert "%(" not in redshift_sql
    placeholders = {node.name for node in reparsed.find_all(exp.Placeholder)}
    assert placeholders == parameter_names(duckdb_sql)


@pytest.mark.parametrize(
    ("duckdb_sql", "construct"),
    [
        ("SELECT unnest([1, 2, 3])", "EXPLODE"),
        ("SELECT * FROM orders USING SAMPLE 10%", "TABLESAMPLE"),
        ("CREATE OR REPLACE TABLE t AS SELECT 1 AS a", "CREATE OR REPLACE TABLE"),
        ("INSERT OR REPLACE INTO t VALUES (1)", "INSERT OR REPLACE"),
        ("INSERT INTO t SELECT * FROM u ON CONFLICT DO NOTHING", "ON CONFLICT"),
        ("SELECT * EXCLUDE (secret) FROM users", "SELECT * EXCLUDE"),
        ("SELECT * REPLACE (lower(name) AS name) FROM users", "SELECT * REPLACE"),
        ("SELECT * FROM a ASOF JOIN b ON a.t >= b.t", "ASOF JOIN"),
        ("SELECT count(*) FILTER (WHERE paid) FROM orders", "aggregate FILTER"),
        ("SELECT * FROM read_parquet('x.parquet')", "read_parquet"),
    ],
)
def test_constructs_redshift_lacks_raise_unsupported_naming_them(
    duckdb_sql: str, construct: str
) -> None:
    with pytest.raises(UnsupportedSqlError, match=construct.replace("*", r"\*")) as caught:
        to_redshift(duckdb_sql)
    assert caught.value.status == 400
    assert caught.value.sql == duckdb_sql


def test_create_or_replace_view_is_still_allowed() -> None:
    assert to_redshift("CREATE OR REPLACE VIEW v AS SELECT 1 AS a").startswith(
        "CREATE OR REPLACE VIEW v"
    )


def test_unparsable_sql_is_a_query_failure() -> None:
    with pytest.raises(QueryFailedError, match="cannot parse SQL"):
        to_redshift("SELECT FROM WHERE (")


def test_inline_parameters_become_literals() -> None:
    translated = to_redshift(
        "SELECT * FROM t WHERE a = $a AND b = $b AND c = $c", inline={"a": None, "b": ""}
    )
    assert translated == "SELECT * FROM t WHERE a = NULL AND b = '' AND c = :c"


def test_several_statements_translate_each() -> None:
    assert to_redshift("SELECT current_timestamp; SELECT 2 -- done") == (
        "SELECT GETDATE(); SELECT 2 /* done */"
    )


def test_split_keeps_semicolons_inside_strings_identifiers_and_comments() -> None:
    script = """
    -- setup; part one
    CREATE TABLE "odd;name" (v VARCHAR);
    INSERT INTO "odd;name" VALUES ('a;b'), ($$c;d$$);;
    /* block; comment */ SELECT 1
    ;
    -- trailing; comment only
    """
    assert split_statements(script) == [
        '-- setup; part one\n    CREATE TABLE "odd;name" (v VARCHAR)',
        "INSERT INTO \"odd;name\" VALUES ('a;b'), ($$c;d$$)",
        "/* block; comment */ SELECT 1",
    ]


def test_split_of_blank_or_comment_only_text_is_empty() -> None:
    assert split_statements("  ;; -- nothing here\n") == []


def test_parameter_names_ignore_dollars_in_strings_and_comments() -> None:
    sql = "SELECT '$a', \"$b\", $c, $end, $c -- $d\n/* $e */ FROM t WHERE x = $$f $g$$"
    assert parameter_names(sql) == {"c", "end"}


def test_unterminated_string_is_a_query_failure() -> None:
    with pytest.raises(QueryFailedError, match="cannot read SQL"):
        split_statements("SELECT 'oops")


@pytest.mark.parametrize(
    ("sql", "params", "message", "names"),
    [
        ("SELECT $a, $b", {"a": 1}, r"no value for \$b", ("b",)),
        ("SELECT $a", {"a": 1, "z": 2, "y": 3}, "not used in the SQL: y, z", ("y", "z")),
        ("SELECT 1", {"a": 1}, "not used in the SQL: a", ("a",)),
        ("SELECT $a", None, r"no value for \$a", ("a",)),
        ("SELECT $a", {"a": {"nested": 1}}, "'a' has unsupported type dict", ("a",)),
        ("SELECT ?", None, "positional placeholder", ("?",)),
        ("SELECT $2", {"2": 1}, r"placeholder \$2 is not supported", ("$2",)),
        ("SELECT $ a", {"a": 1}, "must be followed by a parameter name", ("$",)),
    ],
)
def test_parameter_mismatches_name_the_parameter(
    sql: str, params: dict[str, object] | None, message: str, names: tuple[str, ...]
) -> None:
    with pytest.raises(InvalidArgumentError, match=message) as caught:
        check_parameters(sql, params)
    assert caught.value.names == names


def test_matching_parameters_pass_through() -> None:
    assert check_parameters("SELECT $a, $a, $b", {"a": 1, "b": None}) == {"a": 1, "b": None}
