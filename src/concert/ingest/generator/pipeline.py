"""``generate(config)``: every entity as an Arrow table, plus the ground truth.

Each step draws from its own random stream spawned from the seed, so the same
config always yields identical tables, and changing one step (say, the
interaction mix) leaves the others' data unchanged. Everything is vectorised
with numpy: no Python loop runs per sale or per interaction (only per artist
and per venue, for their names).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from concert.domain.models import entity_spec
from concert.ingest.generator.artists import generate_artists
from concert.ingest.generator.concerts import concert_table, plan_concerts
from concert.ingest.generator.config import GeneratorConfig
from concert.ingest.generator.customers import generate_customers
from concert.ingest.generator.ground_truth import GroundTruth, build_ground_truth
from concert.ingest.generator.interactions import generate_interactions
from concert.ingest.generator.sales import generate_sales, mean_quantity
from concert.ingest.generator.venues import generate_venues

Progress = Callable[[str, int, int], None]
STEPS = (
    "artists",
    "venues",
    "customers",
    "concerts",
    "ticket_sales",
    "user_interactions",
    "ground_truth",
)


@dataclass(frozen=True, slots=True)
class GeneratedData:
    """The generated entities (model fields only, no lineage) and what was planted."""

    config: GeneratorConfig
    artists: pa.Table
    venues: pa.Table
    concerts: pa.Table
    ticket_sales: pa.Table
    user_interactions: pa.Table
    ground_truth: GroundTruth

    def tables(self) -> dict[str, pa.Table]:
        """Every entity's table by its plural name, in dependency order."""
        return {
            "artists": self.artists,
            "venues": self.venues,
            "concerts": self.concerts,
            "ticket_sales": self.ticket_sales,
            "user_interactions": self.user_interactions,
        }

    def table(self, entity: str) -> pa.Table:
        return self.tables()[entity_spec(entity).name]


def generate(config: GeneratorConfig, progress: Progress | None = None) -> GeneratedData:
    """Generate every entity for ``config``.

    ``progress(step, done, total)`` is called after each of the ``STEPS``
    (``done`` counts finished steps out of ``total``), for progress bars.
    """
    seeds = np.random.SeedSequence(config.seed).spawn(len(STEPS))
    rng = {step: np.random.default_rng(seed) for step, seed in zip(STEPS, seeds, strict=True)}

    def advance(step: str) -> None:
        if progress is not None:
            progress(step, STEPS.index(step) + 1, len(STEPS))

    artists = generate_artists(rng["artists"], config)
    advance("artists")
    venues = generate_venues(rng["venues"], config)
    advance("venues")
    customers = generate_customers(rng["customers"], config.customers, venues.city)
    advance("customers")
    plan = plan_concerts(rng["concerts"], config, artists, venues, mean_quantity())
    advance("concerts")
    sales = generate_sales(rng["ticket_sales"], plan, customers, artists)
    concerts = concert_table(plan, sales.attendance, sales.revenue_cents)
    advance("ticket_sales")
    interactions = generate_interactions(
        rng["user_interactions"],
        config,
        artists=artists,
        plan=plan,
        customers=customers,
        sales=sales,
    )
    advance("user_interactions")
    truth = build_ground_truth(artists, customers, plan, sales.attendance)
    advance("ground_truth")
    return GeneratedData(
        config=config,
        artists=artists.table,
        venues=venues.table,
        concerts=concerts,
        ticket_sales=sales.table,
        user_interactions=interactions,
        ground_truth=truth,
    )


__all__ = ["STEPS", "GeneratedData", "Progress", "generate"]
