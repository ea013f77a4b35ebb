"""The synthetic concert data generator: seeded, reproducible, realistic enough to learn from.

``generate(GeneratorConfig.preset("demo"))`` builds artists, venues, concerts,
ticket sales and user interactions as Arrow tables with exactly the
processed-zone schema minus lineage, plus the ground truth that was planted
(user genre preferences, per-concert demand factors). ``land_generated``
writes them to the raw zone as Parquet with a manifest per partition, and
``write_sample_files`` writes upload-ready CSV, JSON and XML files. Each module
documents the effects it plants: popularity tails (artists), capacities by
type (venues), weekday, season, price and sell-through (concerts), buying
behaviour (sales), preferences (customers) and browsing (interactions).
"""

from concert.ingest.generator.config import PRESETS, GeneratorConfig
from concert.ingest.generator.exceptions import GeneratorConfigError, RawBatchExistsError
from concert.ingest.generator.ground_truth import GroundTruth
from concert.ingest.generator.pipeline import STEPS, GeneratedData, Progress, generate

__all__ = [
    "PRESETS",
    "STEPS",
    "GeneratedData",
    "GeneratorConfig",
    "GeneratorConfigError",
    "GroundTruth",
    "Progress",
    "RawBatchExistsError",
    "generate",
]
