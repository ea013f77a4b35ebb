"""Synthetic data generator throughput: ticket sales per second, against a per-row loop.

Each measurement runs ``generate()`` end to end (artists, venues, customers,
concerts, sales, interactions, ground truth) for a world sized to the target
number of sales, and counts the sales produced. The baseline is what a plain
generator would do: a Python loop drawing each sale's concert, tier, quantity,
buyer, time and payment with :mod:`random`, then building an Arrow table from
the row dicts; it runs on a small sample and its per-row rate is extrapolated.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa

from bench.harness import Measurement, Section, timed
from concert.domain.models import ENTITIES
from concert.domain.schema import arrow_schema
from concert.ingest.generator import GeneratorConfig, generate

AS_OF = date(2025, 6, 1)
TIERS = {"general_admission": 45.0, "reserved": 65.0, "vip": 150.0}
PAYMENTS = ["credit_card", "debit_card", "paypal", "apple_pay", "google_pay", "gift_card"]


def config_for(sales: int) -> GeneratorConfig:
    """A world in the presets' proportions (about 650 sales per concert)."""
    if sales >= 10_000_000:
        return GeneratorConfig.preset("10m", as_of=AS_OF)
    concerts = max(40, sales // 650)
    return GeneratorConfig(
        artists=max(40, concerts * 10 // 25),
        venues=max(30, concerts // 8),
        customers=max(1_000, sales // 12),
        concerts=concerts,
        target_sales=sales,
        as_of=AS_OF,
        interactions_per_sale=min(2.5, 2_000_000 / sales),
    )


def naive_sales(count: int, seed: int = 42) -> pa.Table:
    """The baseline: one Python iteration and one dict per sale."""
    rng = random.Random(seed)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    rows = []
    for number in range(1, count + 1):
        tier = rng.choice(list(TIERS))
        quantity = rng.choices((1, 2, 3, 4, 6, 10), weights=(27, 42, 9, 13, 6, 3))[0]
        rows.append(
            {
                "sale_id": f"sal-{number:010d}",
                "concert_id": f"con-{rng.randrange(1, 2_000):07d}",
                "customer_id": f"cus-{rng.randrange(1, 25_000):08d}",
                "price_tier": tier,
                "quantity": quantity,
                "unit_price": TIERS[tier],
                "total_price": round(quantity * TIERS[tier], 2),
                "purchase_timestamp": start + timedelta(seconds=rng.randrange(60_000_000)),
                "payment_method": rng.choice(PAYMENTS),
            }
        )
    return pa.Table.from_pylist(rows, schema=arrow_schema(ENTITIES["ticket_sales"], lineage=False))


def run(quick: bool) -> Section:
    section = Section(
        "Synthetic data generator",
        "Ticket sales generated per second by `generate()` (every entity, ground truth "
        "included), against a per-row Python loop that builds only the sales.",
    )
    sample = 5_000 if quick else 50_000
    baseline = section.add(
        replace(
            timed(
                "baseline: per-row Python loop (sales only)",
                sample,
                lambda: naive_sales(sample),
                f"{sample:,} rows, rate extrapolated",
            ),
            unit="sales/s",
        )
    )
    results: list[tuple[int, Measurement]] = []
    for target in (10_000, 50_000) if quick else (100_000, 1_000_000, 10_000_000):
        config = config_for(target)
        produced: list[int] = []

        def work(config: GeneratorConfig = config, produced: list[int] = produced) -> None:
            data = generate(config)
            produced.append(data.ticket_sales.num_rows)
            produced.append(data.user_interactions.num_rows)

        measured = timed(f"generate(), {target:,} sales", 0, work)
        sales, interactions = produced
        measurement = section.add(
            Measurement(
                measured.name,
                sales,
                measured.seconds,
                unit="sales/s",
                note=f"{config.concerts:,} concerts, {interactions:,} interactions",
            )
        )
        results.append((target, measurement))
    (smallest_target, smallest), (biggest_target, biggest) = results[0], results[-1]
    section.findings += [
        f"At {biggest_target:,} sales `generate()` runs {biggest.rate / baseline.rate:,.1f}x "
        f"the per-row baseline ({biggest.rate:,.0f} vs {baseline.rate:,.0f} sales/s), while "
        f"also building every other entity and the ground truth, in {biggest.seconds:.1f} s.",
        f"From {smallest_target:,} to {biggest_target:,} sales the rate changes "
        f"{biggest.rate / smallest.rate:.2f}x (1.00 would be time growing exactly linearly; "
        "above 1, fixed costs such as names and pools weigh less at scale).",
    ]
    return section


if __name__ == "__main__":
    print(run(quick=False).to_markdown())
