"""Our one SQL dialect (DuckDB's) and its translation to Redshift with sqlglot.

SQL is written once, with named parameters written ``$name``. DuckDB runs it
as is; :func:`to_redshift` turns it into Redshift SQL whose parameters are
written ``:name`` as the Redshift Data API expects. Constructs sqlglot reports
as unsupported, and DuckDB-only constructs sqlglot would pass through silently,
raise :class:`UnsupportedSqlError` naming the construct.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, TokenError, UnsupportedError
from sqlglot.tokenizer_core import Token, TokenType

from foundation.warehouse.exceptions import (
    InvalidArgumentError,
    QueryFailedError,
    UnsupportedSqlError,
)

READ_DIALECT = "duckdb"
WRITE_DIALECT = "redshift"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Values both engines bind the same way; lists, dicts and bytes have no Data API form.
PARAMETER_TYPES: tuple[type, ...] = (str, bool, int, float, Decimal, date, datetime, time)


@dataclass(frozen=True, slots=True)
class ScannedSql:
    """The statements of a SQL text (original text, comments kept) and its parameter names."""

    statements: tuple[str, ...]
    parameters: frozenset[str]


@lru_cache(maxsize=512)
def scan(sql: str) -> ScannedSql:
    """Split ``sql`` at top-level semicolons and collect its ``$name`` placeholders.

    Uses sqlglot's tokenizer, so semicolons and ``$`` inside strings, quoted
    identifiers and comments are not mistaken for separators or parameters.
    """
    try:
        tokens = sqlglot.tokenize(sql, read=READ_DIALECT)
    except TokenError as exc:
        raise QueryFailedError(f"cannot read SQL: {exc}", sql=sql) from exc
    statements: list[str] = []
    parameters: set[str] = set()
    segment_start = 0
    segment_has_tokens = False
    for index, token in enumerate(tokens):
        if token.token_type is TokenType.SEMICOLON:
            if segment_has_tokens:
                statements.append(sql[segment_start : token.start].strip())
            segment_start, segment_has_tokens = token.end + 1, False
            continue
        segment_has_tokens = True
        if token.token_type is TokenType.PLACEHOLDER:
            raise InvalidArgumentError(
                "positional placeholder '?' is not supported; write named parameters as $name",
                names=("?",),
            )
        if token.token_type is TokenType.PARAMETER:
            parameters.add(_parameter_name(token, tokens[index + 1 : index + 2]))
    if segment_has_tokens:
        statements.append(sql[segment_start:].strip())
    return ScannedSql(tuple(statements), frozenset(parameters))


def _parameter_name(dollar: Token, following: list[Token]) -> str:
    name_token = following[0] if following else None
    if name_token is None or name_token.start != dollar.end + 1:
        raise InvalidArgumentError("a '$' must be followed by a parameter name", names=("$",))
    if not _NAME.fullmatch(name_token.text):
        raise InvalidArgumentError(
            f"placeholder ${name_token.text} is not supported; write named parameters as $name",
            names=(f"${name_token.text}",),
        )
    return name_token.text


def split_statements(sql: str) -> list[str]:
    """The statements of a script, each as written (without its ``;``); empty ones dropped."""
    return list(scan(sql).statements)


def parameter_names(sql: str) -> frozenset[str]:
    """Names of the ``$name`` placeholders in ``sql``."""
    return scan(sql).parameters


def single_statement(sql: str) -> str:
    """``sql`` itself when it holds exactly one statement; otherwise a clear error."""
    statements = scan(sql).statements
    if len(statements) != 1:
        raise QueryFailedError(
            f"expected one SQL statement, got {len(statements)}; use execute_script for several",
            sql=sql,
        )
    return statements[0]


def check_parameters(sql: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters to bind, after checking they match the placeholders one to one."""
    given = dict(params or {})
    expected = scan(sql).parameters
    missing = sorted(expected - given.keys())
    unused = sorted(given.keys() - expected)
    if missing or unused:
        problems = []
        if missing:
            problems.append("no value for " + ", ".join(f"${name}" for name in missing))
        if unused:
            problems.append("not used in the SQL: " + ", ".join(unused))
        raise InvalidArgumentError("parameters: " + "; ".join(problems), names=(*missing, *unused))
    for name, value in given.items():
        if value is not None and not isinstance(value, PARAMETER_TYPES):
            raise InvalidArgumentError(
                f"parameter {name!r} has unsupported type {type(value).__name__}; "
                "use str, bool, int, float, Decimal, date, datetime, time or None",
                names=(name,),
            )
    return given


# DuckDB-only constructs that sqlglot writes out unchanged although Redshift rejects them.
_DUCKDB_ONLY: tuple[tuple[type[exp.Expr], Callable[[Any], str | None]], ...] = (
    (
        exp.Create,
        lambda node: (
            "CREATE OR REPLACE TABLE"
            if node.args.get("replace") and node.args.get("kind") == "TABLE"
            else None
        ),
    ),
    (exp.Insert, lambda node: "INSERT ... ON CONFLICT" if node.args.get("conflict") else None),
    (
        exp.Insert,
        lambda node: (
            f"INSERT OR {node.args['alternative']}" if node.args.get("alternative") else None
        ),
    ),
    (exp.Star, lambda node: "SELECT * EXCLUDE" if node.args.get("except_") else None),
    (exp.Star, lambda node: "SELECT * REPLACE" if node.args.get("replace") else None),
    (exp.Join, lambda node: "ASOF JOIN" if node.args.get("method") == "ASOF" else None),
    (exp.Filter, lambda _node: "aggregate FILTER (WHERE ...); write SUM(CASE WHEN ... END)"),
    (exp.ReadParquet, lambda _node: "read_parquet() (load files with load_parquet instead)"),
    (exp.ReadCSV, lambda _node: "read_csv() (load files with load_parquet instead)"),
)


def _reject_duckdb_only(tree: exp.Expr, sql: str) -> None:
    for node_type, describe in _DUCKDB_ONLY:
        for node in tree.find_all(node_type):
            construct = describe(node)
            if construct is not None:
                raise UnsupportedSqlError(construct, sql=sql)


def to_redshift(sql: str, *, inline: Mapping[str, Any] | None = None) -> str:
    """Translate one or more DuckDB-dialect statements into Redshift SQL.

    ``$name`` placeholders become ``:name``; those named in ``inline`` are
    replaced by SQL literals instead (the Data API cannot bind NULL or an empty
    string). Several statements come back joined by ``;``.
    """
    literals = tuple(sorted((inline or {}).items()))
    return _to_redshift(sql, literals)


@lru_cache(maxsize=512)
def _to_redshift(sql: str, literals: tuple[tuple[str, Any], ...]) -> str:
    inline = dict(literals)

    def rewrite_placeholder(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Placeholder):
            return node
        if node.name in inline:
            return exp.convert(inline[node.name])
        return exp.var(f":{node.name}")

    try:
        trees = sqlglot.parse(sql, read=READ_DIALECT)
    except (ParseError, TokenError) as exc:
        raise QueryFailedError(f"cannot parse SQL: {exc}", sql=sql) from exc
    statements = []
    for tree in trees:
        if tree is None or isinstance(tree, exp.Semicolon):
            continue  # empty statements and stand-alone comments
        _reject_duckdb_only(tree, sql)
        rewritten = tree.transform(rewrite_placeholder)
        try:
            statements.append(
                rewritten.sql(
                    dialect=WRITE_DIALECT, pretty=False, unsupported_level=ErrorLevel.RAISE
                )
            )
        except UnsupportedError as exc:
            raise UnsupportedSqlError(str(exc), sql=sql) from exc
    return "; ".join(statements)


__all__ = [
    "PARAMETER_TYPES",
    "ScannedSql",
    "check_parameters",
    "parameter_names",
    "scan",
    "single_statement",
    "split_statements",
    "to_redshift",
]
