"""The declarative rule types: small frozen dataclasses, each rendering one SQL query.

A rule reads the loaded table ``raw_<entity>`` (the processed Parquet as
loaded, duplicates across batches included). *Row rules* (completeness,
validity, uniqueness, referential integrity, business rules) judge every row;
their query returns one row per batch with the rows checked, the rows failing
and up to :data:`SAMPLE_SIZE` failing keys, so one query gives both the
per-batch and the whole-table outcome. *Table rules* (freshness) judge the
table as a whole.

Every query is written in DuckDB's dialect and must translate to Redshift with
:func:`foundation.warehouse.dialect.to_redshift`; the only parameters are
``$as_of`` (the moment the checks judge against) and ``$batch_id``. A row
passes when its predicate is true: a predicate that is NULL counts as a
failure, so validity predicates say explicitly that a missing value is fine
(completeness rules are the ones that judge NULLs).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

import pyarrow as pa

from concert.domain import ENTITIES
from concert.domain.schema import arrow_schema
from concert.quality.exceptions import RuleDefinitionError

#: Failing keys kept per rule and batch, to show what is wrong.
SAMPLE_SIZE = 5
#: The checked table's alias in every query.
ALIAS = "t"
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
# Classes that RE2 (DuckDB) knows but POSIX regular expressions (Redshift) do not.
_NON_POSIX = re.compile(r"\\[dDwWsSbB]|\(\?")


def raw_table(entity: str) -> str:
    """The warehouse table that holds an entity's processed rows as loaded."""
    return f"raw_{entity}"


def sql_literal(value: object) -> str:
    """A SQL literal both engines read the same way."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return f"TIMESTAMPTZ '{value.isoformat()}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {value!r}")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Scope(StrEnum):
    ROW = "row"
    TABLE = "table"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one query found for one batch (``batch_id`` None: the whole table)."""

    batch_id: str | None
    checked: int
    failed: int
    samples: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule(ABC):
    """A check on one entity's loaded rows, with an id, a severity and a pass threshold.

    The rule passes when its pass rate (rows passing / rows checked) is at
    least ``threshold`` (0-1).
    """

    id: str
    entity: str
    description: str
    severity: Severity = Severity.ERROR
    threshold: float = 1.0

    kind: ClassVar[str]
    scope: ClassVar[Scope] = Scope.ROW

    def __post_init__(self) -> None:
        if not self.id:
            raise RuleDefinitionError("the id must not be empty", rule=self.id)
        if self.entity not in ENTITIES:
            raise RuleDefinitionError(
                f"unknown entity {self.entity!r}; expected one of {', '.join(ENTITIES)}",
                rule=self.id,
            )
        if not 0.0 <= self.threshold <= 1.0:
            raise RuleDefinitionError(
                f"threshold must be between 0 and 1, got {self.threshold}", rule=self.id
            )
        self._validate()

    @abstractmethod
    def _validate(self) -> None:
        """Check the rule's columns against the entity's schema (raise RuleDefinitionError)."""

    def _column_type(self, column: str) -> pa.DataType:
        schema = arrow_schema(ENTITIES[self.entity])
        if column not in schema.names:
            raise RuleDefinitionError(
                f"{self.entity} has no column {column!r}", rule=self.id, column=column
            )
        return schema.field(column).type

    @property
    def key(self) -> str:
        return ENTITIES[self.entity].key

    def tables(self) -> tuple[str, ...]:
        """The warehouse tables the query reads; the engine skips the rule when one is missing."""
        return (raw_table(self.entity),)

    @abstractmethod
    def sql(self, *, batch_scoped: bool) -> str:
        """The one query that checks the rule (only batch ``$batch_id`` if ``batch_scoped``)."""

    @abstractmethod
    def outcomes(self, rows: list[dict[str, Any]]) -> list[Outcome]:
        """Read the query's rows back as one outcome per batch (or one for the table)."""


@dataclass(frozen=True, slots=True)
class Lookup:
    """Columns of a parent entity, joined on a foreign key, one row per parent key.

    ``columns`` maps output names to aggregates over the parent's rows (a raw
    table may hold a key several times, once per batch that delivered it).
    The join exposes ``{alias}_key`` and the output names, which must not
    clash with the checked entity's columns.
    """

    alias: str
    entity: str
    via: str
    columns: tuple[tuple[str, str], ...] = ()

    @property
    def key_column(self) -> str:
        return f"{self.alias}_key"

    def join_sql(self) -> str:
        parent_key = ENTITIES[self.entity].key
        selected = [f"{parent_key} AS {self.key_column}"]
        selected += [f"{expression} AS {name}" for name, expression in self.columns]
        return (
            f"LEFT JOIN (SELECT {', '.join(selected)} FROM {raw_table(self.entity)} "  # noqa: S608 - names come from the models, never from input
            f"GROUP BY {parent_key}) AS {self.alias} "
            f"ON {ALIAS}.{self.via} = {self.alias}.{self.key_column}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RowRule(Rule):
    """A rule every row passes or fails: ``passes()`` is the SQL predicate of a good row."""

    @abstractmethod
    def passes(self) -> str:
        """A SQL predicate over the row (columns unqualified); NULL counts as failing."""

    def lookups(self) -> tuple[Lookup, ...]:
        return ()

    def tables(self) -> tuple[str, ...]:
        return (raw_table(self.entity), *(raw_table(lookup.entity) for lookup in self.lookups()))

    def _validate(self) -> None:
        own = set(arrow_schema(ENTITIES[self.entity]).names)
        for lookup in self.lookups():
            if lookup.entity not in ENTITIES:
                raise RuleDefinitionError(
                    f"lookup of unknown entity {lookup.entity!r}", rule=self.id
                )
            self._column_type(lookup.via)
            for name in (lookup.key_column, *(name for name, _ in lookup.columns)):
                if not _NAME.match(name) or name in own:
                    raise RuleDefinitionError(
                        f"lookup column {name!r} must be a new lowercase name", rule=self.id
                    )

    def sql(self, *, batch_scoped: bool) -> str:
        joins = "".join(f"\n    {lookup.join_sql()}" for lookup in self.lookups())
        scope = "\n    WHERE batch_id = $batch_id" if batch_scoped else ""
        # The batch filter comes after the evaluation: window predicates (uniqueness)
        # must see the whole table. Engines push it down through the other predicates.
        return f"""WITH evaluated AS (
    SELECT
        coalesce({ALIAS}.{self.key}, '(null)') AS record_key,
        {ALIAS}._batch_id AS batch_id,
        CASE WHEN {self.passes()} THEN 0 ELSE 1 END AS failed
    FROM {raw_table(self.entity)} AS {ALIAS}{joins}
),
scoped AS (
    SELECT record_key, batch_id, failed
    FROM evaluated{scope}
),
totals AS (
    SELECT batch_id, count(*) AS checked, sum(failed) AS failed
    FROM scoped
    GROUP BY batch_id
),
samples AS (
    SELECT
        batch_id,
        record_key,
        row_number() OVER (PARTITION BY batch_id ORDER BY record_key) AS sample_rank
    FROM scoped
    WHERE failed = 1
)
SELECT totals.batch_id, totals.checked, totals.failed, samples.record_key
FROM totals
LEFT JOIN samples
    ON samples.batch_id = totals.batch_id AND samples.sample_rank <= {SAMPLE_SIZE}
ORDER BY totals.batch_id, samples.record_key"""  # noqa: S608 - names come from the models, never from input

    def outcomes(self, rows: list[dict[str, Any]]) -> list[Outcome]:
        counts: dict[str, tuple[int, int]] = {}
        samples: defaultdict[str, list[str]] = defaultdict(list)
        for row in rows:
            counts.setdefault(row["batch_id"], (int(row["checked"]), int(row["failed"] or 0)))
            if row["record_key"] is not None:
                samples[row["batch_id"]].append(str(row["record_key"]))
        return [
            Outcome(batch_id, checked, failed, tuple(samples[batch_id]))
            for batch_id, (checked, failed) in counts.items()
        ]


@dataclass(frozen=True, slots=True, kw_only=True)
class Completeness(RowRule):
    """The column is present: not NULL, and for text not blank."""

    column: str
    kind: ClassVar[str] = "completeness"

    def _validate(self) -> None:
        self._column_type(self.column)

    def passes(self) -> str:
        if pa.types.is_string(self._column_type(self.column)):
            return f"{self.column} IS NOT NULL AND trim({self.column}) <> ''"
        # Nested columns are only checked for NULL: Redshift stores them as SUPER, and
        # no length function reads both a DuckDB LIST/MAP and a SUPER value.
        return f"{self.column} IS NOT NULL"


@dataclass(frozen=True, slots=True, kw_only=True)
class Range(RowRule):
    """The column, when present, lies between ``minimum`` and ``maximum`` (either may be open)."""

    column: str
    minimum: int | float | date | None = None
    maximum: int | float | date | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    kind: ClassVar[str] = "validity"

    def _validate(self) -> None:
        self._column_type(self.column)
        if self.minimum is None and self.maximum is None:
            raise RuleDefinitionError("a range needs a minimum or a maximum", rule=self.id)

    def passes(self) -> str:
        bounds = []
        if self.minimum is not None:
            bounds.append(
                f"{self.column} {'>' if self.exclusive_minimum else '>='} "
                f"{sql_literal(self.minimum)}"
            )
        if self.maximum is not None:
            bounds.append(
                f"{self.column} {'<' if self.exclusive_maximum else '<='} "
                f"{sql_literal(self.maximum)}"
            )
        return f"{self.column} IS NULL OR ({' AND '.join(bounds)})"


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptedValues(RowRule):
    """The column, when present, is one of ``values``."""

    column: str
    values: tuple[str, ...]
    kind: ClassVar[str] = "validity"

    def _validate(self) -> None:
        self._column_type(self.column)
        if not self.values:
            raise RuleDefinitionError("accepted values must not be empty", rule=self.id)

    def passes(self) -> str:
        allowed = ", ".join(sql_literal(value) for value in self.values)
        return f"{self.column} IS NULL OR {self.column} IN ({allowed})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Pattern(RowRule):
    """The text column, when present, matches ``regex`` (anchor it with ``^...$``).

    DuckDB matches with RE2 and Redshift with POSIX regular expressions, so
    the pattern must use what both read: classes, ranges, anchors and ``{m,n}``.
    """

    column: str
    regex: str
    kind: ClassVar[str] = "validity"

    def _validate(self) -> None:
        if not pa.types.is_string(self._column_type(self.column)):
            raise RuleDefinitionError(f"column {self.column!r} is not text", rule=self.id)
        if _NON_POSIX.search(self.regex):
            raise RuleDefinitionError(
                f"pattern {self.regex!r} uses a class POSIX regular expressions lack",
                rule=self.id,
            )

    def passes(self) -> str:
        return f"{self.column} IS NULL OR regexp_matches({self.column}, {sql_literal(self.regex)})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Expression(RowRule):
    """A SQL predicate every row satisfies (e.g. total = quantity x unit price).

    It may read the parents listed in ``lookups`` and the ``$as_of`` parameter.
    """

    predicate: str
    joins: tuple[Lookup, ...] = ()
    kind: ClassVar[str] = "validity"

    def lookups(self) -> tuple[Lookup, ...]:
        return self.joins

    def passes(self) -> str:
        return f"({self.predicate})"


@dataclass(frozen=True, slots=True, kw_only=True)
class BusinessRule(Expression):
    """An expression that says what the business expects rather than what the model allows."""

    kind: ClassVar[str] = "business"


@dataclass(frozen=True, slots=True, kw_only=True)
class Uniqueness(RowRule):
    """The key appears once in the table: every later copy of a key fails.

    Copies are ordered by ``_ingested_at`` then ``_batch_id``, so the batch that
    re-delivered a key is the one that fails (staging keeps the latest copy).
    """

    column: str
    kind: ClassVar[str] = "uniqueness"

    def _validate(self) -> None:
        self._column_type(self.column)

    def passes(self) -> str:
        return (
            f"{self.column} IS NULL OR row_number() OVER (PARTITION BY {self.column} "
            f"ORDER BY {ALIAS}._ingested_at, {ALIAS}._batch_id) = 1"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferentialIntegrity(RowRule):
    """Every non-NULL ``column`` value is the key of a loaded ``references`` row."""

    column: str
    references: str
    kind: ClassVar[str] = "referential_integrity"

    def _validate(self) -> None:
        if self.references not in ENTITIES:
            raise RuleDefinitionError(
                f"references unknown entity {self.references!r}", rule=self.id
            )
        RowRule._validate(self)

    def lookups(self) -> tuple[Lookup, ...]:
        return (Lookup(alias=f"parent_{self.column}", entity=self.references, via=self.column),)

    def passes(self) -> str:
        (lookup,) = self.lookups()
        return f"{self.column} IS NULL OR {lookup.alias}.{lookup.key_column} IS NOT NULL"


@dataclass(frozen=True, slots=True, kw_only=True)
class Freshness(Rule):
    """The newest ``column`` value is within ``max_age`` of ``$as_of``.

    A table rule: it is checked once per table (checked = 1), not per batch,
    and an empty table is stale. The sample shows the newest value found.
    """

    column: str
    max_age: timedelta
    kind: ClassVar[str] = "freshness"
    scope: ClassVar[Scope] = Scope.TABLE

    def _validate(self) -> None:
        if not pa.types.is_timestamp(self._column_type(self.column)):
            raise RuleDefinitionError(f"column {self.column!r} is not a timestamp", rule=self.id)
        if self.max_age <= timedelta(0):
            raise RuleDefinitionError("max_age must be positive", rule=self.id)

    def sql(self, *, batch_scoped: bool) -> str:
        seconds = int(self.max_age.total_seconds())
        return f"""SELECT
    max({ALIAS}.{self.column}) AS newest,
    CASE
        WHEN max({ALIAS}.{self.column})
            >= CAST($as_of AS TIMESTAMPTZ) - INTERVAL '{seconds} seconds'
        THEN 0 ELSE 1
    END AS failed
FROM {raw_table(self.entity)} AS {ALIAS}"""  # noqa: S608 - names come from the models, never from input

    def outcomes(self, rows: list[dict[str, Any]]) -> list[Outcome]:
        (row,) = rows
        newest = row["newest"]
        sample = f"newest {newest.isoformat()}" if newest is not None else "no rows"
        return [Outcome(None, 1, int(row["failed"]), (sample,) if row["failed"] else ())]


__all__ = [
    "ALIAS",
    "SAMPLE_SIZE",
    "AcceptedValues",
    "BusinessRule",
    "Completeness",
    "Expression",
    "Freshness",
    "Lookup",
    "Outcome",
    "Pattern",
    "Range",
    "ReferentialIntegrity",
    "RowRule",
    "Rule",
    "Scope",
    "Severity",
    "Uniqueness",
    "raw_table",
    "sql_literal",
]
