"""File ingest with validation against DuckDB's plain read_csv of the same file.

A ticket-sales CSV is written with numpy and pyarrow in the documented upload
format, shaped like the generator's output: sales numbered in purchase-time
order over 900 days (so a file lands in 30 monthly partitions), 5,000
concerts, four tiers, six payment methods, every row valid; the same file
shuffled is measured too. ``ingest_file`` is timed end to
end on local object stores that fsync: raw copy (hashed, UTF-8 checked),
parse and validation with the SQL generated from the models, Parquet by month,
quarantine, manifests. The baseline is ``read_csv`` of the same file into an
Arrow table on a fresh DuckDB connection (types auto-detected), timed in the
same run. Targets: 1,000,000 rows in under 10 s and at most 3x the baseline.
Run alone with ``uv run python -m bench.bench_ingest_files [--quick]``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from bench.harness import Measurement, Section
from concert.domain.models import ENTITIES
from concert.ingest.files import ingest_file
from concert.ingest.files.sources import csv_header, csv_source
from concert.validation import Lineage, connect, iter_validated
from foundation.objectstore import LocalObjectStore

TARGET_SECONDS = 10.0
TARGET_RATIO = 3.0
DAYS = 900
GROWTH_BUDGET_SECONDS = 120.0
TIERS = np.array(["general", "floor", "balcony", "vip"])
METHODS = np.array(["credit_card", "debit_card", "paypal", "apple_pay", "google_pay", "gift_card"])


def _ids(prefix: str, numbers: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(numbers), pa.string()), "")


def write_sales_csv(
    path: Path, rows: int, *, seed: int = 7, days: int = DAYS, in_time_order: bool = True
) -> None:
    """``rows`` valid ticket sales over ``days`` days, written in chunks (bounded memory).

    Like the generator's output, sales are in purchase-time order and numbered in
    that order; ``in_time_order=False`` shuffles the times (the worst case for the
    split into months).
    """
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-01T00:00:00")
    span = days * 86_400
    with pacsv.CSVWriter(
        path, _schema(), write_options=pacsv.WriteOptions(quoting_style="none")
    ) as out:
        for low in range(0, rows, 1_000_000):
            n = min(1_000_000, rows - low)
            quantity = rng.integers(1, 9, n)
            unit = np.round(rng.uniform(20, 400, n), 2)
            if in_time_order:  # this chunk's share of the days, in order
                offsets = np.sort(rng.integers(low * span // rows, (low + n) * span // rows, n))
            else:
                offsets = rng.integers(0, span, n)
            moments = start + offsets.astype("timedelta64[s]")
            stamps = pc.strftime(pa.array(moments), "%Y-%m-%dT%H:%M:%SZ")
            out.write_table(
                pa.table(
                    {
                        "sale_id": _ids("sal-", np.arange(low, low + n)),
                        "concert_id": _ids("con-", rng.integers(0, 5_000, n)),
                        "customer_id": _ids("cus-", rng.integers(0, 200_000, n)),
                        "price_tier": TIERS[rng.integers(0, len(TIERS), n)],
                        "quantity": quantity,
                        "unit_price": unit,
                        "total_price": np.round(quantity * unit, 2),
                        "purchase_timestamp": stamps,
                        "payment_method": METHODS[rng.integers(0, len(METHODS), n)],
                    },
                    schema=_schema(),
                )
            )


def _schema() -> pa.Schema:
    return pa.schema(
        [
            ("sale_id", pa.string()),
            ("concert_id", pa.string()),
            ("customer_id", pa.string()),
            ("price_tier", pa.string()),
            ("quantity", pa.int64()),
            ("unit_price", pa.float64()),
            ("total_price", pa.float64()),
            ("purchase_timestamp", pa.string()),
            ("payment_method", pa.string()),
        ]
    )


def _plain_read(path: Path) -> float:
    con = duckdb.connect()
    try:
        started = time.perf_counter()
        con.sql(f"SELECT * FROM read_csv('{path}')").to_arrow_table()
        return time.perf_counter() - started
    finally:
        con.close()


def _ingest(path: Path, work: Path) -> tuple[float, int]:
    raw, processed = LocalObjectStore(work / "raw"), LocalObjectStore(work / "processed")
    started = time.perf_counter()
    report = ingest_file(path, entity="ticket_sales", raw_store=raw, processed_store=processed)
    seconds = time.perf_counter() - started
    assert report.rows_accepted == report.rows_read, report.rejections[:3]
    return seconds, len(report.processed_manifest_keys)


def _validate_only(path: Path) -> float:
    """Parse and validate into Arrow (no lake writes): the engine's own cost."""
    con = connect()
    lineage = Lineage("bench", "bench", datetime.now(UTC))
    names = csv_header(path, ENTITIES["ticket_sales"])
    try:
        started = time.perf_counter()
        for _ in iter_validated(
            con, csv_source(path, names).relation, ENTITIES["ticket_sales"], lineage
        ):
            pass
        return time.perf_counter() - started
    finally:
        con.close()


@dataclass
class _Rounds:
    ingest: list[float] = field(default_factory=list)
    plain: list[float] = field(default_factory=list)
    validate: list[float] = field(default_factory=list)
    partitions: int = 0

    def ratio(self, times: list[float]) -> float:
        return statistics.median(t / p for t, p in zip(times, self.plain, strict=True))


def _compare(
    work: Path, rows: int, rounds: int, *, days: int = DAYS, in_time_order: bool = True
) -> _Rounds:
    path = work / f"sales-{rows}-{days}-{in_time_order}.csv"
    write_sales_csv(path, rows, days=days, in_time_order=in_time_order)
    result = _Rounds()
    for _ in range(rounds):
        result.plain.append(_plain_read(path))
        result.validate.append(_validate_only(path))
        seconds, result.partitions = _ingest(path, Path(tempfile.mkdtemp(dir=work)))
        result.ingest.append(seconds)
    path.unlink()
    return result


def run(quick: bool) -> Section:
    section = Section(
        title="File ingest with validation",
        description=(
            "`ingest_file` of a valid ticket-sales CSV end to end (raw copy, SQL validation "
            "generated from the models, Parquet by purchase month: 30 partitions for 900 days, "
            "manifests; local stores with fsync) against DuckDB's plain `read_csv` of the same "
            "file into Arrow, in the same run; the ratio is the median of the rounds' ratios. "
            "Sales come in purchase-time order, as the generator and ticketing exports write "
            "them; the shuffled file is the worst case for the split into months."
        ),
    )
    main_rows = 20_000 if quick else 1_000_000
    rounds = 1 if quick else 5
    cases = (
        (DAYS, True, f"over {DAYS} days"),
        (DAYS, False, f"over {DAYS} days, shuffled"),
        (1, True, "of one day"),
    )
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder:
        work = Path(folder)
        for days, in_time_order, label in cases:
            runs = _compare(work, main_rows, rounds, days=days, in_time_order=in_time_order)
            _report(section, main_rows, label, runs)
            if (days, in_time_order) == (DAYS, True):
                seconds_per_row = min(runs.ingest) / main_rows
        _growth(section, work, quick, seconds_per_row)
    return section


def _report(section: Section, rows: int, label: str, runs: _Rounds) -> None:
    best, plain = min(runs.ingest), min(runs.plain)
    ratio = runs.ratio(runs.ingest)
    name = f"{rows:,} sales {label}"
    section.add(Measurement(f"ingest_file, {name}", rows, best, "rows/s",
                            _partitions(runs.partitions)))  # fmt: skip
    section.add(Measurement(f"validation only (no lake writes), {name}", rows,
                            min(runs.validate), "rows/s"))  # fmt: skip
    section.add(Measurement(f"plain read_csv, {name}", rows, plain, "rows/s", "baseline"))
    verdict_time = "meets" if best < TARGET_SECONDS else "misses"
    verdict_ratio = "meets" if ratio <= TARGET_RATIO else "misses"
    section.findings.append(
        f"{name}: {best:.2f} s end to end ({verdict_time} the < {TARGET_SECONDS:.0f} s target), "
        f"{ratio:.1f}x the plain read_csv ({plain:.2f} s: {verdict_ratio} the "
        f"<= {TARGET_RATIO:.0f}x target); parsing and validating alone is "
        f"{runs.ratio(runs.validate):.1f}x, the rest is landing {_partitions(runs.partitions)} "
        "(a Parquet part and a manifest each, fsynced)."
    )


def _partitions(count: int) -> str:
    return f"{count} partition" + ("" if count == 1 else "s")


def _growth(section: Section, work: Path, quick: bool, seconds_per_row: float) -> None:
    sizes = [2_000, 20_000] if quick else [100_000, 1_000_000, 10_000_000]
    per_row = []
    for rows in sizes:
        if not quick and rows * seconds_per_row > GROWTH_BUDGET_SECONDS:
            section.findings.append(
                f"{rows:,} rows skipped: estimated {rows * seconds_per_row:.0f} s, over the "
                f"{GROWTH_BUDGET_SECONDS:.0f} s budget of this benchmark."
            )
            continue
        runs = _compare(work, rows, 1)
        best = min(runs.ingest)
        per_row.append(best / rows * 1e6)
        section.add(Measurement(f"growth: ingest_file, {rows:,} rows", rows, best, "rows/s",
                                _partitions(runs.partitions)))  # fmt: skip
    if len(per_row) > 1:
        section.findings.append(
            "Time per row across the growth rows: "
            + ", ".join(f"{value:.2f} µs" for value in per_row)
            + " (flat means linear; small files pay the fixed cost of 30 partitions)."
        )


if __name__ == "__main__":
    sys.stdout.write(run(quick="--quick" in sys.argv).to_markdown())
