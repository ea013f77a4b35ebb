"""The table port: items addressed by a partition key and an optional sort key.

The model is DynamoDB's, kept small: string keys, sparse global secondary
indexes, a TTL attribute, conditional writes, queries inside one partition with
cursor paging, batch writes and atomic counters. Every adapter passes the same
contract suite (``tests/contract/test_table_contract.py``).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from foundation.errors import ConfigurationError
from foundation.health import HealthStatus
from foundation.table.conditions import Condition, SortKeyCondition
from foundation.table.exceptions import InvalidItemError, InvalidQueryError

Item = dict[str, Any]
"""An item: JSON types only (str, int, float, bool, None, list, dict)."""

# DynamoDB limits, enforced by every adapter so local code cannot rely on more.
_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_PARTITION_KEY_BYTES = 2048
_SORT_KEY_BYTES = 1024


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """A global secondary index: items having ``partition_key`` (and ``sort_key``, if set)."""

    name: str
    partition_key: str
    sort_key: str | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ConfigurationError(f"index name {self.name!r} must match {_NAME.pattern}")


@dataclass(frozen=True, slots=True)
class TableSpec:
    """What a table looks like; the same spec creates the SQLite schema and the DynamoDB table."""

    name: str
    partition_key: str = "pk"
    sort_key: str | None = "sk"
    indexes: tuple[IndexSpec, ...] = ()
    ttl_attribute: str | None = "expires_at"
    key_attributes: frozenset[str] = field(init=False, repr=False, compare=False)
    """Every attribute used as a key by the table or an index (all strings)."""
    _index_keys: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        table_keys = {key for key in (self.partition_key, self.sort_key) if key is not None}
        index_keys = {
            key
            for index in self.indexes
            for key in (index.partition_key, index.sort_key)
            if key is not None
        } - table_keys
        # Derived once: validate() runs on every write.
        object.__setattr__(self, "key_attributes", frozenset(table_keys | index_keys))
        object.__setattr__(self, "_index_keys", tuple(sorted(index_keys)))
        if not _NAME.match(self.name):
            raise ConfigurationError(f"table name {self.name!r} must match {_NAME.pattern}")
        if self.partition_key == self.sort_key:
            raise ConfigurationError(f"table {self.name!r}: partition and sort key are the same")
        names = [index.name for index in self.indexes]
        if len(set(names)) != len(names):
            raise ConfigurationError(f"table {self.name!r}: duplicate index name in {names}")
        if self.ttl_attribute in self.key_attributes:
            raise ConfigurationError(f"table {self.name!r}: ttl attribute is a key attribute")

    def index(self, name: str) -> IndexSpec:
        """The index called ``name``; raises InvalidQueryError when the table has none."""
        for index in self.indexes:
            if index.name == name:
                return index
        raise InvalidQueryError("index", f"table {self.name!r} has no index {name!r}", name)

    def key(self, partition: str, sort: str | None) -> tuple[str, str | None]:
        """Check a key given as arguments; returns it unchanged."""
        return self._checked_key(partition, sort)

    def _checked_key(self, partition: object, sort: object) -> tuple[str, str | None]:
        partition = _check_key_value(self.partition_key, partition, _PARTITION_KEY_BYTES)
        if self.sort_key is None:
            if sort is not None:
                raise InvalidItemError("sort", f"table {self.name!r} has no sort key", sort)
            return partition, None
        return partition, _check_key_value(self.sort_key, sort, _SORT_KEY_BYTES)

    def validate(self, item: Mapping[str, Any]) -> tuple[str, str | None]:
        """Check an item before writing it and return its primary key.

        Raises InvalidItemError naming the attribute when a table key attribute is
        missing, a key attribute (of the table or of an index) is not a non-empty
        string, or the TTL attribute is neither a number nor None.
        """
        partition = item.get(self.partition_key)
        sort = None if self.sort_key is None else item.get(self.sort_key)
        for name in self._index_keys:
            if name in item:
                _check_key_value(name, item[name], _PARTITION_KEY_BYTES)
        if self.ttl_attribute is not None:
            ttl = item.get(self.ttl_attribute)
            if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int | float)):
                raise InvalidItemError(self.ttl_attribute, "must be epoch seconds or None", ttl)
        return self._checked_key(partition, sort)

    def query_target(
        self, partition: str, index: str | None, sort: SortKeyCondition | None, limit: int | None
    ) -> IndexSpec:
        """Check the arguments of ``Table.query``; returns the keys it reads.

        That is the named index, or the table's own keys as an IndexSpec named
        after the table. Raises InvalidQueryError naming the bad argument.
        """
        if not isinstance(partition, str) or not partition:
            raise InvalidQueryError("partition", "must be a non-empty string", partition)
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 1
        ):
            raise InvalidQueryError("limit", "must be a positive int or None", limit)
        if index is None:
            target = IndexSpec(self.name, self.partition_key, self.sort_key)
        else:
            target = self.index(index)
        if sort is not None and target.sort_key is None:
            raise InvalidQueryError("sort", f"{target.name!r} has no sort key")
        return target

    def check_counter(self, attribute: str, amount: int) -> None:
        """Check the arguments of ``Table.increment``: a non-key attribute and an int amount."""
        if attribute in self.key_attributes:
            raise InvalidItemError(attribute, "a key attribute cannot be a counter")
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise InvalidItemError(attribute, "the increment must be an int", amount)

    def is_expired(self, item: Mapping[str, Any], now: float) -> bool:
        """Whether the item's TTL (epoch seconds) is at or before ``now``."""
        if self.ttl_attribute is None:
            return False
        ttl = item.get(self.ttl_attribute)
        return isinstance(ttl, int | float) and not isinstance(ttl, bool) and ttl <= now


def _check_key_value(attribute: str, value: object, max_bytes: int) -> str:
    if value is None:
        raise InvalidItemError(attribute, "key attribute is missing")
    if not isinstance(value, str) or not value:
        raise InvalidItemError(attribute, "key attribute must be a non-empty string", value)
    # Four bytes per character at most: only long values need encoding to be measured.
    if len(value) * 4 > max_bytes and len(value.encode("utf-8", "surrogatepass")) > max_bytes:
        raise InvalidItemError(attribute, f"key attribute is longer than {max_bytes} bytes")
    return value


@dataclass(frozen=True, slots=True)
class Page:
    """One page of query results; pass ``cursor`` back to ``query`` for the next one."""

    items: list[Item]
    cursor: str | None


class Table(ABC):
    """A table of items addressed by ``spec.partition_key`` and ``spec.sort_key``.

    Contract shared by every adapter:

    - Key attribute values (table and index keys) are non-empty strings; a bad
      or missing one raises InvalidItemError naming the attribute.
    - Numbers come back as int when integral and as float otherwise (floats
      round-trip exactly).
    - An item whose TTL attribute (epoch seconds) is at or before now is
      expired: ``get`` and ``query`` never return it and conditions treat it as
      absent, whether or not the backend has physically deleted it yet.
    - Conditional writes are atomic; a failed condition raises
      ConditionFailedError naming the key and leaves the item unchanged.
    - Queries through an index may lag writes on DynamoDB (GSIs are eventually
      consistent); ``get`` and queries on the table itself read the latest write.
    """

    backend: ClassVar[str]
    spec: TableSpec

    @abstractmethod
    def create_if_missing(self) -> None:
        """Create the table, its indexes and TTL if they do not exist; safe to call again."""

    @abstractmethod
    def put(self, item: Item, *, condition: Condition | None = None) -> None:
        """Create or replace the item with the item's key, if ``condition`` holds."""

    @abstractmethod
    def get(self, partition: str, sort: str | None = None) -> Item | None:
        """The live item with this key, or None."""

    @abstractmethod
    def delete(
        self, partition: str, sort: str | None = None, *, condition: Condition | None = None
    ) -> None:
        """Delete the item with this key if ``condition`` holds; deleting nothing is fine."""

    @abstractmethod
    def query(
        self,
        partition: str,
        *,
        sort: SortKeyCondition | None = None,
        index: str | None = None,
        limit: int | None = None,
        ascending: bool = True,
        cursor: str | None = None,
    ) -> Page:
        """Live items whose (index) partition key is ``partition``, ordered by sort key.

        With ``index`` the partition and sort condition apply to that index's keys
        and only items having them are found. ``limit=None`` returns every match
        with ``cursor=None``; with a limit, a page holds at most ``limit`` items and
        ``cursor`` resumes after the last one. ``cursor`` is None once the end is
        known to be reached; a non-None cursor may still lead to an empty last page.
        """

    @abstractmethod
    def batch_put(self, items: Iterable[Item]) -> None:
        """Write many items unconditionally; the last one wins when keys repeat.

        Every item is validated before anything is written. Not atomic on DynamoDB.
        """

    @abstractmethod
    def increment(self, partition: str, sort: str | None, attribute: str, amount: int = 1) -> int:
        """Atomically add ``amount`` to a numeric attribute and return the new value.

        A missing (or expired) item is created as just its key and the counter.
        """

    @abstractmethod
    def check(self) -> HealthStatus:
        """Probe the backend cheaply (the table must exist)."""

    def close(self) -> None:  # noqa: B027 - optional hook, most adapters hold nothing
        """Release connections; the table must not be used afterwards."""


__all__ = ["IndexSpec", "Item", "Page", "Table", "TableSpec"]
