"""Every statement the quality checks send to a warehouse translates to Redshift.

A DuckDB warehouse records what it is asked to run through the whole flow:
checks (whole tables and one batch), the duplicate report, saving the run and
every read the API makes. Each recorded statement must pass ``to_redshift``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from concert.quality import (
    latest_duplicates,
    latest_quality,
    quality_history,
    quality_scores,
    run_quality_checks,
)
from foundation.warehouse import DuckDbWarehouse, to_redshift
from tests.integration.concert.quality.data import (
    AS_OF,
    INGESTED_AT,
    SECOND_BATCH,
    RawLoader,
    clean_rows,
)


class RecordingWarehouse(DuckDbWarehouse):
    def __init__(self) -> None:
        super().__init__(":memory:")
        self.statements: list[str] = []
        self.recording = False

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        if self.recording:
            self.statements.append(sql)
        super().execute(sql, params)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        if self.recording:
            self.statements.append(sql)
        return super().query(sql, params)


def test_every_statement_of_a_full_flow_translates_to_redshift(tmp_path: Path) -> None:
    with RecordingWarehouse() as warehouse:
        loader = RawLoader(warehouse, tmp_path)
        data = clean_rows()
        data["artists"].append({"artist_id": "a9", "name": "Beatles, The", "popularity": 10})
        loader.load_all(data)
        loader.load(
            "ticket_sales", data["ticket_sales"][:2], SECOND_BATCH, INGESTED_AT + timedelta(hours=1)
        )
        warehouse.recording = True
        run = run_quality_checks(warehouse, as_of=AS_OF)
        run_quality_checks(warehouse, as_of=AS_OF, batch_id=SECOND_BATCH)
        latest_quality(warehouse)
        quality_scores(warehouse, entity="ticket_sales", batch_id=SECOND_BATCH)
        quality_history(warehouse, "artists")
        latest_duplicates(warehouse)

    assert run.duplicates, "the flow must exercise the duplicate report's storage"
    statements = set(warehouse.statements)
    assert any(sql.startswith("INSERT INTO duplicate_report") for sql in statements)
    assert len(statements) > 100
    untranslatable = {}
    for sql in statements:
        try:
            to_redshift(sql)
        except Exception as exc:
            untranslatable[sql[:120]] = str(exc)
    assert untranslatable == {}
