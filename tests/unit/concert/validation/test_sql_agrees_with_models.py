"""The SQL generated from the models gives pydantic's verdict on the same records.

Records are generated valid and subtly invalid (out-of-range numbers, bad enum
values, naive datetimes, wrong totals, bad patterns, blank genres, padded
text...) in their upload form: scalars as text, lists and maps as JSON, absent
fields missing. For every record, the set of fields the SQL rejects equals the
set pydantic reports (a model validator's error counts for the field its
``sql_rules`` entry names), and accepted rows carry pydantic's normalised values.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from concert.domain.models import ENTITIES
from concert.validation.engine import Lineage, TableSlot, Validator, connect

LINEAGE = Lineage("b-test", "test", datetime(2025, 1, 1, tzinfo=UTC))
Record = dict[str, Any]

# -- value strategies: upload text, valid and subtly invalid ------------------------------------

_ID_CHARS = "abcXYZ019_.:-"
identifiers = st.one_of(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,12}", fullmatch=True),
    st.sampled_from(["", " ", "a b", "-lead", "_x", "é1", "x" * 64, "y" * 65, " pad ", "\tA1\n"]),
    st.text(_ID_CHARS, max_size=5),
)
names = st.one_of(
    st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs")), max_size=12),
    st.sampled_from(["", "   ", " The Band ", "x" * 200, "x" * 201, "\u00a0Ana\u3000"]),
)


def integers(low: int, high: int) -> st.SearchStrategy[str]:
    edges = [low - 1, low, high, high + 1]
    return st.one_of(
        st.integers(low - 3, high + 3).map(str),
        st.sampled_from(edges).map(str),
        st.sampled_from([f"+{low}", f"{high}.0", f" {low} ", "1_0", "5.5", "1e1", "x", "", "0x1F"]),
    )


def floats(low: float, high: float) -> st.SearchStrategy[str]:
    return st.one_of(
        st.floats(low - 5, high + 5, allow_nan=False).map(lambda v: repr(round(v, 2))),
        st.sampled_from(
            ["0", "-0.5", "nan", "inf", "-inf", "1e3", ".5", "5.", " 7.25 ", "abc", ""]
        ),
        # Underscores: pydantic deletes single inner ones, then allows no padding.
        st.sampled_from(["1_5.5", "1e1_0", "1_.5", "i_nf", " 1_5", "1_5\t", "1__5", "_1", "1.5_"]),
        st.sampled_from([str(low), str(high), f"{high + 0.01}"]),
    )


timestamps = st.one_of(
    st.datetimes(datetime(1950, 1, 1), datetime(2090, 1, 1)).map(
        lambda d: d.replace(microsecond=0).isoformat() + "Z"
    ),
    st.sampled_from(
        [
            "2025-06-01T20:00:00Z",
            "2025-06-01T20:00:00+02:00",
            "2025-06-01 20:00:00-0530",
            "2025-06-01t20:00:00z",
            "2025-06-01T20:00Z",
            "2025-06-01T20:00:00.123456789Z",
            "2025-06-01T20:00:00",  # naive
            "2025-06-01",  # naive
            "2025-02-30T20:00:00Z",
            "2025-06-01T24:00:00Z",
            "2025-06-01T20:00:00+01",
            " 2025-06-01T20:00:00Z",
            "1700000000",
            "1700000000000",
            "2099-12-31T23:00:00-05:00",
            "1899-12-31T23:00:00-05:00",
            "soon",
        ]
    ),
)
dates = st.one_of(
    st.dates(date(1890, 1, 1), date(2030, 1, 1)).map(date.isoformat),
    st.sampled_from(["1900-01-01", "1899-12-31", "2999-01-01", "2020-13-01", "2020-1-1", "x"]),
    st.sampled_from(["2020-01-01T00:00:00", "2020-01-01T00:00:00Z", "86400", "86401"]),
)
genres = st.one_of(
    st.lists(
        st.sampled_from(
            ["rock", "Rock", " indie ", "Hip  Hop", "hip hop", "JAZZ", "", "  ", "k-pop"]
        ),
        max_size=12,
    ),
    st.lists(st.integers(0, 3), min_size=1, max_size=2),
)
members = st.lists(st.sampled_from(["Ana", " Bo ", "", "x" * 201, "Zoë"]), max_size=4)
tiers = st.sampled_from(["vip", "general", "floor_a", "VIP", " vip ", "1st", "", "a" * 33])
prices = st.dictionaries(
    tiers,
    st.one_of(st.floats(-1, 200_000, allow_nan=False).map(lambda v: round(v, 2)), st.just("99.5")),
    max_size=11,
)

FIELD_VALUES: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "artists": {
        "artist_id": identifiers,
        "name": names,
        "genres": genres,
        "popularity": integers(0, 100),
        "formation_date": dates,
        "members": members,
        "spotify_id": st.sampled_from(
            ["0123456789abcdefABCDEF", "short", "0123456789abcdefABCDE!"]
        ),
    },
    "venues": {
        "venue_id": identifiers,
        "name": names,
        "city": names,
        "state": names,
        "country": st.sampled_from(["US", "U", "Germany", " DE ", ""]),
        "capacity": integers(1, 250_000),
        "venue_type": st.sampled_from(["arena", "club", "Arena", " club", "stadium", "bar"]),
        "latitude": floats(-90, 90),
        "longitude": floats(-180, 180),
    },
    "concerts": {
        "concert_id": identifiers,
        "artist_id": identifiers,
        "venue_id": identifiers,
        "event_date": timestamps,
        "ticket_prices": prices,
        "total_attendance": integers(0, 250_000),
        "revenue": floats(0, 1e7),
        "status": st.sampled_from(["scheduled", "completed", "cancelled", "Completed", "done"]),
    },
    "ticket_sales": {
        "sale_id": identifiers,
        "concert_id": identifiers,
        "customer_id": identifiers,
        "price_tier": tiers,
        "quantity": integers(1, 20),
        "unit_price": floats(0, 100_000),
        "total_price": floats(0, 200),
        "purchase_timestamp": timestamps,
        "payment_method": st.sampled_from(["paypal", "credit_card", "PayPal", " paypal", "cash"]),
    },
    "user_interactions": {
        "interaction_id": identifiers,
        "user_id": identifiers,
        "interaction_type": st.sampled_from(["view", "like", "purchase", "VIEW", "click"]),
        "timestamp": timestamps,
        "artist_id": identifiers,
        "concert_id": identifiers,
        "venue_id": identifiers,
        "genre": names,
        "session_id": identifiers,
    },
}


@st.composite
def records(draw: st.DrawFn, entity: str) -> Record:
    """A record, each field present or (sometimes) absent; sales often get a consistent total."""
    record: Record = {}
    for field, values in FIELD_VALUES[entity].items():
        if draw(st.integers(0, 9)) > 0:
            record[field] = draw(values)
    if entity == "ticket_sales" and draw(st.booleans()):
        quantity, price = draw(st.integers(1, 20)), draw(st.integers(1, 50_000)) / 100
        record["quantity"], record["unit_price"] = str(quantity), str(price)
        record["total_price"] = str(round(quantity * price + draw(st.sampled_from([0, 0.02])), 2))
    if entity == "concerts" and draw(st.booleans()):
        record.pop("total_attendance", None)
    return record


# -- running both sides -------------------------------------------------------------------------


class _Sql:
    """One prepared validator per entity, reused across examples."""

    def __init__(self) -> None:
        self.con = connect(threads=1)
        self.slots: dict[str, TableSlot] = {}
        self.validators: dict[str, Validator] = {}
        for name, spec in ENTITIES.items():
            schema = pa.schema([pa.field(f, pa.string()) for f in spec.fields])
            self.slots[name] = TableSlot(schema)
            self.con.register(f"input_{name}", self.slots[name])
            self.validators[name] = Validator(self.con, spec, f"input_{name}", prepare=True)

    def close(self) -> None:
        for validator in self.validators.values():
            validator.close()
        self.con.close()

    def verdicts(self, entity: str, batch: list[Record]) -> tuple[list[set[str]], pa.Table]:
        fields = ENTITIES[entity].fields
        columns = {
            f: pa.array([_cell(record.get(f)) for record in batch], pa.string()) for f in fields
        }
        self.slots[entity].table = pa.table(columns)
        result = self.validators[entity].validate(LINEAGE)
        failing: list[set[str]] = [set() for _ in batch]
        for row in result.rejections.to_pylist():
            failing[row["row"] - 1].add(row["field"])
        return failing, result.accepted


def _cell(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def _rule_field(entity: str, message: str) -> str:
    for field, (_, reason) in ENTITIES[entity].model.sql_rules.items():
        if reason in message:
            return field
    raise AssertionError(f"model error {message!r} matches no sql_rules entry")


def pydantic_verdict(entity: str, record: Record) -> tuple[set[str], dict[str, Any] | None]:
    try:
        model = ENTITIES[entity].validate(record)
    except ValidationError as exc:
        return {
            str(error["loc"][0]) if error["loc"] else _rule_field(entity, error["msg"])
            for error in exc.errors()
        }, None
    return set(), model.model_dump()


@pytest.fixture(scope="module")
def sql() -> Iterator[_Sql]:
    engine = _Sql()
    yield engine
    engine.close()


def _agree(sql: _Sql, entity: str, batch: list[Record]) -> None:
    failing, accepted = sql.verdicts(entity, batch)
    accepted_rows = iter(accepted.to_pylist())
    for record, sql_fields in zip(batch, failing, strict=True):
        expected, normalised = pydantic_verdict(entity, record)
        assert sql_fields == expected, f"record {record!r}"
        if normalised is not None:
            row = next(accepted_rows)
            _assert_same_values(row, normalised, record)


def _assert_same_values(row: dict[str, Any], model: dict[str, Any], record: Record) -> None:
    for field, value in model.items():
        got = row[field]
        if isinstance(value, dict):
            got = dict(got)
        if isinstance(value, float) and value != value:  # NaN
            assert got != got, f"{field} of {record!r}"
        else:
            assert got == value, f"{field} of {record!r}: SQL {got!r}, pydantic {value!r}"


SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_sql_rejects_exactly_the_fields_pydantic_rejects(sql: _Sql, entity: str) -> None:
    @SETTINGS
    @given(st.lists(records(entity), min_size=1, max_size=25))
    def check(batch: list[Record]) -> None:
        _agree(sql, entity, batch)

    check()


@pytest.mark.parametrize(
    ("entity", "record", "field"),
    [
        ("ticket_sales", {"quantity": "21"}, "quantity"),
        ("ticket_sales", {"payment_method": "cash"}, "payment_method"),
        ("ticket_sales", {"purchase_timestamp": "2025-06-01T20:00:00"}, "purchase_timestamp"),
        ("ticket_sales", {"total_price": "22.0"}, "total_price"),
        ("ticket_sales", {"price_tier": "VIP"}, "price_tier"),
        ("venues", {"capacity": "0"}, "capacity"),
        ("artists", {"genres": ["rock", "  "]}, "genres"),
        ("concerts", {"total_attendance": "10"}, "total_attendance"),
    ],
)
def test_each_subtle_mistake_is_reported_on_its_field(
    sql: _Sql, entity: str, record: Record, field: str
) -> None:
    base = {
        "ticket_sales": {
            "sale_id": "s1", "concert_id": "c1", "customer_id": "u1", "price_tier": "vip",
            "quantity": "2", "unit_price": "10.5", "total_price": "21.0",
            "purchase_timestamp": "2025-06-01T20:00:00Z", "payment_method": "paypal",
        },
        "venues": {
            "venue_id": "v1", "name": "Hall", "city": "Oslo", "country": "NO",
            "capacity": "500", "venue_type": "hall",
        },
        "artists": {"artist_id": "a1", "name": "Band", "popularity": "50"},
        "concerts": {
            "concert_id": "c1", "artist_id": "a1", "venue_id": "v1",
            "event_date": "2025-06-01T20:00:00Z", "ticket_prices": {"vip": 100},
        },
    }[entity]  # fmt: skip
    failing, _ = sql.verdicts(entity, [base, {**base, **record}])
    assert failing == [set(), {field}]
    assert pydantic_verdict(entity, {**base, **record})[0] == {field}


def test_accepted_genres_are_normalised_like_the_model(sql: _Sql) -> None:
    record = {
        "artist_id": "a1",
        "name": " The Band ",
        "popularity": "7",
        "genres": [" Rock ", "rock", "Hip  Hop"],
    }
    failing, accepted = sql.verdicts("artists", [record])
    assert failing == [set()]
    row = accepted.to_pylist()[0]
    assert row["genres"] == ["rock", "hip hop"]
    assert row["name"] == "The Band"
    assert row["members"] == []
