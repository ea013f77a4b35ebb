"""File ingestion end to end on local object stores: CSV, JSON and XML, good and bad input.

Every report is checked against the invariant (accepted + rejected = read) and
against what actually landed: processed Parquet rows, quarantine lines, the raw
bytes and the manifests.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from concert.domain.models import ENTITIES
from concert.domain.schema import arrow_schema
from concert.ingest.files import (
    DuplicateBatchError,
    DuplicateFileError,
    FileEncodingError,
    FileIngestReport,
    UnsafeXmlError,
    ingest_file,
)
from concert.ingest.generator import GeneratorConfig, generate
from concert.ingest.generator.sample_files import write_sample_files
from concert.lake import read_manifest
from concert.validation import ColumnMismatchError
from foundation.objectstore import LocalObjectStore, ObjectStore

SALES_HEADER = (
    "sale_id,concert_id,customer_id,price_tier,quantity,unit_price,total_price,"
    "purchase_timestamp,payment_method\n"
)


def sale_line(
    n: int, *, quantity: str = "2", day: int = 1, method: str = "paypal", month: int = 6
) -> str:
    return f"s{n},c1,u{n},vip,{quantity},10.5,{float(quantity) * 10.5 if quantity.isdigit() else 21.0},2025-{month:02d}-{day:02d}T20:00:00Z,{method}\n"  # noqa: E501


@pytest.fixture
def stores(tmp_path: Path) -> tuple[LocalObjectStore, LocalObjectStore]:
    return LocalObjectStore(tmp_path / "raw", fsync=False), LocalObjectStore(
        tmp_path / "processed", fsync=False
    )


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("samples")
    data = generate(GeneratorConfig.preset("demo", concerts=12, target_sales=600, customers=300))
    for entity in ENTITIES:
        write_sample_files(data, entity, directory, rows=120)
    return directory


def ingest(
    stores: tuple[ObjectStore, ObjectStore],
    data: bytes | Path,
    entity: str = "ticket_sales",
    **kw: object,
) -> FileIngestReport:
    raw, processed = stores
    source = data if isinstance(data, Path) else io.BytesIO(data)
    report = ingest_file(source, entity=entity, raw_store=raw, processed_store=processed, **kw)  # type: ignore[arg-type]
    check_landed(report, raw, processed)
    return report


def check_landed(report: FileIngestReport, raw: ObjectStore, processed: ObjectStore) -> None:
    """The report adds up and describes exactly what is in the zones."""
    assert report.rows_accepted + report.rows_rejected == report.rows_read
    rows = 0
    for key in report.processed_keys:
        table = pq.read_table(io.BytesIO(processed.get(key).body))
        assert table.schema == arrow_schema(ENTITIES[report.entity])
        assert set(table.column("_batch_id").to_pylist()) == {report.batch_id}
        rows += table.num_rows
    assert rows == report.rows_accepted
    quarantined = list(quarantine_lines(raw, report))
    assert len(quarantined) == report.rows_rejected
    manifest = read_manifest(raw, report.raw_manifest_key)
    assert (manifest.rows_read, manifest.rows_accepted, manifest.rows_rejected) == (
        report.rows_read, report.rows_accepted, report.rows_rejected,
    )  # fmt: skip
    assert (
        sum(read_manifest(processed, k).rows_accepted for k in report.processed_manifest_keys)
        == rows
    )


def quarantine_lines(raw: ObjectStore, report: FileIngestReport) -> Iterator[dict[str, object]]:
    if report.quarantine_key is None:
        return
    for line in raw.get(report.quarantine_key).body.decode().splitlines():
        yield json.loads(line)


def processed_rows(processed: ObjectStore, report: FileIngestReport) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for key in report.processed_keys:
        table = pq.read_table(io.BytesIO(processed.get(key).body))
        rows += table.drop(["_batch_id", "_source", "_ingested_at"]).to_pylist()
    return rows


# -- the documented formats ---------------------------------------------------------------------


@pytest.mark.parametrize("entity", list(ENTITIES))
def test_generated_files_in_every_format_are_accepted_with_the_same_rows(
    stores: tuple[LocalObjectStore, LocalObjectStore], samples: Path, entity: str
) -> None:
    landed = {}
    for fmt in ("csv", "json", "xml"):
        report = ingest(stores, samples / f"{entity}.{fmt}", entity, filename=f"{entity}.{fmt}")
        assert report.rows_rejected == 0, report.rejections[:3]
        assert report.file_format == fmt
        key = ENTITIES[entity].key
        landed[fmt] = sorted(processed_rows(stores[1], report), key=lambda r: str(r[key]))
    assert landed["csv"] == landed["json"] == landed["xml"]
    assert len(landed["csv"]) > 0


def test_the_raw_zone_keeps_the_original_bytes(
    stores: tuple[LocalObjectStore, LocalObjectStore],
) -> None:
    body = (SALES_HEADER + sale_line(1) + sale_line(2)).encode()
    report = ingest(stores, body, content_type="text/csv")
    assert stores[0].get(report.raw_key).body == body
    assert report.raw_key.startswith("raw/upload/ticket_sales/dt=")


def test_rows_land_in_the_partition_of_their_event_month(
    stores: tuple[LocalObjectStore, LocalObjectStore],
) -> None:
    lines = [sale_line(1, day=1), sale_line(2, day=3, month=7), sale_line(3, day=30)]
    report = ingest(stores, (SALES_HEADER + "".join(lines)).encode(), content_type="text/csv")
    assert [k.split("/")[2] for k in report.processed_keys] == ["month=2025-06", "month=2025-07"]
    assert len(report.processed_manifest_keys) == 2
    june = pq.read_table(io.BytesIO(stores[1].get(report.processed_keys[0]).body))
    assert sorted(june.column("sale_id").to_pylist()) == ["s1", "s3"]


def test_artists_without_an_event_time_land_in_the_ingest_month(
    stores: tuple[LocalObjectStore, LocalObjectStore], samples: Path
) -> None:
    report = ingest(stores, samples / "artists.csv", "artists", filename="artists.csv")
    assert len({key.split("/")[2] for key in report.processed_keys}) == 1


# -- rejected rows ------------------------------------------------------------------------------


def test_invalid_rows_go_to_quarantine_with_row_field_reason_and_raw_values(
    stores: tuple[LocalObjectStore, LocalObjectStore],
) -> None:
    body = SALES_HEADER + sale_line(1) + sale_line(2, quantity="0") + sale_line(3, method="cash")
    report = ingest(stores, body.encode(), content_type="text/csv")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (3, 1, 2)
    assert [(r.row, r.field) for r in report.rejections] == [
        (2, "quantity"),
        (2, "total_price"),
        (3, "payment_method"),
    ]
    first = next(quarantine_lines(stores[0], report))
    assert first["row"] == 2
    assert first["record"]["quantity"] == "0"  # type: ignore[index]
    assert {"field": "quantity", "reason": "Input should be greater than or equal to 1"} in first[
        "errors"
    ]  # type: ignore[operator]


def test_a_malformed_line_is_a_rejection_with_its_line_number(
    stores: tuple[LocalObjectStore, LocalObjectStore],
) -> None:
    body = SALES_HEADER + sale_line(1) + "s2,c1,u2,vip,2\n" + sale_line(3) + sale_line(4)
    report = ingest(stores, body.encode(), content_type="text/csv")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (4, 3, 1)
    (rejection,) = report.rejections
    assert rejection.row == 2 and rejection.field == "_record"
    assert "line 3" in rejection.reason
    assert sorted(r["sale_id"] for r in processed_rows(stores[1], report)) == ["s1", "s3", "s4"]


@pytest.mark.parametrize(
    "tail",
    [
        "s3,c1,u3,vip,2,10.5,21.0,2025-06-0",
        's3,c1,"u3',
        "s3,c1,u3,vip,2,10.5,21.0,2025-06-01T20:00:00Z,pay",
    ],
)
def test_a_truncated_file_keeps_its_complete_rows_and_rejects_the_cut_one(
    stores: tuple[LocalObjectStore, LocalObjectStore], tail: str
) -> None:
    body = SALES_HEADER + sale_line(1) + sale_line(2) + tail
    report = ingest(stores, body.encode(), content_type="text/csv")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (3, 2, 1)
    assert report.rejections[0].row == 3


def time_ordered_sales(rows: int, *, bad_row: int | None = None) -> str:
    """``rows`` sales over six months in purchase order; ``bad_row`` is cut short."""
    lines = [SALES_HEADER]
    for n in range(1, rows + 1):
        month, day = 1 + (n - 1) * 6 // rows, 1 + (n * 7) % 28
        line = sale_line(n, month=month, day=day)
        lines.append(line if n != bad_row else line.split(",2025")[0] + "\n")
    return "".join(lines)


def test_a_big_file_in_time_order_lands_each_month_beside_the_read_with_nothing_extra(
    stores: tuple[LocalObjectStore, LocalObjectStore], tmp_path: Path
) -> None:
    # Several validated pieces; the malformed line late in the file makes the strict
    # read fail after months have landed, and the second read must find them again.
    path = tmp_path / "sales.csv"
    path.write_text(time_ordered_sales(260_000, bad_row=230_001))
    report = ingest(stores, path)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (260_000, 259_999, 1)
    assert report.rejections[0].row == 230_001
    assert len(report.processed_manifest_keys) == 6
    landed = sorted(summary.key for summary in stores[1].list("processed/"))
    assert landed == sorted([*report.processed_keys, *report.processed_manifest_keys])
    assert all(key.endswith("part-00000.parquet") for key in report.processed_keys)


def test_a_used_batch_id_is_the_error_even_when_the_file_is_also_bad(
    stores: tuple[LocalObjectStore, LocalObjectStore], tmp_path: Path
) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(SALES_HEADER + sale_line(1))
    bad.write_text(SALES_HEADER.replace("quantity", "qty") + sale_line(2))
    ingest(stores, good, batch_id="b-7")
    with pytest.raises(DuplicateBatchError, match="'b-7'"):
        ingest(stores, bad, batch_id="b-7")


def test_the_same_file_by_path_again_lands_nothing_for_the_second_batch(
    stores: tuple[LocalObjectStore, LocalObjectStore], tmp_path: Path
) -> None:
    path = tmp_path / "sales.csv"
    path.write_text(time_ordered_sales(3_000))
    first = ingest(stores, path)
    raw_before = sorted(summary.key for summary in stores[0].list())
    processed_before = sorted(summary.key for summary in stores[1].list())
    with pytest.raises(DuplicateFileError, match=first.batch_id):
        ingest(stores, path)
    assert sorted(summary.key for summary in stores[0].list()) == raw_before
    assert sorted(summary.key for summary in stores[1].list()) == processed_before


# -- files refused whole ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "named"),
    [
        (SALES_HEADER.replace("quantity", "qty"), "'qty'"),
        (SALES_HEADER.replace(",payment_method", ""), "'payment_method'"),
        (SALES_HEADER.replace("\n", ",colour\n"), "'colour'"),
    ],
)
def test_a_wrong_missing_or_extra_column_is_named_and_nothing_is_processed(
    stores: tuple[LocalObjectStore, LocalObjectStore], header: str, named: str
) -> None:
    raw, processed = stores
    with pytest.raises(ColumnMismatchError, match=named) as caught:
        ingest_file(
            io.BytesIO((header + sale_line(1)).encode()),
            entity="ticket_sales", raw_store=raw, processed_store=processed, file_format="csv",
        )  # fmt: skip
    assert "expected columns: sale_id, concert_id" in str(caught.value)
    assert list(processed.list("processed/")) == []


def test_latin1_bytes_are_refused_naming_the_offset_and_line(
    stores: tuple[LocalObjectStore, LocalObjectStore],
) -> None:
    raw, processed = stores
    body = (SALES_HEADER + sale_line(1)).encode() + "s2,c1,Zoë,vip\n".encode("latin-1")
    with pytest.raises(FileEncodingError, match="line 3") as caught:
        ingest_file(io.BytesIO(body), entity="ticket_sales", raw_store=raw,
                    processed_store=processed, file_format="csv")  # fmt: skip
    assert caught.value.offset == body.index(b"\xeb")
    assert list(processed.list("processed/")) == []
    (stored,) = [s for s in raw.list("raw/upload/") if not s.key.endswith(".json")]
    assert raw.get(stored.key).body == body  # the bytes are kept all the same


def test_utf16_with_a_byte_order_mark_is_transcoded(
    stores: tuple[LocalObjectStore, LocalObjectStore],
) -> None:
    body = (SALES_HEADER + sale_line(1) + sale_line(2)).encode("utf-16")
    report = ingest(stores, body, file_format="csv")
    assert (report.rows_read, report.rows_accepted) == (2, 2)


def test_an_xml_bomb_is_refused_without_expanding_it(
    stores: tuple[LocalObjectStore, LocalObjectStore],
) -> None:
    raw, processed = stores
    lol = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 9))
    bomb = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY lol0 "lol">{lol}]><records>&lol8;</records>'
    with pytest.raises(UnsafeXmlError, match="DTD"):
        ingest_file(io.BytesIO(bomb.encode()), entity="artists", raw_store=raw,
                    processed_store=processed, content_type="application/xml")  # fmt: skip
    assert list(processed.list("processed/")) == []


# -- JSON and XML specifics ---------------------------------------------------------------------


def test_json_lines_reject_bad_lines_unknown_keys_and_accept_absent_optionals(
    stores: tuple[LocalObjectStore, LocalObjectStore],
) -> None:
    good = {
        "artist_id": "a1",
        "name": "Band",
        "popularity": 5,
        "genres": ["Rock"],
        "spotify_id": None,
    }
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({**good, "artist_id": "a3", "colour": "red"}),
        "",
        json.dumps([1, 2]),
        json.dumps({"artist_id": "a6", "name": "Solo", "popularity": "101"}),
    ]
    report = ingest(
        stores, "\n".join(lines).encode(), "artists", content_type="application/x-ndjson"
    )
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (5, 1, 4)
    assert [(r.row, r.field) for r in report.rejections] == [
        (2, "_record"), (3, "colour"), (5, "_record"), (6, "popularity"),
    ]  # fmt: skip
    assert processed_rows(stores[1], report)[0]["genres"] == ["rock"]


def test_a_json_array_is_streamed_and_a_truncated_one_keeps_its_complete_elements(
    stores: tuple[LocalObjectStore, LocalObjectStore],
) -> None:
    records = [
        {"venue_id": f"v{i}", "name": "Hall", "city": "Oslo", "country": "NO",
         "capacity": 100 + i, "venue_type": "hall"}
        for i in range(3)
    ]  # fmt: skip
    whole = json.dumps(records, indent=2)
    report = ingest(stores, whole.encode(), "venues", content_type="application/json")
    assert (report.rows_read, report.rows_accepted) == (3, 3)
    cut = whole[: whole.rindex('"venue_type"')]
    report = ingest(stores, cut.encode(), "venues", content_type="application/json")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (3, 2, 1)
    assert report.rejections[0].row == 3


def test_truncated_xml_keeps_the_complete_records(
    stores: tuple[LocalObjectStore, LocalObjectStore], samples: Path
) -> None:
    text = (samples / "venues.xml").read_text()
    cut = text[
        : text.index("<record>", text.index("<record>", text.index("<record>") + 1) + 1) + 20
    ]
    report = ingest(stores, cut.encode(), "venues", content_type="application/xml")
    assert (report.rows_accepted, report.rows_rejected) == (2, 1)
    assert "malformed XML" in report.rejections[0].reason


# -- duplicates ---------------------------------------------------------------------------------


def test_the_same_batch_id_twice_is_a_conflict(
    stores: tuple[LocalObjectStore, LocalObjectStore],
) -> None:
    ingest(stores, (SALES_HEADER + sale_line(1)).encode(), batch_id="b-1", file_format="csv")
    with pytest.raises(DuplicateBatchError, match="'b-1'"):
        ingest(stores, (SALES_HEADER + sale_line(2)).encode(), batch_id="b-1", file_format="csv")


def test_the_same_file_again_names_the_batch_that_has_it(
    stores: tuple[LocalObjectStore, LocalObjectStore],
) -> None:
    body = (SALES_HEADER + sale_line(1)).encode()
    first = ingest(stores, body, file_format="csv")
    with pytest.raises(DuplicateFileError, match=first.batch_id) as caught:
        ingest(stores, body, file_format="csv")
    assert caught.value.batch_id == first.batch_id
    assert caught.value.sha256 == first.sha256


def test_a_file_refused_whole_can_be_sent_again_once_fixed(
    stores: tuple[LocalObjectStore, LocalObjectStore],
) -> None:
    bad = (SALES_HEADER.replace("quantity", "qty") + sale_line(1)).encode()
    with pytest.raises(ColumnMismatchError):
        ingest(stores, bad, file_format="csv")
    with pytest.raises(ColumnMismatchError):
        ingest(stores, bad, file_format="csv")  # not "already ingested"
