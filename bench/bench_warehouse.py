"""Warehouse build: every SQL model over 100k, 1M and 10M ticket sales in DuckDB.

The data comes from the concert generator: its "10m" preset for 10 million
sales, and the same preset scaled down (artists, venues, customers, concerts
and interactions in proportion) for the smaller sizes. Each size gets a fresh
lake and DuckDB file: the entities are written to the processed zone (Parquet
with lineage, one folder and manifest per month), loaded with ``load_processed``
and built with ``build_warehouse``: 15 models in dependency order, then
their tests. The build is timed apart from the load, with and without the tests;
the target is 10M sales through all models in under 60 s. The baseline, in the
same run on the same loaded table, is the least any build must do: DuckDB
running one plain aggregation over the raw sales (``select concert_id,
sum(total_price) from raw_ticket_sales group by 1``, best of 3).
"""

from __future__ import annotations

import itertools
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.harness import Measurement, Section, best_of
from concert.ingest.generator import PRESETS, GeneratorConfig, generate
from concert.warehouse import build_warehouse, load_processed
from concert.warehouse.testing import write_processed
from foundation.objectstore.local import LocalObjectStore
from foundation.warehouse.duckdb_warehouse import DuckDbWarehouse

SIZES = (100_000, 1_000_000, 10_000_000)
QUICK_SIZES = (50_000,)
PRESET = "10m"
TARGET_SALES = 10_000_000
TARGET_SECONDS = 60.0
BASELINE_SQL = "select concert_id, sum(total_price) as revenue from raw_ticket_sales group by 1"
AS_OF = date(2025, 6, 1)  # fixed, so every run builds the same data
_SCALED = ("artists", "venues", "customers", "concerts", "target_sales", "max_interactions")


def config_for(sales: int) -> GeneratorConfig:
    """The "10m" preset, scaled so that it makes about ``sales`` ticket sales."""
    preset = PRESETS[PRESET]
    if sales >= TARGET_SALES:
        return GeneratorConfig.preset(PRESET, as_of=AS_OF)
    fraction = sales / preset["target_sales"]
    scaled = {name: max(10, round(preset[name] * fraction)) for name in _SCALED}
    return GeneratorConfig.preset(PRESET, as_of=AS_OF, **scaled)


def _measure(sales: int, directory: Path, section: Section) -> tuple[float, float, float]:
    """Write, load and build one size; returns (models s, models + tests s, baseline s)."""
    data = generate(config_for(sales))
    store = LocalObjectStore(directory / "objects", fsync=False)
    for entity, table in data.tables().items():
        write_processed(store, entity, table, source="generator")
    rows = data.ticket_sales.num_rows
    with DuckDbWarehouse(directory / "warehouse.duckdb") as warehouse:
        started = time.perf_counter()
        loaded = load_processed(warehouse, store)
        section.add(
            Measurement(
                f"load processed zone ({rows:,} sales)",
                loaded.rows_loaded,
                time.perf_counter() - started,
                unit="rows/s",
                note=f"all entities, {len(loaded.batches):,} month partitions",
            )
        )
        started, cpu = time.perf_counter(), time.process_time()
        report = build_warehouse(warehouse)
        total, cpu = time.perf_counter() - started, time.process_time() - cpu
        models = sum(run.seconds for run in report.runs)
        slowest = sorted(report.runs, key=lambda run: run.seconds, reverse=True)[:2]
        failed = ", ".join(f"{r.model}: {r.test}" for r in report.failed_tests) or "none"
        section.add(
            Measurement(
                f"build 15 models ({rows:,} sales)",
                rows,
                models,
                unit="sales/s",
                note="slowest: " + ", ".join(f"{r.model} {r.seconds:.1f} s" for r in slowest),
            )
        )
        section.add(
            Measurement(
                f"build + {len(report.tests)} tests ({rows:,} sales)",
                rows,
                total,
                unit="sales/s",
                note=f"{cpu:.0f} CPU-s; failed tests: {failed}",
            )
        )
        baseline = best_of(
            3,
            f"baseline: one DuckDB group-by ({rows:,} sales)",
            rows,
            lambda: warehouse.query(BASELINE_SQL),
        )
        section.add(baseline)
    return models, total, baseline.seconds


def _findings(results: dict[int, tuple[float, float, float]]) -> list[str]:
    findings = []
    sizes = sorted(results)
    for smaller, larger in itertools.pairwise(sizes):
        factor = larger / smaller
        growth = results[larger][1] / results[smaller][1]
        if growth > factor * 1.2:
            shape = "worse than linear"
        elif growth >= factor * 0.8:
            shape = "linear (within 20%)"
        else:
            shape = "better than linear (fixed costs weigh less at scale)"
        findings.append(
            f"{smaller:,} -> {larger:,} sales (x{factor:.0f}): build + tests time x{growth:.1f}, "
            f"{shape}"
        )
    for sales, (models, _, baseline) in sorted(results.items()):
        findings.append(
            f"{sales:,} sales: building every model takes {models / baseline:.0f}x the time of "
            "one plain aggregation over the same rows"
        )
    if TARGET_SALES in results:
        models, total, _ = results[TARGET_SALES]
        verdict = "meets" if total < TARGET_SECONDS else "misses"
        findings.append(
            f"target: {TARGET_SALES:,}+ sales through all 15 models in {models:.1f} s "
            f"({total:.1f} s with the tests), {verdict} the {TARGET_SECONDS:.0f} s target"
        )
    return findings


def run(quick: bool) -> Section:
    section = Section("Warehouse build (DuckDB)", " ".join(__doc__.split("\n\n")[1].split()))
    results: dict[int, tuple[float, float, float]] = {}
    for sales in QUICK_SIZES if quick else SIZES:
        with tempfile.TemporaryDirectory(prefix="bench-warehouse-") as directory:
            results[sales] = _measure(sales, Path(directory), section)
    section.findings.extend(_findings(results))
    return section


if __name__ == "__main__":
    sys.stdout.write(run("--quick" in sys.argv).to_markdown())
