"""Each rule type passes on clean data and fails on planted problems with the right counts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from concert.domain import ENTITIES
from concert.quality import (
    CATALOG,
    InvalidQualityRequestError,
    QualityRun,
    RuleResult,
    run_quality_checks,
)
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
FRESHNESS = [rule for rule in CATALOG if rule.kind == "freshness"]


def _row(data: Data, entity: str, key: str) -> dict[str, Any]:
    field = {"artists": "artist_id", "venues": "venue_id", "concerts": "concert_id",
             "ticket_sales": "sale_id", "user_interactions": "interaction_id"}[entity]  # fmt: skip
    return next(row for row in data[entity] if row[field] == key)


def _table_result(run: QualityRun, rule_id: str) -> RuleResult:
    (result,) = [r for r in run.results if r.rule_id == rule_id and r.batch_id is None]
    return result


def _table_score(run: QualityRun, entity: str) -> float | None:
    (score,) = [s.score for s in run.table_scores if s.entity == entity]
    return score


def _check(loader: RawLoader, data: Data, entity: str) -> QualityRun:
    """Check one entity, with only it and the parents its rules read loaded."""
    parents = [foreign_key.entity for foreign_key in ENTITIES[entity].foreign_keys]
    loader.load_all({name: data[name] for name in dict.fromkeys([entity, *parents])})
    return run_quality_checks(loader.warehouse, as_of=AS_OF, entities=[entity], persist=False)


def test_clean_data_passes_every_rule_and_scores_100(loader: RawLoader, clean: Data) -> None:
    loader.load_all(clean)
    run = run_quality_checks(loader.warehouse, as_of=AS_OF, persist=False)
    assert run.failing() == []
    assert run.skipped == ()
    assert {s.entity: s.score for s in run.table_scores} == dict.fromkeys(clean, 100.0)
    assert {s.score for s in run.batch_scores} == {100.0}
    assert {r.kind for r in run.results} == {
        "completeness", "validity", "uniqueness", "referential_integrity", "freshness",
        "business",
    }  # fmt: skip
    sales_complete = _table_result(run, "ticket_sales.sale_id.complete")
    assert (sales_complete.checked, sales_complete.failed) == (6, 0)
    assert run.duplicates == ()


def _null_names(data: Data) -> None:
    _row(data, "artists", "a2")["name"] = None
    _row(data, "artists", "a4")["name"] = "   "


def _popularity_150(data: Data) -> None:
    _row(data, "artists", "a1")["popularity"] = 150


def _quantity_0(data: Data) -> None:
    _row(data, "ticket_sales", "s4")["quantity"] = 0


def _total_off_by_a_dollar(data: Data) -> None:
    _row(data, "ticket_sales", "s2")["total_price"] += 1.0


def _dangling_concert(data: Data) -> None:
    _row(data, "ticket_sales", "s5")["concert_id"] = "c404"


def _attendance_over_capacity(data: Data) -> None:
    _row(data, "concerts", "c1")["venue_id"] = "v3"  # 15,000 people in a 1,150 club


def _unknown_venue_type(data: Data) -> None:
    _row(data, "venues", "v2")["venue_type"] = "barn"


def _bad_session_id(data: Data) -> None:
    _row(data, "user_interactions", "i3")["session_id"] = "not an id!"


def _sold_after_the_show(data: Data) -> None:
    _row(data, "ticket_sales", "s3")["purchase_timestamp"] += timedelta(days=1)


def _sold_in_the_future(data: Data) -> None:
    _row(data, "ticket_sales", "s5")["purchase_timestamp"] = AS_OF + timedelta(days=2)


def _cancelled_with_revenue(data: Data) -> None:
    _row(data, "concerts", "c3")["revenue"] = 90.0


def _completed_before_it_happened(data: Data) -> None:
    _row(data, "concerts", "c2")["status"] = "completed"


def _interaction_without_subject(data: Data) -> None:
    _row(data, "user_interactions", "i1")["artist_id"] = None


def _dangling_interaction_artist(data: Data) -> None:
    _row(data, "user_interactions", "i1")["artist_id"] = "a404"


@pytest.mark.parametrize(
    ("plant", "rule_id", "failed", "samples"),
    [
        (_null_names, "artists.name.complete", 2, ("a2", "a4")),
        (_popularity_150, "artists.popularity.range", 1, ("a1",)),
        (_quantity_0, "ticket_sales.quantity.range", 1, ("s4",)),
        (_total_off_by_a_dollar, "ticket_sales.total_price.rule", 1, ("s2",)),
        (_dangling_concert, "ticket_sales.concert_id.references", 1, ("s5",)),
        (_attendance_over_capacity, "concerts.attendance_within_capacity", 1, ("c1",)),
        (_unknown_venue_type, "venues.venue_type.accepted", 1, ("v2",)),
        (_bad_session_id, "user_interactions.session_id.pattern", 1, ("i3",)),
        (_sold_after_the_show, "ticket_sales.sold_before_event", 1, ("s3",)),
        (_sold_in_the_future, "ticket_sales.not_in_the_future", 1, ("s5",)),
        (_cancelled_with_revenue, "concerts.cancelled_without_revenue", 1, ("c3",)),
        (_completed_before_it_happened, "concerts.completed_in_the_past", 1, ("c2",)),
        (_interaction_without_subject, "user_interactions.artist_id.rule", 1, ("i1",)),
        (_dangling_interaction_artist, "user_interactions.artist_id.references", 1, ("i1",)),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else None,
)
def test_a_planted_problem_fails_its_rule_with_the_right_count(
    loader: RawLoader,
    clean: Data,
    plant: Callable[[Data], None],
    rule_id: str,
    failed: int,
    samples: tuple[str, ...],
) -> None:
    plant(clean)
    entity = rule_id.split(".", maxsplit=1)[0]
    run = _check(loader, clean, entity)
    result = _table_result(run, rule_id)
    assert (result.checked, result.failed) == (len(clean[entity]), failed)
    assert result.sample_failures == samples
    assert not result.passed
    assert result.pass_rate == pytest.approx(1 - failed / len(clean[entity]))
    assert (_batch_result(run, rule_id, FIRST_BATCH).failed) == failed
    score = _table_score(run, entity)
    assert score is not None and score < 100.0


def test_a_small_share_of_bad_rows_passes_under_a_tolerant_threshold(
    loader: RawLoader, clean: Data
) -> None:
    extra = [dict(_row(clean, "ticket_sales", "s1"), sale_id=f"x{n:03d}") for n in range(200)]
    clean["ticket_sales"] += extra
    _sold_after_the_show(clean)  # 1 of 206 rows: above the 99 % threshold
    run = _check(loader, clean, "ticket_sales")
    result = _table_result(run, "ticket_sales.sold_before_event")
    assert result.failed == 1 and result.passed
    assert result.threshold == 0.99
    assert _table_score(run, "ticket_sales") < 100.0  # type: ignore[operator]


def test_duplicate_sale_ids_across_two_batches_fail_the_later_batch(
    loader: RawLoader, clean: Data
) -> None:
    loader.load_all(clean)
    redelivered = [_row(clean, "ticket_sales", "s1"), _row(clean, "ticket_sales", "s2")]
    loader.load("ticket_sales", redelivered, SECOND_BATCH, INGESTED_AT + timedelta(minutes=30))
    run = run_quality_checks(
        loader.warehouse, as_of=AS_OF, entities=["ticket_sales"], persist=False
    )
    unique = {r.batch_id: r for r in run.results if r.rule_id == "ticket_sales.sale_id.unique"}
    assert (unique[None].checked, unique[None].failed) == (8, 2)
    assert unique[None].sample_failures == ("s1", "s2")
    assert (unique[FIRST_BATCH].checked, unique[FIRST_BATCH].failed) == (6, 0)
    assert (unique[SECOND_BATCH].checked, unique[SECOND_BATCH].failed) == (2, 2)
    batches = {s.batch_id: s.score for s in run.batch_scores if s.entity == "ticket_sales"}
    assert batches[FIRST_BATCH] == 100.0
    later = batches[SECOND_BATCH]
    assert later is not None and later < 100.0
    assert _table_score(run, "ticket_sales") < 100.0  # type: ignore[operator]


def test_a_batch_run_checks_only_that_batch_with_row_rules(loader: RawLoader, clean: Data) -> None:
    loader.load_all(clean)
    redelivered = [_row(clean, "ticket_sales", "s1")]
    loader.load("ticket_sales", redelivered, SECOND_BATCH, INGESTED_AT + timedelta(minutes=30))
    run = run_quality_checks(loader.warehouse, as_of=AS_OF, batch_id=SECOND_BATCH, persist=False)
    assert {r.batch_id for r in run.results} == {SECOND_BATCH}
    assert {r.entity for r in run.results} == {"ticket_sales"}
    assert "freshness" not in {r.kind for r in run.results}
    assert run.table_scores == ()
    assert not run.duplicates_checked and run.duplicates == ()
    unique = _batch_result(run, "ticket_sales.sale_id.unique", SECOND_BATCH)
    assert (unique.checked, unique.failed) == (1, 1)


def _batch_result(run: QualityRun, rule_id: str, batch_id: str) -> RuleResult:
    (result,) = [r for r in run.results if r.rule_id == rule_id and r.batch_id == batch_id]
    return result


def test_stale_data_fails_freshness_against_as_of(loader: RawLoader, clean: Data) -> None:
    loader.load_all({entity: rows for entity, rows in clean.items() if entity != "ticket_sales"})
    loader.load("ticket_sales", clean["ticket_sales"], ingested_at=AS_OF - timedelta(days=3))
    run = run_quality_checks(loader.warehouse, as_of=AS_OF, rules=FRESHNESS, persist=False)
    stale = _table_result(run, "ticket_sales._ingested_at.fresh")
    assert (stale.checked, stale.failed, stale.passed) == (1, 1, False)
    assert stale.sample_failures == ("newest 2025-05-29T12:00:00+00:00",)
    assert _table_result(run, "ticket_sales.purchase_timestamp.fresh").passed
    assert _table_result(run, "artists._ingested_at.fresh").passed

    a_month_later = run_quality_checks(
        loader.warehouse, as_of=AS_OF + timedelta(days=30), rules=FRESHNESS, persist=False
    )
    assert {r.rule_id for r in a_month_later.failing()} == {rule.id for rule in FRESHNESS}


def test_an_empty_table_is_stale_and_has_no_row_results(loader: RawLoader, clean: Data) -> None:
    loader.load_all(clean)
    loader.warehouse.execute("DELETE FROM raw_user_interactions")
    run = run_quality_checks(
        loader.warehouse, as_of=AS_OF, entities=["user_interactions"], persist=False
    )
    assert _table_result(run, "user_interactions.timestamp.fresh").sample_failures == ("no rows",)
    complete = _table_result(run, "user_interactions.user_id.complete")
    assert (complete.checked, complete.failed, complete.pass_rate) == (0, 0, 1.0)
    assert _table_score(run, "user_interactions") == 0.0  # only the (failed) freshness counts


def test_rules_on_tables_that_are_not_loaded_are_skipped_with_the_reason(
    loader: RawLoader, clean: Data
) -> None:
    loader.load("concerts", clean["concerts"])
    loader.load("artists", clean["artists"])
    run = run_quality_checks(
        loader.warehouse, as_of=AS_OF, entities=["concerts", "venues"], persist=False
    )
    skipped = {s.rule_id: s.reason for s in run.skipped}
    assert skipped["concerts.venue_id.references"] == "table raw_venues is not loaded"
    assert skipped["concerts.attendance_within_capacity"] == "table raw_venues is not loaded"
    assert "venues.name.complete" in skipped
    assert "concerts.artist_id.references" not in skipped
    assert {r.entity for r in run.results} == {"concerts"}
    assert run.entities == ("venues", "concerts")  # in ENTITIES order


def test_progress_is_reported_for_every_rule_and_entity(loader: RawLoader, clean: Data) -> None:
    loader.load_all(clean)
    calls: list[tuple[str, int, int]] = []
    run = run_quality_checks(
        loader.warehouse,
        as_of=AS_OF,
        entities=["artists"],
        persist=False,
        progress=lambda step, done, total: calls.append((step, done, total)),
    )
    rules = [call for call in calls if call[0] == "rules"]
    assert rules[-1] == ("rules", len(rules), len(rules))
    assert len({r.rule_id for r in run.results}) == len(rules)
    assert [call for call in calls if call[0] == "duplicates"] == [("duplicates", 1, 1)]


def test_bad_arguments_get_a_clear_error(warehouse: DuckDbWarehouse) -> None:
    with pytest.raises(InvalidQualityRequestError, match="as_of"):
        run_quality_checks(warehouse, as_of=AS_OF.replace(tzinfo=None))
    with pytest.raises(BadRequestError, match="unknown entity 'bands'"):
        run_quality_checks(warehouse, entities=["bands"])
