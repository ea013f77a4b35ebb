"""The progress callback the warehouse steps report through (the CLI draws bars from it)."""

from __future__ import annotations

from collections.abc import Callable

#: Called as ``progress(step, done, total)``: ``done`` of ``total`` units of ``step`` are finished.
Progress = Callable[[str, int, int], None]


def report(progress: Progress | None, step: str, done: int, total: int) -> None:
    if progress is not None:
        progress(step, done, total)


__all__ = ["Progress", "report"]
