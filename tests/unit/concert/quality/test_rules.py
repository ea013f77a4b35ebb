"""The rule types, the catalog derived from the models, and Redshift translation of every query."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from concert.domain import ENTITIES
from concert.quality import CATALOG, NAME_MATCHES
from concert.quality.catalog import OVERRIDES
from concert.quality.duplicates import report_sql
from concert.quality.exceptions import RuleDefinitionError
from concert.quality.rules import (
    AcceptedValues,
    BusinessRule,
    Completeness,
    Freshness,
    Lookup,
    Pattern,
    Range,
    ReferentialIntegrity,
    Rule,
    Scope,
    Severity,
    Uniqueness,
)
from concert.quality.store import (
    DUPLICATE_RUNS_SQL,
    LATEST_FAILING_SQL,
    LATEST_RUN_SQL,
    LATEST_SCORES_SQL,
    TABLES_DDL,
    scores_sql,
)
from foundation.warehouse import to_redshift

RULES_BY_ID = {rule.id: rule for rule in CATALOG}


def test_rule_ids_are_unique() -> None:
    assert len(RULES_BY_ID) == len(CATALOG)


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_every_entity_has_each_kind_of_rule(entity: str) -> None:
    kinds = {rule.kind for rule in CATALOG if rule.entity == entity}
    assert {"completeness", "validity", "uniqueness", "freshness"} <= kinds


@pytest.mark.parametrize(
    ("entity", "column", "parent"),
    [
        (spec.name, foreign_key.field, foreign_key.entity)
        for spec in ENTITIES.values()
        for foreign_key in spec.foreign_keys
    ],
)
def test_every_foreign_key_has_a_referential_integrity_rule(
    entity: str, column: str, parent: str
) -> None:
    rule = RULES_BY_ID[f"{entity}.{column}.references"]
    assert isinstance(rule, ReferentialIntegrity)
    assert rule.references == parent
    assert f"raw_{parent}" in rule.tables()


def test_ranges_and_enums_come_from_the_model_constraints() -> None:
    popularity = RULES_BY_ID["artists.popularity.range"]
    quantity = RULES_BY_ID["ticket_sales.quantity.range"]
    capacity = RULES_BY_ID["venues.capacity.range"]
    status = RULES_BY_ID["concerts.status.accepted"]
    assert isinstance(popularity, Range)
    assert (popularity.minimum, popularity.maximum) == (0, 100)
    assert isinstance(quantity, Range)
    assert (quantity.minimum, quantity.maximum) == (1, 20)
    assert isinstance(capacity, Range)
    assert capacity.exclusive_minimum and capacity.minimum == 0
    assert isinstance(status, AcceptedValues)
    assert set(status.values) == {"scheduled", "completed", "cancelled", "postponed"}
    assert "quantity * unit_price" in RULES_BY_ID["ticket_sales.total_price.rule"].passes()  # type: ignore[attr-defined]


def test_optional_fields_get_no_completeness_rule_but_required_ones_do() -> None:
    assert "artists.name.complete" in RULES_BY_ID
    assert "concerts.ticket_prices.complete" in RULES_BY_ID
    assert "artists.spotify_id.complete" not in RULES_BY_ID
    assert "artists.genres.complete" not in RULES_BY_ID


def test_key_rules_must_hold_for_every_row() -> None:
    for rule_id in ("ticket_sales.sale_id.complete", "ticket_sales.sale_id.unique"):
        assert RULES_BY_ID[rule_id].threshold == 1.0
    assert RULES_BY_ID["ticket_sales.quantity.range"].threshold < 1.0


def test_overrides_apply_to_the_derived_rules() -> None:
    for rule_id, changes in OVERRIDES.items():
        rule = RULES_BY_ID[rule_id]
        for name, value in changes.items():
            assert getattr(rule, name) == value
    assert RULES_BY_ID["user_interactions.artist_id.references"].severity is Severity.WARNING


def test_freshness_is_a_table_rule() -> None:
    fresh = RULES_BY_ID["ticket_sales._ingested_at.fresh"]
    assert isinstance(fresh, Freshness)
    assert fresh.scope is Scope.TABLE
    assert fresh.max_age == timedelta(days=1)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Completeness(id="x", entity="artists", column="nickname", description="d"),
        lambda: Completeness(id="x", entity="bands", column="name", description="d"),
        lambda: Completeness(
            id="x", entity="artists", column="name", description="d", threshold=1.5
        ),
        lambda: Range(id="x", entity="artists", column="popularity", description="d"),
        lambda: Pattern(id="x", entity="artists", column="name", regex=r"^\d+$", description="d"),
        lambda: Pattern(
            id="x", entity="artists", column="popularity", regex="^[0-9]+$", description="d"
        ),
        lambda: Freshness(
            id="x", entity="artists", column="name", max_age=timedelta(days=1), description="d"
        ),
        lambda: ReferentialIntegrity(
            id="x", entity="concerts", column="artist_id", references="bands", description="d"
        ),
        lambda: BusinessRule(
            id="x",
            entity="concerts",
            predicate="TRUE",
            description="d",
            joins=(Lookup(alias="v", entity="venues", via="venue_id", columns=(("status", "1"),)),),
        ),
    ],
    ids=[
        "unknown-column",
        "unknown-entity",
        "threshold-above-one",
        "range-without-bounds",
        "regex-class-posix-lacks",
        "pattern-on-a-number",
        "freshness-on-text",
        "reference-to-unknown-entity",
        "lookup-column-clashes",
    ],
)
def test_bad_rule_definitions_fail_when_built(build: object) -> None:
    with pytest.raises(RuleDefinitionError, match="rule 'x'"):
        build()  # type: ignore[operator]


def test_uniqueness_judges_the_whole_table_before_filtering_a_batch() -> None:
    sql = Uniqueness(id="x", entity="ticket_sales", column="sale_id", description="d").sql(
        batch_scoped=True
    )
    assert sql.index("row_number() OVER (PARTITION BY sale_id") < sql.index("$batch_id")


def _all_rule_sql() -> list[tuple[str, str]]:
    return [
        (f"{rule.id}{' (batch)' if scoped else ''}", rule.sql(batch_scoped=scoped))
        for rule in CATALOG
        for scoped in (False, True)
        if not (scoped and rule.scope is Scope.TABLE)
    ]


def _other_sql() -> list[tuple[str, str]]:
    statements = [(f"ddl {name}", ddl) for name, ddl in TABLES_DDL.items()]
    statements += [
        ("latest run", LATEST_RUN_SQL),
        ("latest scores", LATEST_SCORES_SQL),
        ("latest failing", LATEST_FAILING_SQL),
        ("duplicate runs", DUPLICATE_RUNS_SQL),
        ("scores", scores_sql(entity="artists", batch_id="b", table_only=False, limit=10)),
        ("history", scores_sql(entity="artists", batch_id=None, table_only=True, limit=10)),
    ]
    statements += [
        (f"duplicates {entity} {index}", sql)
        for entity in ENTITIES
        for index, sql in enumerate(report_sql(entity))
    ]
    return statements


_STATEMENTS = dict(_all_rule_sql() + _other_sql())


@pytest.mark.parametrize("name", list(_STATEMENTS))
def test_every_statement_translates_to_redshift(name: str) -> None:
    translated = to_redshift(_STATEMENTS[name])
    # Parameters become :name for the Data API; none is left in DuckDB's $name form.
    assert not re.search(r"\$[A-Za-z_]", translated)
    assert translated.startswith(("SELECT", "WITH", "CREATE"))


def test_translation_keeps_the_meaning_of_the_dialect_specific_parts() -> None:
    pattern = to_redshift(RULES_BY_ID["artists.artist_id.pattern"].sql(batch_scoped=False))
    assert "artist_id ~ '^[A-Za-z0-9]" in pattern
    fresh = to_redshift(RULES_BY_ID["ticket_sales._ingested_at.fresh"].sql(batch_scoped=False))
    assert "CAST(:as_of AS TIMESTAMP WITH TIME ZONE) - INTERVAL '86400 SECONDS'" in fresh
    ddl = to_redshift(TABLES_DDL["quality_results"])
    assert "DOUBLE PRECISION" in ddl and "VARCHAR(MAX)" in ddl


def test_name_matching_is_declared_for_the_hand_made_dimensions() -> None:
    assert set(NAME_MATCHES) == {"artists", "venues"}
    assert NAME_MATCHES["venues"].within == ("city", "country")


def test_every_rule_reads_its_own_raw_table_first() -> None:
    rule: Rule
    for rule in CATALOG:
        assert rule.tables()[0] == f"raw_{rule.entity}"
