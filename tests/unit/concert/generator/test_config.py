"""Presets and settings: named sizes, overrides, and clear errors for bad values."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from concert.ingest.generator import PRESETS, GeneratorConfig, GeneratorConfigError
from foundation.errors import BadRequestError


def test_presets_grow_from_demo_to_ten_million_sales() -> None:
    demo = GeneratorConfig.preset("demo")
    assert (demo.artists, demo.venues) == (200, 120)
    assert demo.target_sales == 300_000
    sizes = [
        GeneratorConfig.preset(name).target_sales
        for name in ("tiny", "demo", "small", "large", "10m")
    ]
    assert sizes == sorted(sizes)
    assert GeneratorConfig.preset("small").target_sales == 1_000_000
    assert GeneratorConfig.preset("10m").target_sales >= 10_000_000
    assert set(PRESETS) == {"tiny", "demo", "small", "large", "10m"}


def test_as_of_defaults_to_today_and_can_be_fixed() -> None:
    assert GeneratorConfig().as_of == datetime.now(UTC).date()
    fixed = GeneratorConfig.preset("demo", as_of=date(2024, 1, 2), seed=9)
    assert (fixed.as_of, fixed.seed) == (date(2024, 1, 2), 9)


def test_an_unknown_preset_is_a_bad_request_listing_the_presets() -> None:
    with pytest.raises(GeneratorConfigError, match=r"'huge'.*demo, small, large, 10m") as raised:
        GeneratorConfig.preset("huge")
    assert isinstance(raised.value, BadRequestError)


def test_an_unknown_override_names_the_setting() -> None:
    with pytest.raises(GeneratorConfigError, match="sales_target") as raised:
        GeneratorConfig.preset("demo", sales_target=5)
    assert raised.value.extra["field"] == "sales_target"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("artists", 0),
        ("concerts", -1),
        ("target_sales", 0),
        ("history_days", 10),
        ("interactions_per_sale", -0.5),
        ("seed", -3),
        ("artists", 1_000_000),
        ("customers", 100_000_000),
    ],
)
def test_out_of_range_settings_name_the_field(field: str, value: float) -> None:
    with pytest.raises(GeneratorConfigError, match=field) as raised:
        GeneratorConfig(**{field: value})
    assert raised.value.extra["field"] == field
