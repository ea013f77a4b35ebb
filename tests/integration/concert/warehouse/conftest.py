"""A local processed zone and an in-memory DuckDB warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from foundation.objectstore.local import LocalObjectStore
from foundation.warehouse import Warehouse
from foundation.warehouse.duckdb_warehouse import DuckDbWarehouse
from tests.integration.concert.warehouse.lake import write_lake


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "processed", fsync=False)


@pytest.fixture
def lake(store: LocalObjectStore) -> LocalObjectStore:
    write_lake(store)
    return store


@pytest.fixture
def warehouse() -> Iterator[Warehouse]:
    with DuckDbWarehouse() as warehouse:
        yield warehouse
