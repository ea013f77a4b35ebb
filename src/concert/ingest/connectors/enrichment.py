"""What Ticketmaster does not publish, read from CSV files the operator keeps.

Ticketmaster gives no venue capacity nor type and no artist popularity (see
:mod:`concert.ingest.connectors.mapping`). These readers turn an operator's CSV,
keyed by Ticketmaster's own ids, into the mappings :class:`Enrichment` takes.
A file is used whole or not at all: the first bad cell raises
:class:`EnrichmentFileError` naming the file, the line and the column, so no
fetch starts on half of it. Cells are trimmed, blank lines skipped, and columns
beyond the required ones (a venue's name, say) ignored.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from concert.domain.models import MAX_CAPACITY, VenueType
from concert.ingest.connectors.mapping import VenueFacts
from foundation.errors import FieldIssue, InvalidInputError

VENUE_FACTS_COLUMNS = ("ticketmaster_venue_id", "capacity", "venue_type")
ARTIST_POPULARITY_COLUMNS = ("ticketmaster_attraction_id", "popularity")
_POPULARITY_RANGE = (0, 100)  # the Artist model's bounds, Spotify's scale
# ASCII digits only: int() would also take "1_000", "+7" and other scripts' digits.
# Twelve of them are far above any bound here and well inside what int() parses.
_DIGITS = re.compile(r"[0-9]{1,12}")


class EnrichmentFileError(InvalidInputError):
    """An enrichment file that cannot be used; ``detail`` names the file, line and column."""

    def __init__(
        self, path: Path, reason: str, *, line: int | None = None, column: str | None = None
    ) -> None:
        where = str(path)
        if line is not None:
            where += f" line {line}"
        if column is not None:
            where += f", column {column}"
        issues = [FieldIssue(column, reason)] if column is not None else []
        super().__init__(
            f"{where}: {reason}", issues=issues, path=str(path), line=line, column=column
        )


def read_venue_facts(path: Path) -> dict[str, VenueFacts]:
    """Capacity and type by Ticketmaster venue id, from a CSV whose header is
    ``ticketmaster_venue_id,capacity,venue_type``; raises :class:`EnrichmentFileError`."""
    return {
        venue_id: VenueFacts(row.integer("capacity", 1, MAX_CAPACITY), row.venue_type())
        for venue_id, row in _keyed_rows(path, VENUE_FACTS_COLUMNS)
    }


def read_artist_popularity(path: Path) -> dict[str, int]:
    """Popularity (0 to 100) by Ticketmaster attraction id, from a CSV whose header is
    ``ticketmaster_attraction_id,popularity``; raises :class:`EnrichmentFileError`."""
    return {
        attraction_id: row.integer("popularity", *_POPULARITY_RANGE)
        for attraction_id, row in _keyed_rows(path, ARTIST_POPULARITY_COLUMNS)
    }


@dataclass(frozen=True, slots=True)
class _Row:
    """One data line's trimmed cells by column name, and where it came from."""

    path: Path
    line: int
    cells: Mapping[str, str]

    def error(self, column: str, reason: str) -> EnrichmentFileError:
        return EnrichmentFileError(self.path, reason, line=self.line, column=column)

    def integer(self, column: str, low: int, high: int) -> int:
        text = self.cells[column]
        if not _DIGITS.fullmatch(text) or not low <= int(text) <= high:
            raise self.error(column, f"{text!r} is not a whole number from {low:,} to {high:,}")
        return int(text)

    def venue_type(self) -> VenueType:
        text = self.cells["venue_type"]
        try:
            return VenueType(text.lower())
        except ValueError:
            allowed = ", ".join(VenueType)
            raise self.error("venue_type", f"{text!r} is not one of {allowed}") from None


def _keyed_rows(path: Path, columns: tuple[str, ...]) -> list[tuple[str, _Row]]:
    """The rows by their first column's id, which must be present and unique."""
    key_column = columns[0]
    first_line: dict[str, int] = {}
    keyed = []
    for row in _rows(path, columns):
        key = row.cells[key_column]
        if not key:
            raise row.error(key_column, "empty")
        if key in first_line:
            raise row.error(key_column, f"{key!r} is already on line {first_line[key]}")
        first_line[key] = row.line
        keyed.append((key, row))
    return keyed


def _rows(path: Path, columns: tuple[str, ...]) -> list[_Row]:
    """The data lines of a CSV whose header holds ``columns``."""
    rows = []
    try:
        # utf-8-sig: spreadsheets often start a CSV with a byte order mark.
        with path.open(encoding="utf-8-sig", newline="") as file:
            reader = csv.reader(file)
            header = [name.strip() for name in next(reader, [])]
            missing = [column for column in columns if column not in header]
            if missing:
                raise EnrichmentFileError(
                    path,
                    f"missing column(s) {', '.join(missing)}; the header must hold "
                    f"{','.join(columns)}",
                    line=1,
                )
            for cells in reader:
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) != len(header):
                    raise EnrichmentFileError(
                        path,
                        f"{len(cells)} cells, but the header has {len(header)}",
                        line=reader.line_num,
                    )
                trimmed = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
                rows.append(_Row(path, reader.line_num, trimmed))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise EnrichmentFileError(path, f"cannot be read: {exc}") from exc
    return rows


__all__ = [
    "ARTIST_POPULARITY_COLUMNS",
    "VENUE_FACTS_COLUMNS",
    "EnrichmentFileError",
    "read_artist_popularity",
    "read_venue_facts",
]
