"""The model registry: files and specs agree, dependencies come from the SQL, order follows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot.tokenizer_core import TokenType

from concert.warehouse import models as registry
from concert.warehouse.checks import ModelSpec, NotNull, Unique
from concert.warehouse.exceptions import ModelDefinitionError
from concert.warehouse.models import (
    LAYERS,
    SQL_ROOT,
    Model,
    build_order,
    compose,
    load_models,
    read_tables,
)
from concert.warehouse.sql.models import MODELS

REQUIRED = {
    "staging": {
        "stg_artists",
        "stg_venues",
        "stg_concerts",
        "stg_ticket_sales",
        "stg_user_interactions",
    },
    "core": {
        "dim_artist",
        "dim_venue",
        "dim_date",
        "dim_customer",
        "fact_ticket_sales",
        "fact_concerts",
    },
    "marts": {
        "mart_venue_popularity",
        "mart_artist_trends",
        "mart_genre_trends",
        "mart_daily_sales",
    },
}


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    load_models.cache_clear()
    yield
    load_models.cache_clear()


def test_every_required_model_exists_in_its_layer() -> None:
    models = load_models()
    for layer, names in REQUIRED.items():
        assert {name for name, model in models.items() if model.layer == layer} == names


def test_every_sql_file_has_a_spec_and_every_spec_a_file() -> None:
    files = {path.stem for layer in LAYERS for path in (SQL_ROOT / layer).glob("*.sql")}
    assert files == set(MODELS) == set(load_models())


def test_dependencies_are_read_from_the_sql() -> None:
    models = load_models()
    assert models["fact_concerts"].depends_on == {"stg_concerts", "stg_venues", "fact_ticket_sales"}
    assert models["mart_daily_sales"].depends_on == {"fact_ticket_sales", "dim_date"}
    for name in REQUIRED["staging"]:
        assert models[name].depends_on == frozenset()
        assert models[name].sources == {f"raw_{name.removeprefix('stg_')}"}


def test_build_order_puts_every_dependency_first() -> None:
    order = list(load_models())
    for position, name in enumerate(order):
        for dependency in load_models()[name].depends_on:
            assert order.index(dependency) < position, (dependency, name)


def test_marts_read_only_the_star_schema_and_core_reads_no_raw_table() -> None:
    for model in load_models().values():
        if model.layer == "marts":
            assert all(not name.startswith(("stg_", "raw_")) for name in model.depends_on)
        if model.layer == "core":
            assert model.sources == frozenset()


def test_read_tables_ignores_the_query_s_own_ctes() -> None:
    sql = (
        "with a as (select * from raw_artists), b as (select * from a join stg_venues using (x)) "
        "select * from b left join (select * from dim_date) as d on true"
    )
    assert read_tables(sql) == {"raw_artists", "stg_venues", "dim_date"}


def test_models_are_lowercase_cte_chains_ending_in_select_star_from_final() -> None:
    for model in load_models().values():
        assert model.sql.endswith("select * from final"), model.name
        keywords = [
            token.text
            for token in sqlglot.tokenize(model.sql, read="duckdb")
            if token.token_type not in (TokenType.VAR, TokenType.STRING, TokenType.NUMBER)
            and token.text.isalpha()
        ]
        assert all(word == word.lower() for word in keywords), model.name


def test_staging_models_take_the_shared_latest_rows_ctes_by_their_key() -> None:
    for name in REQUIRED["staging"]:
        model = load_models()[name]
        (key,) = model.spec.key
        written = (SQL_ROOT / "staging" / f"{name}.sql").read_text(encoding="utf-8")
        raw = f"raw_{name.removeprefix('stg_')}"
        assert written.startswith(f"-- latest rows of {raw} by {key}\nwith final as (")
        assert "duplicated_keys" not in written  # written once, in latest_rows.sql
        assert f"partition by source.{key} order by" in model.sql
        assert f"group by {key}\n" in model.sql


THINGS = "-- latest rows of raw_things by thing_id\n-- a note\n" + (
    "with final as (select thing_id, label from latest)\nselect * from final"
)


def test_compose_puts_the_shared_ctes_in_front_of_the_model_s_own() -> None:
    composed = compose("stg_things", THINGS)
    assert composed.startswith("-- latest rows of raw_things by thing_id\n-- a note\n")
    assert composed.endswith(
        "),\n\nfinal as (select thing_id, label from latest)\nselect * from final"
    )
    assert "{" not in composed
    assert read_tables(composed) == {"raw_things"}


def test_composed_latest_rows_keep_the_last_ingested_then_the_last_batch() -> None:
    connection = duckdb.connect()
    connection.execute(
        "create table raw_things as select * from (values "
        "(1, 'single', timestamp '2024-01-01', 'b1'), "
        "(2, 'older', timestamp '2024-01-01', 'b9'), (2, 'newer', timestamp '2024-01-02', 'b1'), "
        "(3, 'first batch', timestamp '2024-01-01', 'b1'), "
        "(3, 'second batch', timestamp '2024-01-01', 'b2')"
        ") as t(thing_id, label, _ingested_at, _batch_id)"
    )
    rows = connection.sql(compose("stg_things", THINGS) + " order by thing_id").fetchall()
    assert rows == [(1, "single"), (2, "newer"), (3, "second batch")]


def test_sql_without_the_latest_rows_line_is_left_as_written() -> None:
    sql = (
        "-- latest rows are not asked for here\nwith final as (select 1 as id) select * from final"
    )
    assert compose("dim_x", sql) == sql


def test_latest_rows_need_a_cte_chain_after_the_comments() -> None:
    with pytest.raises(ModelDefinitionError, match="stg_flat reads latest rows") as caught:
        compose("stg_flat", "-- latest rows of raw_things by thing_id\nselect * from latest")
    assert caught.value.model == "stg_flat"


def test_materialisation_is_drop_and_create_table_as_not_create_or_replace() -> None:
    build = load_models()["dim_venue"].build_sql()
    assert build.startswith("drop table if exists dim_venue;\ncreate table dim_venue as\n")
    assert "or replace" not in build


def test_every_model_tests_its_key_for_uniqueness_and_nulls() -> None:
    for model in load_models().values():
        tests = model.tests
        assert Unique(model.spec.key) in tests
        required = model.spec.not_null or model.spec.key
        assert {NotNull(column) for column in required} <= set(tests)
        assert len({test.name for test in tests}) == len(tests), model.name


def _model(name: str, *depends_on: str) -> Model:
    return Model(
        name, "core", "select 1", ModelSpec("x", ("id",)), frozenset(depends_on), frozenset()
    )


def test_a_cycle_is_refused_naming_the_models_in_it() -> None:
    models = {m.name: m for m in (_model("a", "c"), _model("b", "a"), _model("c", "b"))}
    with pytest.raises(ModelDefinitionError, match="depend on each other: a -> b -> c -> a"):
        build_order(models)


def test_ready_models_are_ordered_by_layer_then_name() -> None:
    models = {m.name: m for m in (_model("b"), _model("a"), _model("c", "a", "b"))}
    assert build_order(models) == ["a", "b", "c"]


def _write(root: Path, layer: str, name: str, sql: str) -> None:
    (root / layer).mkdir(parents=True, exist_ok=True)
    (root / layer / f"{name}.sql").write_text(sql)


def test_a_model_reading_an_unknown_table_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_registry: None
) -> None:
    monkeypatch.setattr(registry, "SQL_ROOT", tmp_path)
    monkeypatch.setattr(registry, "MODELS", {"stg_x": ModelSpec("x", ("id",))})
    _write(
        tmp_path,
        "staging",
        "stg_x",
        "with final as (select * from raw_nothing) select * from final",
    )
    with pytest.raises(ModelDefinitionError, match="stg_x reads raw_nothing") as caught:
        load_models()
    assert caught.value.model == "stg_x"


def test_a_sql_file_without_a_spec_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_registry: None
) -> None:
    monkeypatch.setattr(registry, "SQL_ROOT", tmp_path)
    monkeypatch.setattr(registry, "MODELS", {})
    _write(tmp_path, "marts", "mart_orphan", "select 1 as id")
    with pytest.raises(ModelDefinitionError, match=r"mart_orphan .* has no spec"):
        load_models()


def test_a_spec_without_a_sql_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_registry: None
) -> None:
    monkeypatch.setattr(registry, "SQL_ROOT", tmp_path)
    monkeypatch.setattr(registry, "MODELS", {"dim_ghost": ModelSpec("x", ("id",))})
    with pytest.raises(ModelDefinitionError, match=r"dim_ghost has a spec but no dim_ghost\.sql"):
        load_models()


def test_sql_that_does_not_parse_names_its_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_registry: None
) -> None:
    monkeypatch.setattr(registry, "SQL_ROOT", tmp_path)
    monkeypatch.setattr(registry, "MODELS", {"dim_bad": ModelSpec("x", ("id",))})
    _write(tmp_path, "core", "dim_bad", "select from where (")
    with pytest.raises(ModelDefinitionError, match="model dim_bad does not parse"):
        load_models()
