"""An in-memory DuckDB warehouse and a loader for raw tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from foundation.warehouse import DuckDbWarehouse
from tests.integration.concert.quality.data import RawLoader, clean_rows


@pytest.fixture
def warehouse() -> Iterator[DuckDbWarehouse]:
    with DuckDbWarehouse(":memory:") as warehouse:
        yield warehouse


@pytest.fixture
def loader(warehouse: DuckDbWarehouse, tmp_path: Path) -> RawLoader:
    return RawLoader(warehouse, tmp_path)


@pytest.fixture
def clean() -> dict[str, list[dict[str, Any]]]:
    return clean_rows()
