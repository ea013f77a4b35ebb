"""Sample files follow the documented upload formats and round-trip to the same records."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from defusedxml import ElementTree

from concert.domain.models import ENTITIES
from concert.ingest.generator import GeneratedData, GeneratorConfigError
from concert.ingest.generator.sample_files import FORMATS, write_sample_files

NESTED = {"genres", "members", "ticket_prices"}


def _from_csv(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            {
                k: (json.loads(v) if k in NESTED else v)
                for k, v in row.items()
                if v != ""  # an empty cell is null
            }
            for row in csv.DictReader(handle)
        ]


def _from_json(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _from_xml(path: Path) -> list[dict[str, Any]]:
    root = ElementTree.parse(path).getroot()
    records = []
    for record in root.iter("record"):
        row: dict[str, Any] = {}
        for field in record:
            if field.tag == "ticket_prices":
                row[field.tag] = {tier.get("name"): tier.text for tier in field}
            elif field.tag in NESTED:
                row[field.tag] = [item.text for item in field]
            else:
                row[field.tag] = field.text
        records.append(row)
    return records


PARSERS = {"csv": _from_csv, "json": _from_json, "xml": _from_xml}


def _models(entity: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [ENTITIES[entity].validate(row).model_dump() for row in rows]


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_every_format_round_trips_to_the_same_valid_records(
    tmp_path: Path, tiny: GeneratedData, entity: str
) -> None:
    paths = write_sample_files(tiny, entity, tmp_path, rows=200)
    assert set(paths) == set(FORMATS)
    expected = _models(entity, tiny.table(entity).slice(0, 200).to_pylist(maps_as_pydicts="strict"))
    for fmt, path in paths.items():
        assert path == tmp_path / f"{entity}.{fmt}"
        assert _models(entity, PARSERS[fmt](path)) == expected, fmt


def test_csv_has_a_header_of_model_fields_and_json_text_for_nested_cells(
    tmp_path: Path, tiny: GeneratedData
) -> None:
    path = write_sample_files(tiny, "concerts", tmp_path, formats=["csv"], rows=3)["csv"]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",") == list(ENTITIES["concerts"].fields)
    assert len(lines) == 4
    assert '"{""' in lines[1]  # the ticket_prices map as quoted JSON text
    assert "Z," in lines[1]  # UTC timestamps with a Z suffix


def test_xml_escapes_text_and_writes_lists_and_maps_as_child_elements(
    tmp_path: Path, tiny: GeneratedData
) -> None:
    names = ["Rock & <Roll>", 'The "Quoted"', *tiny.artists["name"].to_pylist()[2:]]
    tricky = tiny.artists.set_column(1, "name", pa.array(names))
    data = replace(tiny, artists=tricky)
    path = write_sample_files(data, "artists", tmp_path, formats=["xml"], rows=2)["xml"]
    text = path.read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<records entity="artists">')
    assert "Rock &amp; &lt;Roll&gt;" in text
    assert "<genres><genre>" in text
    assert [row["name"] for row in _from_xml(path)] == names[:2]
    concerts = write_sample_files(tiny, "concerts", tmp_path, formats=["xml"], rows=1)["xml"]
    assert '<ticket_prices><tier name="' in concerts.read_text(encoding="utf-8")


def test_nulls_are_empty_cells_json_null_and_absent_elements(
    tmp_path: Path, tiny: GeneratedData
) -> None:
    scheduled = tiny.concerts.filter(pa.compute.equal(tiny.concerts["status"], "scheduled"))
    data = replace(tiny, concerts=scheduled)
    paths = write_sample_files(data, "concerts", tmp_path, rows=1)
    assert "total_attendance" not in _from_csv(paths["csv"])[0]
    assert _from_json(paths["json"])[0]["total_attendance"] is None
    assert "total_attendance" not in _from_xml(paths["xml"])[0]


def test_rows_none_writes_every_row(tmp_path: Path, tiny: GeneratedData) -> None:
    path = write_sample_files(tiny, "venues", tmp_path, formats=["json"], rows=None)["json"]
    assert len(path.read_text(encoding="utf-8").splitlines()) == tiny.venues.num_rows


def test_unknown_formats_and_entities_are_rejected(tmp_path: Path, tiny: GeneratedData) -> None:
    with pytest.raises(GeneratorConfigError, match="parquet"):
        write_sample_files(tiny, "venues", tmp_path, formats=["csv", "parquet"])
    with pytest.raises(Exception, match="unknown entity"):
        write_sample_files(tiny, "tickets", tmp_path)
    assert not list(tmp_path.iterdir())
