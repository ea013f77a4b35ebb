"""The model registry: every ``.sql`` file with its spec, its layer and what it reads.

Dependencies are not kept by hand: each model's SQL is parsed with sqlglot and
the tables it reads (minus its own CTEs) are its dependencies. A model may
read other models and the ``raw_<entity>`` tables, nothing else, and the
graph must have no cycle; the build order is a topological order of it.

Shared SQL: the staging models all keep the latest row per key of a raw table
(by ``_ingested_at``, then ``_batch_id``), written once in ``sql/latest_rows.sql``
as a chain of CTEs ending in ``latest``. A model whose first line is
``-- latest rows of <raw table> by <key column>`` is composed on loading: that
file, with ``{source}`` and ``{key}`` filled in (``str.format``, so a brace meant
literally is doubled), goes in front of the model's own CTEs, which read
``latest``. The result is one plain query like any other model's, so it runs
unchanged in DuckDB, translates to Redshift with sqlglot, and is what
:attr:`Model.sql` holds; no engine macro is involved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from concert.domain import ENTITIES
from concert.warehouse.checks import ModelSpec, ModelTest
from concert.warehouse.ddl import raw_table_name
from concert.warehouse.exceptions import ModelDefinitionError
from concert.warehouse.sql.models import MODELS

SQL_ROOT = Path(__file__).parent / "sql"
LAYERS = ("staging", "core", "marts")
RAW_TABLES = frozenset(raw_table_name(entity) for entity in ENTITIES)
LATEST_ROWS_SQL = SQL_ROOT / "latest_rows.sql"
_LATEST_ROWS_HEADER = re.compile(r"-- latest rows of (?P<source>\w+) by (?P<key>\w+)")


@dataclass(frozen=True, slots=True)
class Model:
    """One SQL model: a SELECT materialised as a table named after its file."""

    name: str
    layer: str
    sql: str
    spec: ModelSpec
    depends_on: frozenset[str]  # other models
    sources: frozenset[str]  # raw tables

    @property
    def description(self) -> str:
        return self.spec.description

    @property
    def tests(self) -> tuple[ModelTest, ...]:
        return self.spec.all_tests()

    def build_sql(self) -> str:
        """The statements that (re)build the model's table. Not ``CREATE OR REPLACE
        TABLE``: that is DuckDB-only, while DROP + CREATE TABLE AS translates to Redshift."""
        return f"drop table if exists {self.name};\ncreate table {self.name} as\n{self.sql}"


def read_tables(sql: str, *, model: str = "<sql>") -> frozenset[str]:
    """Names of the tables a query reads, without the names of its own CTEs."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except ParseError as exc:
        raise ModelDefinitionError(f"model {model} does not parse: {exc}", model=model) from exc
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    tables = {table.name.lower() for table in tree.find_all(exp.Table)}
    return frozenset(tables - ctes)


def compose(name: str, sql: str) -> str:
    """The query a model runs: its file's SQL, with the shared latest-rows CTEs put in
    front when its first line is ``-- latest rows of <raw table> by <key column>``."""
    lines = sql.splitlines()
    header = _LATEST_ROWS_HEADER.fullmatch(lines[0].strip()) if lines else None
    if header is None:
        return sql
    # The comment lines stay on top; the CTE chain after them continues the shared one.
    start = next(
        (i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("--")),
        len(lines),
    )
    body = "\n".join(lines[start:])
    if not re.match(r"with\s", body):
        raise ModelDefinitionError(
            f"model {name} reads latest rows, so its SQL after the comments must be a CTE "
            "chain starting with 'with'",
            model=name,
        )
    shared = LATEST_ROWS_SQL.read_text(encoding="utf-8").strip()
    ctes = shared.format(source=header["source"], key=header["key"])
    return "\n".join([*lines[:start], f"{ctes},", "", body.removeprefix("with").lstrip()])


def _discover() -> dict[str, tuple[str, Path]]:
    found: dict[str, tuple[str, Path]] = {}
    for layer in LAYERS:
        for path in sorted((SQL_ROOT / layer).glob("*.sql")):
            if path.stem in found:
                raise ModelDefinitionError(
                    f"model {path.stem} is defined in {found[path.stem][0]} and {layer}",
                    model=path.stem,
                )
            found[path.stem] = (layer, path)
    return found


@cache
def load_models() -> dict[str, Model]:
    """Every model by name, in build order (dependencies first)."""
    files = _discover()
    for name in sorted(MODELS.keys() - files.keys()):
        raise ModelDefinitionError(f"model {name} has a spec but no {name}.sql", model=name)
    for name in sorted(files.keys() - MODELS.keys()):
        raise ModelDefinitionError(
            f"model {name} ({files[name][1].name}) has no spec in sql/models.py", model=name
        )
    models = {}
    for name, (layer, path) in files.items():
        sql = compose(name, path.read_text(encoding="utf-8").strip().rstrip(";"))
        tables = read_tables(sql, model=name)
        unknown = sorted(tables - files.keys() - RAW_TABLES)
        if unknown:
            raise ModelDefinitionError(
                f"model {name} reads {', '.join(unknown)}, which is neither a model "
                "nor a raw_<entity> table",
                model=name,
            )
        models[name] = Model(
            name, layer, sql, MODELS[name], tables & files.keys(), tables & RAW_TABLES
        )
    return {name: models[name] for name in build_order(models)}


def build_order(models: dict[str, Model]) -> list[str]:
    """A topological order of the models; among ready ones, by layer, then name."""
    sorter = TopologicalSorter({name: model.depends_on for name, model in models.items()})
    try:
        sorter.prepare()
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise ModelDefinitionError(
            f"models depend on each other: {cycle} (each is read by the next)", model=exc.args[1][0]
        ) from exc
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=lambda n: (LAYERS.index(models[n].layer), n))
        order.extend(ready)
        sorter.done(*ready)
    return order


__all__ = [
    "LATEST_ROWS_SQL",
    "LAYERS",
    "RAW_TABLES",
    "SQL_ROOT",
    "Model",
    "build_order",
    "compose",
    "load_models",
    "read_tables",
]
