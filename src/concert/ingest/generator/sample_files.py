"""Upload-ready sample files: the documented CSV, JSON and XML upload formats.

This docstring is the format the file-upload parsers read; the writer below
follows it exactly. One file holds one entity (artists, venues, concerts,
ticket_sales, user_interactions); its fields are the pydantic model's fields
(``ENTITIES[entity].fields``), named exactly like the model, in model order.
All files are UTF-8 without a byte-order mark. Every value is written as text:

- strings and enums: the value itself (enums by their value, e.g. ``vip``,
  ``credit_card``);
- integers: decimal digits; floats: Python's shortest round-trip text
  (``120.0``, ``45.5``); prices are already rounded to cents;
- datetimes: ISO 8601 in UTC with a ``Z`` suffix and no fraction when it is
  zero, e.g. ``2025-06-01T20:00:00Z`` (``2025-06-01T20:00:00.250000Z`` otherwise);
- dates: ``YYYY-MM-DD``;
- null (an optional field without a value): see each format below.

CSV (``<entity>.csv``)
    RFC 4180: comma separator, ``"`` quoting only where needed (a cell holding
    a comma, quote or newline; quotes doubled), ``\\n`` line ends. The first row
    is the header: the model's field names. Null is an empty cell. Lists and
    maps are JSON text in the cell, e.g. ``"[""rock"", ""indie""]"`` and
    ``"{""general"": 45.0, ""vip"": 120.0}"`` (an empty list is ``[]``).

JSON (``<entity>.json``)
    Newline-delimited JSON (JSON Lines): one JSON object per line, no
    enclosing array, keys = field names. Null is JSON ``null`` (a parser should
    also accept the key being absent). Lists are arrays, maps are objects,
    numbers are JSON numbers, datetimes and dates are strings as above.

XML (``<entity>.xml``)
    ::

        <?xml version="1.0" encoding="UTF-8"?>
        <records entity="artists">
          <record>
            <artist_id>art-000001</artist_id>
            <name>The Velvet Hours</name>
            <genres><genre>rock</genre><genre>indie</genre></genres>
            <popularity>87</popularity>
            <members><member>Ana Ruiz</member></members>
          </record>
        </records>

    The root is ``<records>`` (its ``entity`` attribute names the entity), one
    ``<record>`` per row, one child element per field named like the field
    (the writer puts each record on one line; whitespace between elements
    means nothing).
    Null is an absent element. A list is a parent element holding one repeated
    child per item, named by the singular of the field (``genres`` ->
    ``genre``, ``members`` -> ``member``); an empty list is an empty parent
    (``<genres/>``). A map is a parent element holding one child per entry
    whose ``name`` attribute is the key and whose text is the value; for
    ``ticket_prices`` the child is ``<tier name="vip">120.0</tier>``. Text is
    XML-escaped (``&amp;`` ``&lt;`` ``&gt;``, attribute quotes as ``&quot;``).
    No DTD, no entities, no namespaces: parsers should refuse them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pyarrow as pa
import pyarrow.types as pat

from concert.ingest.generator.exceptions import GeneratorConfigError
from concert.ingest.generator.pipeline import GeneratedData

FORMATS = ("csv", "json", "xml")
DEFAULT_ROWS = 1_000
_CHUNK_ROWS = 50_000
# The child element of each item of a list or map field in XML.
XML_ITEMS = {"genres": "genre", "members": "member", "ticket_prices": "tier"}

Cell = str | list[Any] | dict[str, Any] | None


def _timestamps(array: pa.Array) -> list[Cell]:
    micros = array.cast(pa.int64()).to_numpy(zero_copy_only=False)
    values = micros.astype("datetime64[us]")
    whole = np.datetime_as_string(values, unit="s")
    fine = np.datetime_as_string(values, unit="us")
    text = np.char.add(np.where(micros % 1_000_000 == 0, whole, fine), "Z").tolist()
    return [t if ok else None for t, ok in zip(text, array.is_valid().to_pylist(), strict=True)]


def _cells(array: pa.Array) -> list[Cell]:
    """One column as text (scalars) or Python lists and dicts (nested fields)."""
    kind = array.type
    if pat.is_timestamp(kind):
        return _timestamps(array)
    values: list[Any] = (
        array.to_pylist(maps_as_pydicts="strict") if pat.is_map(kind) else array.to_pylist()
    )
    if pat.is_list(kind) or pat.is_map(kind):
        return values
    if pat.is_date(kind):
        return [None if v is None else v.isoformat() for v in values]
    if pat.is_floating(kind):
        return [None if v is None else repr(v) for v in values]
    return [None if v is None else str(v) for v in values]


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _json_fragment(field: pa.Field) -> Callable[[Cell], str]:
    bare = pat.is_integer(field.type) or pat.is_floating(field.type)

    def fragment(value: Cell) -> str:
        if value is None:
            return "null"
        return value if bare and isinstance(value, str) else json.dumps(value)

    return fragment


def _xml_fragment(field: pa.Field) -> Callable[[Cell], str]:
    name = field.name
    item = XML_ITEMS.get(name, "item")

    def fragment(value: Cell) -> str:
        if value is None:
            return ""
        if isinstance(value, dict):
            entries = "".join(
                f"<{item} name={quoteattr(str(k))}>{escape(repr(v))}</{item}>"
                for k, v in value.items()
            )
        elif isinstance(value, list):
            entries = "".join(f"<{item}>{escape(str(v))}</{item}>" for v in value)
        else:
            return f"<{name}>{escape(value)}</{name}>"
        return f"<{name}>{entries}</{name}>" if entries else f"<{name}/>"

    return fragment


def _write_csv(path: Path, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(schema.names)
        for batch in batches:
            columns = [[_csv_cell(v) for v in _cells(column)] for column in batch.columns]
            writer.writerows(zip(*columns, strict=True))


def _write_json(path: Path, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> None:
    keys = [json.dumps(name) for name in schema.names]
    fragments = [_json_fragment(field) for field in schema]
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for batch in batches:
            columns = [
                [f"{key}: {render(v)}" for v in _cells(column)]
                for key, render, column in zip(keys, fragments, batch.columns, strict=True)
            ]
            handle.writelines("{" + ", ".join(row) + "}\n" for row in zip(*columns, strict=True))


def _write_xml(
    path: Path, entity: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]
) -> None:
    fragments = [_xml_fragment(field) for field in schema]
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<records entity="{entity}">\n')
        for batch in batches:
            columns = [
                [render(v) for v in _cells(column)]
                for render, column in zip(fragments, batch.columns, strict=True)
            ]
            handle.writelines(
                "  <record>" + "".join(row) + "</record>\n" for row in zip(*columns, strict=True)
            )
        handle.write("</records>\n")


def write_sample_files(
    data: GeneratedData,
    entity: str,
    directory: Path | str,
    formats: Iterable[str] = FORMATS,
    rows: int | None = DEFAULT_ROWS,
) -> dict[str, Path]:
    """Write the first ``rows`` rows (all if None) of ``entity`` as ``<entity>.<format>``
    files in ``directory``, in the upload formats documented above."""
    wanted = tuple(formats)
    unknown = sorted(set(wanted) - set(FORMATS))
    if unknown:
        raise GeneratorConfigError(
            f"unknown sample format(s) {', '.join(unknown)}; expected {', '.join(FORMATS)}",
            field="formats",
        )
    table = data.table(entity)
    if rows is not None:
        table = table.slice(0, rows)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for fmt in wanted:
        path = folder / f"{entity}.{fmt}"
        batches = table.to_batches(max_chunksize=_CHUNK_ROWS)
        if fmt == "csv":
            _write_csv(path, table.schema, batches)
        elif fmt == "json":
            _write_json(path, table.schema, batches)
        else:
            _write_xml(path, entity, table.schema, batches)
        written[fmt] = path
    return written


__all__ = ["DEFAULT_ROWS", "FORMATS", "XML_ITEMS", "write_sample_files"]
