"""What a model declares about itself: a description, its key, and the tests its rows must pass.

Every test is a query for the rows that break it, written in DuckDB's dialect
like the models, so it runs on every warehouse; a test passes when that query
finds nothing. Each model is tested for a unique, non-null key, plus the
relationships, accepted values and business rules its spec lists.
"""

# ruff: noqa: S608 - tests are SQL composed from names declared in code, never from input

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class ModelTest(ABC):
    """A check on a model's rows; ``failing_rows`` selects the rows that break it."""

    kind: ClassVar[str]

    @property
    @abstractmethod
    def name(self) -> str:
        """A short, unique (per model) name saying what is checked."""

    @abstractmethod
    def failing_rows(self, model: str) -> str:
        """A query for the rows of ``model`` that break the test."""

    def count_sql(self, model: str) -> str:
        """A query returning one row: ``failures``, the number of failing rows."""
        return f"select count(*) as failures from ({self.failing_rows(model)}) as failing"


@dataclass(frozen=True, slots=True)
class Unique(ModelTest):
    """No two rows share the values of ``columns``."""

    columns: tuple[str, ...]
    kind: ClassVar[str] = "unique"

    @property
    def name(self) -> str:
        return f"unique({', '.join(self.columns)})"

    def failing_rows(self, model: str) -> str:
        columns = ", ".join(self.columns)
        return f"select {columns} from {model} group by {columns} having count(*) > 1"


@dataclass(frozen=True, slots=True)
class NotNull(ModelTest):
    column: str
    kind: ClassVar[str] = "not_null"

    @property
    def name(self) -> str:
        return f"not_null({self.column})"

    def failing_rows(self, model: str) -> str:
        return f"select {self.column} from {model} where {self.column} is null"


@dataclass(frozen=True, slots=True)
class Relationship(ModelTest):
    """Every non-null ``column`` value exists as ``to.field`` (a foreign key)."""

    column: str
    to: str
    field: str
    kind: ClassVar[str] = "relationships"

    @property
    def name(self) -> str:
        return f"relationships({self.column} -> {self.to}.{self.field})"

    def failing_rows(self, model: str) -> str:
        return (
            f"select child.{self.column} from {model} as child "
            f"left join {self.to} as parent on child.{self.column} = parent.{self.field} "
            f"where child.{self.column} is not null and parent.{self.field} is null"
        )


@dataclass(frozen=True, slots=True)
class AcceptedValues(ModelTest):
    """``column`` is null or one of ``values``."""

    column: str
    values: tuple[str, ...]
    kind: ClassVar[str] = "accepted_values"

    @property
    def name(self) -> str:
        return f"accepted_values({self.column})"

    def failing_rows(self, model: str) -> str:
        allowed = ", ".join(_literal(value) for value in self.values)
        return f"select {self.column} from {model} where {self.column} not in ({allowed})"


@dataclass(frozen=True, slots=True)
class Expression(ModelTest):
    """A business rule every row satisfies; rows where it is NULL are not counted as failures."""

    description: str
    expression: str
    kind: ClassVar[str] = "expression"

    @property
    def name(self) -> str:
        return self.description

    def failing_rows(self, model: str) -> str:
        return f"select * from {model} where not ({self.expression})"


@dataclass(frozen=True, slots=True)
class Query(ModelTest):
    """A business rule across tables: ``sql`` selects the violations (``{model}`` is replaced)."""

    description: str
    sql: str
    kind: ClassVar[str] = "query"

    @property
    def name(self) -> str:
        return self.description

    def failing_rows(self, model: str) -> str:
        return self.sql.replace("{model}", model)


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A model's description, its key (one or more columns) and its tests.

    ``not_null`` defaults to the key; give it when part of a key may be NULL.
    """

    description: str
    key: tuple[str, ...]
    tests: tuple[ModelTest, ...] = ()
    not_null: tuple[str, ...] | None = None

    def all_tests(self) -> tuple[ModelTest, ...]:
        required: Iterable[str] = self.key if self.not_null is None else self.not_null
        return (Unique(self.key), *(NotNull(column) for column in required), *self.tests)


__all__ = [
    "AcceptedValues",
    "Expression",
    "ModelSpec",
    "ModelTest",
    "NotNull",
    "Query",
    "Relationship",
    "Unique",
]
