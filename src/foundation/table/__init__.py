"""Table port: DynamoDB-shaped items (partition/sort keys, GSIs, TTL, conditional writes).

:class:`Table` is the port; :class:`SqliteTable` (one SQLite file in WAL mode,
the local default) and :class:`DynamoDbTable` (boto3, imported by its
constructor) are its adapters. Describe a table once with :class:`TableSpec`,
guard writes with :class:`ItemAbsent`, :class:`ItemExists` or
:class:`AttributeEquals`, and narrow queries with :class:`SortKey`.
"""

from __future__ import annotations

from foundation.table.base import IndexSpec, Item, Page, Table, TableSpec
from foundation.table.conditions import (
    AttributeEquals,
    Condition,
    ItemAbsent,
    ItemExists,
    SortKey,
    SortKeyCondition,
)
from foundation.table.dynamodb import DynamoDbTable
from foundation.table.exceptions import (
    ConditionFailedError,
    InvalidItemError,
    InvalidQueryError,
    TableUnavailableError,
)
from foundation.table.sqlite import SqliteTable

__all__ = [
    "AttributeEquals",
    "Condition",
    "ConditionFailedError",
    "DynamoDbTable",
    "IndexSpec",
    "InvalidItemError",
    "InvalidQueryError",
    "Item",
    "ItemAbsent",
    "ItemExists",
    "Page",
    "SortKey",
    "SortKeyCondition",
    "SqliteTable",
    "Table",
    "TableSpec",
    "TableUnavailableError",
]
