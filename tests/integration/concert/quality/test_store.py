"""Runs are persisted in warehouse tables and read back for the API and dashboards."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from concert.quality import (
    DuplicateReason,
    NoQualityRunError,
    latest_duplicates,
    latest_quality,
    quality_history,
    quality_scores,
    run_quality_checks,
)
from concert.quality.store import TABLES_DDL
from foundation.errors import BadRequestError
from foundation.warehouse import DuckDbWarehouse
from tests.integration.concert.quality.data import (
    AS_OF,
    FIRST_BATCH,
    INGESTED_AT,
    SECOND_BATCH,
    RawLoader,
)

Data = dict[str, list[dict[str, Any]]]


def test_reading_before_any_run_says_so(warehouse: DuckDbWarehouse) -> None:
    with pytest.raises(NoQualityRunError, match="no quality run"):
        latest_quality(warehouse)
    with pytest.raises(NoQualityRunError, match="no duplicate report"):
        latest_duplicates(warehouse)
    assert quality_scores(warehouse) == []
    assert quality_history(warehouse, "artists") == []


def test_a_run_is_stored_in_the_four_tables(loader: RawLoader, clean: Data) -> None:
    loader.load_all(clean)
    run = run_quality_checks(loader.warehouse, as_of=AS_OF, entities=["artists", "venues"])
    warehouse = loader.warehouse
    assert set(TABLES_DDL) <= set(warehouse.list_tables())

    def count(table: str) -> int:
        return int(warehouse.query(f"SELECT count(*) AS n FROM {table}").column("n")[0].as_py())

    assert count("quality_results") == len(run.results)
    assert count("quality_scores") == len(run.table_scores) + len(run.batch_scores) == 4
    assert count("quality_runs") == 1
    assert count("duplicate_report") == 0
    stored = warehouse.query(
        "SELECT sample_failures, passed FROM quality_results WHERE rule_id = $rule_id "
        "AND batch_id IS NULL",
        {"rule_id": "artists.name.complete"},
    ).to_pylist()
    assert stored == [{"sample_failures": "[]", "passed": True}]


def test_latest_quality_shows_each_table_from_its_latest_run(
    loader: RawLoader, clean: Data
) -> None:
    loader.load_all(clean)
    first = run_quality_checks(loader.warehouse, as_of=AS_OF)
    bad = dict(clean["artists"][0], artist_id="a9", popularity=150)
    loader.load("artists", [bad], SECOND_BATCH, INGESTED_AT + timedelta(hours=1))
    second = run_quality_checks(loader.warehouse, as_of=AS_OF, entities=["artists"])

    latest = latest_quality(loader.warehouse)
    assert latest["run_id"] == second.run_id > first.run_id
    tables = {row["entity"]: row for row in latest["tables"]}
    assert tables["artists"]["run_id"] == second.run_id
    assert tables["artists"]["score"] < 100.0
    assert tables["venues"]["run_id"] == first.run_id
    assert tables["venues"]["score"] == 100.0
    (failing,) = latest["failing_rules"]
    assert failing["rule_id"] == "artists.popularity.range"
    assert (failing["checked"], failing["failed"]) == (5, 1)
    assert failing["sample_failures"] == ["a9"]
    assert failing["severity"] == "error"


def test_history_and_scores_filter_by_entity_and_batch(loader: RawLoader, clean: Data) -> None:
    loader.load_all(clean)
    first = run_quality_checks(loader.warehouse, as_of=AS_OF, entities=["ticket_sales"])
    redelivered = clean["ticket_sales"][:1]
    loader.load("ticket_sales", redelivered, SECOND_BATCH, INGESTED_AT + timedelta(hours=1))
    second = run_quality_checks(loader.warehouse, as_of=AS_OF, entities=["ticket_sales"])

    history = quality_history(loader.warehouse, "ticket_sales")
    assert [row["run_id"] for row in history] == [second.run_id, first.run_id]
    assert history[0]["score"] < history[1]["score"] == 100.0
    assert all(row["batch_id"] is None for row in history)

    batch = quality_scores(loader.warehouse, batch_id=SECOND_BATCH)
    assert [(row["run_id"], row["entity"]) for row in batch] == [(second.run_id, "ticket_sales")]
    assert batch[0]["score"] < 100.0
    per_entity = quality_scores(loader.warehouse, entity="ticket_sales")
    assert [row["batch_id"] for row in per_entity] == [
        None,
        FIRST_BATCH,
        SECOND_BATCH,
        None,
        FIRST_BATCH,
    ]
    assert quality_scores(loader.warehouse, entity="ticket_sales", limit=2) == per_entity[:2]
    with pytest.raises(BadRequestError, match="unknown entity"):
        quality_history(loader.warehouse, "bands")


def test_the_duplicate_report_is_read_back_per_entity_from_its_latest_report(
    loader: RawLoader, clean: Data
) -> None:
    clean["artists"].append({"artist_id": "a9", "name": "Beatles, The", "popularity": 10})
    loader.load_all(clean)
    loader.load("ticket_sales", clean["ticket_sales"][:1], SECOND_BATCH)
    run = run_quality_checks(loader.warehouse, as_of=AS_OF)
    # A batch run builds no report: the latest report stays the full run's.
    run_quality_checks(loader.warehouse, as_of=AS_OF, batch_id=SECOND_BATCH)

    report = latest_duplicates(loader.warehouse)
    assert set(report.run_ids.values()) == {run.run_id}
    assert report.groups == run.duplicates
    reasons = {(g.entity, g.reason) for g in report.groups}
    assert reasons == {
        ("artists", DuplicateReason.SIMILAR_NAME),
        ("ticket_sales", DuplicateReason.SAME_KEY),
    }
    only_artists = latest_duplicates(loader.warehouse, entity="artists")
    assert [g.keys for g in only_artists.groups] == [("a3", "a9")]


def test_a_run_that_was_not_recorded_as_finished_stays_invisible(
    loader: RawLoader, clean: Data
) -> None:
    loader.load_all(clean)
    run = run_quality_checks(loader.warehouse, as_of=AS_OF, entities=["artists"])
    loader.warehouse.execute(
        "DELETE FROM quality_runs WHERE run_id = $run_id", {"run_id": run.run_id}
    )
    with pytest.raises(NoQualityRunError):
        latest_quality(loader.warehouse)
    assert quality_scores(loader.warehouse) == []
