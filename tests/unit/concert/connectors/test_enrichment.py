"""Reading the operator's enrichment CSVs: what a good file gives, and where a bad one is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from concert.domain.models import VenueType
from concert.ingest.connectors import (
    EnrichmentFileError,
    VenueFacts,
    read_artist_popularity,
    read_venue_facts,
)

VENUE_HEADER = "ticketmaster_venue_id,capacity,venue_type"


def csv_file(tmp_path: Path, *lines: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "facts.csv"
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def test_venue_facts_by_id_with_cells_trimmed_types_in_any_case_and_extra_columns_ignored(
    tmp_path: Path,
) -> None:
    path = csv_file(
        tmp_path,
        f"name,{VENUE_HEADER}",
        "Madison Square Garden, KovZpZA7AAEA , 19500 ,Arena",
        "",
        '"Hall, the small one",KovZpZA00001,850,hall',
        encoding="utf-8-sig",  # as spreadsheets save it
    )
    assert read_venue_facts(path) == {
        "KovZpZA7AAEA": VenueFacts(19500, VenueType.ARENA),
        "KovZpZA00001": VenueFacts(850, VenueType.HALL),
    }


def test_a_header_alone_gives_no_facts(tmp_path: Path) -> None:
    assert read_venue_facts(csv_file(tmp_path, VENUE_HEADER)) == {}


def test_artist_popularity_by_attraction_id_from_0_to_100(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path, "ticketmaster_attraction_id,popularity", "K8vZ9171ob7,100", "K8vZ917_uc0,0"
    )
    assert read_artist_popularity(path) == {"K8vZ9171ob7": 100, "K8vZ917_uc0": 0}


@pytest.mark.parametrize(
    ("lines", "where", "reason"),
    [
        (["a,0,arena"], "line 2, column capacity", "'0' is not a whole number from 1 to 250,000"),
        (["a,-5,arena"], "line 2, column capacity", "'-5' is not a whole number"),
        (["a,1_000,arena"], "line 2, column capacity", "'1_000' is not a whole number"),
        (["a,12.5,arena"], "line 2, column capacity", "'12.5' is not a whole number"),
        (["a,,arena"], "line 2, column capacity", "'' is not a whole number"),
        (["a,250001,arena"], "line 2, column capacity", "'250001' is not a whole number"),
        (
            ["a,100,arena", "b,100,barn"],
            "line 3, column venue_type",
            "'barn' is not one of arena, stadium, theater, club, amphitheater, hall, other",
        ),
        (
            ["a,100,arena", "", "a,200,club"],
            "line 4, column ticketmaster_venue_id",
            "'a' is already on line 2",
        ),
        ([" ,100,arena"], "line 2, column ticketmaster_venue_id", "empty"),
        (["a,100"], "line 2", "2 cells, but the header has 3"),
    ],
)
def test_a_bad_venue_row_names_the_file_line_and_column(
    tmp_path: Path, lines: list[str], where: str, reason: str
) -> None:
    path = csv_file(tmp_path, VENUE_HEADER, *lines)
    with pytest.raises(EnrichmentFileError) as raised:
        read_venue_facts(path)
    assert raised.value.detail.startswith(f"{path} {where}: {reason}")


def test_a_missing_column_names_it_and_the_header_wanted(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "ticketmaster_venue_id,size,kind", "a,100,arena")
    with pytest.raises(EnrichmentFileError) as raised:
        read_venue_facts(path)
    assert raised.value.detail == (
        f"{path} line 1: missing column(s) capacity, venue_type; "
        f"the header must hold {VENUE_HEADER}"
    )


@pytest.mark.parametrize("popularity", ["101", "-1", "high"])
def test_a_popularity_outside_0_to_100_names_the_line_and_column(
    tmp_path: Path, popularity: str
) -> None:
    path = csv_file(tmp_path, "ticketmaster_attraction_id,popularity", f"K8v,{popularity}")
    with pytest.raises(EnrichmentFileError) as raised:
        read_artist_popularity(path)
    assert raised.value.detail == (
        f"{path} line 2, column popularity: {popularity!r} is not a whole number from 0 to 100"
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "missing column(s) ticketmaster_venue_id, capacity, venue_type"),
        (b"\xff\xfe not utf-8", "cannot be read"),
    ],
)
def test_an_empty_or_undecodable_file_is_refused(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "facts.csv"
    path.write_bytes(content)
    with pytest.raises(EnrichmentFileError) as raised:
        read_venue_facts(path)
    assert raised.value.detail.startswith(str(path))
    assert reason in raised.value.detail


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(EnrichmentFileError, match="cannot be read") as raised:
        read_venue_facts(tmp_path / "absent.csv")
    assert raised.value.detail.startswith(str(tmp_path / "absent.csv"))
