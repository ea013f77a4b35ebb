"""The generator's output is reproducible, schema-exact, valid and consistent."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from concert.domain.models import ENTITIES, SPOTIFY_ID_PATTERN
from concert.domain.schema import arrow_schema
from concert.ingest.generator import (
    STEPS,
    GeneratedData,
    GeneratorConfigError,
    generate,
)
from foundation.errors import BadRequestError

from .conftest import AS_OF, tiny_config

AS_OF_INSTANT = datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=UTC)


def _digest(table: pa.Table) -> str:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def _digests(data: GeneratedData) -> dict[str, str]:
    tables = data.tables() | {f"truth.{k}": v for k, v in data.ground_truth.tables().items()}
    return {name: _digest(table) for name, table in tables.items()}


def _column(table: pa.Table, name: str) -> np.ndarray:
    return table[name].to_numpy(zero_copy_only=False)


def test_same_config_generates_identical_tables(tiny: GeneratedData) -> None:
    again = generate(tiny_config())
    assert _digests(again) == _digests(tiny)
    assert again.ground_truth.demand_scale == tiny.ground_truth.demand_scale


def test_a_different_seed_generates_different_data(tiny: GeneratedData) -> None:
    other = generate(tiny_config(seed=8))
    changed = {name for name, digest in _digests(other).items() if digest != _digests(tiny)[name]}
    assert set(tiny.tables()) <= changed


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_tables_have_exactly_the_processed_schema_without_lineage(
    demo: GeneratedData, entity: str
) -> None:
    assert demo.table(entity).schema == arrow_schema(ENTITIES[entity], lineage=False)
    assert demo.table(entity).num_rows > 0


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_a_random_sample_of_every_entity_validates_against_its_model(
    demo: GeneratedData, entity: str
) -> None:
    table = demo.table(entity)
    picks = np.random.default_rng(1).choice(table.num_rows, min(400, table.num_rows), False)
    for row in table.take(pa.array(picks)).to_pylist(maps_as_pydicts="strict"):
        ENTITIES[entity].validate(row)


def test_keys_are_unique_and_foreign_keys_resolve(demo: GeneratedData) -> None:
    for entity, spec in ENTITIES.items():
        keys = demo.table(entity)[spec.key]
        assert pc.count_distinct(keys).as_py() == len(keys), entity
        for foreign in spec.foreign_keys:
            values = pc.drop_null(demo.table(entity)[foreign.field])
            known = demo.table(foreign.entity)[ENTITIES[foreign.entity].key]
            assert pc.all(pc.is_in(values, value_set=known.combine_chunks())).as_py(), (
                entity,
                foreign.field,
            )
    customers = demo.ground_truth.users["user_id"].combine_chunks()
    for entity, field in (("ticket_sales", "customer_id"), ("user_interactions", "user_id")):
        assert pc.all(pc.is_in(demo.table(entity)[field], value_set=customers)).as_py()


def test_every_sale_totals_quantity_times_unit_price(demo: GeneratedData) -> None:
    sales = demo.ticket_sales
    quantity = _column(sales, "quantity")
    assert quantity.min() >= 1 and quantity.max() <= 20
    expected = quantity * _column(sales, "unit_price")
    assert np.abs(_column(sales, "total_price") - expected).max() < 0.005


def _sold_per_concert(data: GeneratedData) -> pa.Table:
    return data.ticket_sales.group_by("concert_id").aggregate(
        [("quantity", "sum"), ("total_price", "sum")]
    )


def test_completed_concerts_report_the_attendance_and_revenue_of_their_sales(
    demo: GeneratedData,
) -> None:
    concerts = demo.concerts.drop_columns(["ticket_prices"])
    completed = concerts.filter(pc.equal(concerts["status"], "completed"))
    joined = completed.join(_sold_per_concert(demo), "concert_id", join_type="left outer")
    attendance = np.nan_to_num(_column(joined, "quantity_sum").astype(float))
    revenue = np.nan_to_num(_column(joined, "total_price_sum").astype(float))
    assert np.array_equal(_column(joined, "total_attendance"), attendance)
    assert np.allclose(_column(joined, "revenue"), revenue, atol=0.01)


def test_attendance_and_tickets_sold_never_exceed_venue_capacity(demo: GeneratedData) -> None:
    sold = (
        _sold_per_concert(demo)
        .join(demo.concerts.drop_columns(["ticket_prices"]), "concert_id")
        .join(demo.venues, "venue_id")
    )
    assert (_column(sold, "quantity_sum") <= _column(sold, "capacity")).all()
    with_attendance = sold.filter(pc.is_valid(sold["total_attendance"]))
    assert (
        _column(with_attendance, "total_attendance") <= _column(with_attendance, "capacity")
    ).all()


def test_status_follows_the_event_date_and_only_completed_shows_have_outcomes(
    demo: GeneratedData,
) -> None:
    concerts = demo.concerts.to_pylist()
    statuses = {row["status"] for row in concerts}
    assert statuses == {"completed", "cancelled", "postponed", "scheduled"}
    for row in concerts:
        past = row["event_date"] < AS_OF_INSTANT
        if row["status"] == "completed":
            assert past and row["total_attendance"] is not None
        else:
            assert row["total_attendance"] is None and row["revenue"] is None
        if row["status"] == "scheduled":
            assert not past


def test_sales_happen_before_the_show_and_before_as_of(demo: GeneratedData) -> None:
    joined = demo.ticket_sales.select(["concert_id", "purchase_timestamp"]).join(
        demo.concerts.select(["concert_id", "event_date"]), "concert_id"
    )
    assert pc.all(pc.less(joined["purchase_timestamp"], joined["event_date"])).as_py()
    latest = pc.max(demo.ticket_sales["purchase_timestamp"]).as_py()
    assert latest < AS_OF_INSTANT
    interactions_latest = pc.max(demo.user_interactions["timestamp"]).as_py()
    assert interactions_latest < AS_OF_INSTANT


def test_scheduled_concerts_have_only_the_sales_made_so_far(demo: GeneratedData) -> None:
    truth = demo.ground_truth.concert_demand
    scheduled = truth.filter(pc.equal(truth["status"], "scheduled"))
    to_date, full = _column(scheduled, "tickets_to_date"), _column(scheduled, "tickets_full")
    assert (to_date <= full).all()
    assert (to_date > 0).mean() > 0.5  # most future shows are on sale already
    assert (to_date < full).mean() > 0.8  # and still selling
    completed = truth.filter(pc.equal(truth["status"], "completed"))
    assert np.array_equal(_column(completed, "tickets_to_date"), _column(completed, "tickets_full"))


def test_sale_rows_meet_the_target(demo: GeneratedData) -> None:
    assert abs(demo.ticket_sales.num_rows - demo.config.target_sales) < 0.02 * (
        demo.config.target_sales
    )


def test_quantities_are_mostly_small_and_payment_methods_mixed(demo: GeneratedData) -> None:
    quantity = _column(demo.ticket_sales, "quantity")
    assert (quantity <= 4).mean() > 0.85
    assert (quantity > 4).any()
    methods = demo.ticket_sales["payment_method"].value_counts().to_pylist()
    counts = {m["values"]: m["counts"] for m in methods}
    assert len(counts) == 6
    assert max(counts, key=counts.__getitem__) == "credit_card"


def test_artists_have_genres_members_and_mostly_spotify_ids(demo: GeneratedData) -> None:
    artists = demo.artists.to_pylist()
    assert all(1 <= len(row["genres"]) <= 3 for row in artists)
    assert any(len(row["members"]) > 1 for row in artists)
    spotify = [row["spotify_id"] for row in artists if row["spotify_id"] is not None]
    assert 0.6 < len(spotify) / len(artists) < 0.9
    assert all(len(s) == 22 and s.isalnum() for s in spotify)
    assert SPOTIFY_ID_PATTERN == r"^[0-9A-Za-z]{22}$"
    formed = [row["formation_date"] for row in artists if row["formation_date"] is not None]
    assert max(formed) < AS_OF


def test_interactions_are_about_two_and_a_half_per_sale_and_capped(tiny: GeneratedData) -> None:
    ratio = tiny.user_interactions.num_rows / tiny.ticket_sales.num_rows
    assert 2.4 <= ratio <= 2.6
    types = set(tiny.user_interactions["interaction_type"].to_pylist())
    assert types == {"view", "search", "like", "save", "share", "purchase"}
    capped = generate(tiny_config(max_interactions=1_000))
    assert capped.user_interactions.num_rows == 1_000
    silent = generate(tiny_config(interactions_per_sale=0))
    assert silent.user_interactions.num_rows == 0
    assert silent.user_interactions.schema == arrow_schema(
        ENTITIES["user_interactions"], lineage=False
    )


def test_purchase_interactions_match_a_real_sale(tiny: GeneratedData) -> None:
    interactions = tiny.user_interactions
    purchases = interactions.filter(pc.equal(interactions["interaction_type"], "purchase"))
    keys = ["user_id", "concert_id", "timestamp"]
    sales = tiny.ticket_sales.select(["customer_id", "concert_id", "purchase_timestamp"])
    sales = sales.rename_columns(keys)
    matched = purchases.select(keys).join(sales.group_by(keys).aggregate([]), keys)
    assert matched.num_rows == purchases.num_rows > 0


def test_progress_is_reported_after_every_step() -> None:
    calls: list[tuple[str, int, int]] = []
    generate(tiny_config(), progress=lambda step, done, total: calls.append((step, done, total)))
    assert calls == [(step, index + 1, len(STEPS)) for index, step in enumerate(STEPS)]


def test_a_target_beyond_what_the_venues_can_hold_is_a_clear_error() -> None:
    with pytest.raises(GeneratorConfigError, match="target_sales") as raised:
        generate(tiny_config(concerts=2, target_sales=5_000_000))
    assert isinstance(raised.value, BadRequestError)
    assert raised.value.extra["field"] == "target_sales"


def test_generated_data_names_tables_by_entity(tiny: GeneratedData) -> None:
    assert list(tiny.tables()) == list(ENTITIES)
    assert tiny.table("venues") is tiny.venues
    with pytest.raises(BadRequestError, match="unknown entity"):
        tiny.table("tickets")
    assert replace(tiny.config, seed=1).seed == 1
