"""Run the benchmarks: ``python -m bench [--quick] [--output FILE] [name ...]``.

All of them write docs/benchmarks.md; a subset is only printed unless ``--output``
names a file, so running one section never replaces the whole document.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from bench.harness import Section

BENCHMARKS = (
    "bench_table",
    "bench_stream",
    "bench_cache",
    "bench_twin",
    "bench_generator",
    "bench_ingest_files",
    "bench_ingest_stream",
    "bench_warehouse",
)
OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def _header(quick: bool) -> str:
    machine = f"{platform.machine()}, {_cpu_count()} cores, Python {platform.python_version()}"
    mode = " (quick mode: tiny workloads, figures not meaningful)" if quick else ""
    return (
        "# Benchmarks\n\n"
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine}{mode}.\n"
        "Every section compares a component with a plain baseline measured in the same run.\n\n"
    )


def _cpu_count() -> int:
    import os  # noqa: PLC0415

    return os.cpu_count() or 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"subset of {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="tiny workloads (smoke test)")
    parser.add_argument("--output", type=Path, help=f"default: {OUTPUT} for a full run")
    args = parser.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    console = Console(stderr=True)
    sections: list[Section] = []
    with Progress(console=console) as progress:
        task = progress.add_task("benchmarks", total=len(names))
        for name in names:
            progress.update(task, description=f"running {name}")
            module = importlib.import_module(f"bench.{name}")
            sections.append(module.run(quick=args.quick))
            progress.advance(task)
    document = _header(args.quick) + "\n".join(section.to_markdown() for section in sections)
    output = args.output or (None if args.names else OUTPUT)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(document)
        console.print(f"wrote {output}")
    sys.stdout.write(document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
