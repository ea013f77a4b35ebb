"""The demo flow ``skyline prepare`` runs before serving.

generate (seeded) -> CSV files -> file ingestion (raw, validation, processed,
quarantine) -> warehouse load -> SQL models and their tests -> quality checks.
Batch ids derive from the seed, so a second run finds every batch already
ingested and loaded, and changes nothing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from concert.domain import ENTITIES
from concert.ingest.files import ingest_file
from concert.ingest.files.exceptions import DuplicateBatchError, DuplicateFileError
from concert.ingest.files.ingest import batch_index_key
from concert.ingest.generator import GeneratorConfig, generate
from concert.ingest.generator.sample_files import write_sample_files
from concert.quality.engine import run_quality_checks
from concert.settings import ConcertSettings
from concert.warehouse.loader import load_processed
from concert.warehouse.runner import build_warehouse
from foundation.adapters import Adapters

Progress = Callable[[str], None]
FINAL_MODEL = "mart_daily_sales"


@dataclass
class DemoReport:
    ingested: dict[str, int] = field(default_factory=dict)
    already_ingested: list[str] = field(default_factory=list)
    rows_loaded: int = 0
    models_built: int = 0
    failed_tests: list[str] = field(default_factory=list)
    quality_scores: dict[str, float] = field(default_factory=dict)


def run_demo(
    adapters: Adapters,
    concert: ConcertSettings,
    *,
    preset: str | None = None,
    progress: Progress | None = None,
) -> DemoReport:
    say = progress or (lambda _step: None)
    report = DemoReport()
    preset = preset or concert.demo_preset
    raw = adapters.object_store(concert.raw_bucket)
    processed = adapters.object_store(concert.processed_bucket)
    warehouse = adapters.warehouse(concert.warehouse)

    batch_ids = {
        entity: f"demo-{preset}-{concert.demo_seed}-{entity.replace('_', '-')}"
        for entity in ENTITIES
    }
    pending = [e for e, batch in batch_ids.items() if not raw.exists(batch_index_key(e, batch))]
    report.already_ingested = [entity for entity in ENTITIES if entity not in pending]
    if pending:
        say(f"generating the {preset} data set (seed {concert.demo_seed})")
        data = generate(GeneratorConfig.preset(preset, seed=concert.demo_seed))
        with tempfile.TemporaryDirectory(prefix="concert-demo-") as scratch:
            for entity in pending:
                say(f"ingesting {entity}")
                files = write_sample_files(data, entity, Path(scratch), formats=("csv",), rows=None)
                try:
                    result = ingest_file(
                        files["csv"],
                        entity=entity,
                        raw_store=raw,
                        processed_store=processed,
                        source="generator",
                        batch_id=batch_ids[entity],
                    )
                except (DuplicateBatchError, DuplicateFileError):
                    report.already_ingested.append(entity)  # another process got there first
                    continue
                report.ingested[entity] = result.rows_accepted
    say("loading the warehouse")
    report.rows_loaded = load_processed(warehouse, processed).rows_loaded
    if report.rows_loaded == 0 and warehouse.table_exists(FINAL_MODEL):
        say("warehouse already built from this data")
        return report
    say("building the SQL models")
    build = build_warehouse(warehouse)
    report.models_built = len(build.runs)
    report.failed_tests = [f"{t.model}: {t.test}" for t in build.failed_tests]
    say("checking data quality")
    quality = run_quality_checks(warehouse)
    report.quality_scores = {
        score.entity: score.score for score in quality.table_scores if score.score is not None
    }
    return report


__all__ = ["DemoReport", "run_demo"]
