"""Scale smoke test: the "small" preset (a million sales) generates whole and consistent."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pytest

from concert.domain.models import ENTITIES
from concert.domain.schema import arrow_schema
from concert.ingest.generator import GeneratorConfig, generate

from .conftest import AS_OF


@pytest.mark.slow
def test_the_small_preset_generates_a_million_consistent_sales() -> None:
    data = generate(GeneratorConfig.preset("small", as_of=AS_OF))
    sales = data.ticket_sales
    assert sales.num_rows >= 990_000
    for entity, table in data.tables().items():
        assert table.schema == arrow_schema(ENTITIES[entity], lineage=False)
    assert pc.count_distinct(sales["sale_id"]).as_py() == sales.num_rows
    quantity = sales["quantity"].to_numpy()
    assert (
        np.abs(sales["total_price"].to_numpy() - quantity * sales["unit_price"].to_numpy()).max()
        < 0.005
    )
    assert data.user_interactions.num_rows == data.config.max_interactions
