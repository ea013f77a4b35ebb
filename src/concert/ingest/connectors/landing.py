"""Landing API data in the raw zone: pages as received, valid records as NDJSON, a manifest.

One entity's batch lands under ``raw/{source}/{entity}/dt={day}/batch={batch_id}/``:

- ``page-NNNNN.json``: each API page's body, byte for byte as received;
- ``records.ndjson``: the records that pass the entity's pydantic model, one JSON
  object per line in the upload format of
  :mod:`concert.ingest.generator.sample_files` (what the file ingestion reads);
- ``_manifest.json``: written last, with items read = accepted + rejected;

and ``quarantine/{source}/{entity}/dt={day}/batch={batch_id}/rejected.jsonl``
holds one line per rejected item: its index, field, reason and key. Every
object is written with if-none-match, so a landed batch is never overwritten.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pydantic import ValidationError

from concert.domain.models import EntitySpec, entity_spec
from concert.ingest.connectors.http import ApiPage
from concert.ingest.connectors.mapping import MappedRecord, Rejection
from concert.lake import (
    BatchManifest,
    ManifestFile,
    Zone,
    manifest_key,
    new_batch_id,
    quarantine_key,
    raw_key,
    write_manifest,
)
from foundation.errors import BadRequestError
from foundation.objectstore import ObjectStore

SOURCES = ("spotify", "ticketmaster")


@dataclass(frozen=True, slots=True)
class FetchProgress:
    """Reported after every page fetched."""

    source: str
    endpoint: str
    pages: int  # fetched so far in this run
    items: int  # fetched so far in this run
    total: int | None  # items the API says match the current query or window


ProgressCallback = Callable[[FetchProgress], None]


@dataclass(frozen=True, slots=True)
class LandedBatch:
    source: str
    entity: str
    batch_id: str
    day: date
    pages: int
    read: int
    accepted: int
    rejected: int
    records_key: str
    manifest_key: str
    quarantine_key: str | None
    rejections: tuple[Rejection, ...]


@dataclass(frozen=True, slots=True)
class ConnectorRun:
    """One connector run: its batch id (shared by every entity it landed) and counts."""

    source: str
    batch_id: str
    pages: int
    requests: int  # HTTP requests made, retries included
    batches: tuple[LandedBatch, ...]
    warnings: tuple[str, ...] = ()

    @property
    def records(self) -> int:
        return sum(batch.accepted for batch in self.batches)

    @property
    def rejected(self) -> int:
        return sum(batch.rejected for batch in self.batches)

    @property
    def manifest_keys(self) -> tuple[str, ...]:
        return tuple(batch.manifest_key for batch in self.batches)

    def batch(self, entity: str) -> LandedBatch:
        for landed in self.batches:
            if landed.entity == entity:
                return landed
        raise KeyError(f"this {self.source} run landed no {entity!r} batch")


class PageLog:
    """The pages of a run, in order, reporting progress as they arrive."""

    def __init__(self, source: str, progress: ProgressCallback | None) -> None:
        self.source = source
        self.pages: list[ApiPage] = []
        self._progress = progress

    @property
    def items(self) -> list[object]:
        return [item for page in self.pages for item in page.items]

    def add(self, page: ApiPage) -> None:
        self.pages.append(page)
        if self._progress is not None:
            count = sum(len(each.items) for each in self.pages)
            endpoint = page.response.endpoint
            self._progress(FetchProgress(self.source, endpoint, len(self.pages), count, page.total))


def land_api_records(
    raw_store: ObjectStore,
    *,
    source: str,
    entity: str,
    raw_responses: Sequence[ApiPage],
    mapped: Sequence[MappedRecord],
    rejections: Sequence[Rejection],
    batch_id: str | None = None,
    day: date | None = None,
    details: Mapping[str, str] | None = None,
) -> LandedBatch:
    """Validate ``mapped`` with the entity's model and land the batch immutably.

    Each item index must have exactly one outcome among ``mapped`` and
    ``rejections``; with pages given, their items must all be accounted for.
    Records that fail validation become rejections with the model's reasons.
    """
    if source not in SOURCES:
        raise BadRequestError(f"source {source!r} must be one of {SOURCES}", field="source")
    spec = entity_spec(entity)
    indexes = [record.index for record in mapped] + [item.index for item in rejections]
    if len(set(indexes)) != len(indexes):
        raise BadRequestError(
            "an item index appears twice among mapped and rejections; each item has one outcome",
            field="rejections",
        )
    page_items = sum(len(page.items) for page in raw_responses)
    if raw_responses and page_items != len(indexes):
        raise BadRequestError(
            f"the pages hold {page_items} item(s) but {len(indexes)} were mapped or rejected",
            field="mapped",
        )
    batch_id = batch_id or new_batch_id()
    day = day or datetime.now(UTC).date()
    lines, rejected = _validated(spec, mapped, rejections)

    files: list[ManifestFile] = []
    requests: dict[str, str] = {}
    for number, page in enumerate(raw_responses):
        name = f"page-{number:05d}.json"
        key = raw_key(source, entity, day, batch_id, name)
        files.append(_put(raw_store, key, page.response.body, "application/json", len(page.items)))
        requests[name] = page.response.request
    records_key = raw_key(source, entity, day, batch_id, "records.ndjson")
    body = "".join(lines).encode()
    files.append(_put(raw_store, records_key, body, "application/x-ndjson", len(lines)))
    rejected_key = None
    if rejected:
        rejected_key = quarantine_key(source, entity, day, batch_id)
        body = "".join(json.dumps(dataclasses.asdict(item)) + "\n" for item in rejected).encode()
        files.append(_put(raw_store, rejected_key, body, "application/x-ndjson", len(rejected)))

    manifest = BatchManifest(
        batch_id=batch_id,
        zone=Zone.RAW,
        source=source,
        entity=entity,
        files=files,
        rows_read=len(indexes),
        rows_accepted=len(lines),
        rows_rejected=len(rejected),
        details={**(details or {}), **requests},
    )
    key = manifest_key(Zone.RAW, entity, day, batch_id, source=source)
    write_manifest(raw_store, key, manifest)
    return LandedBatch(
        source=source,
        entity=entity,
        batch_id=batch_id,
        day=day,
        pages=len(raw_responses),
        read=len(indexes),
        accepted=len(lines),
        rejected=len(rejected),
        records_key=records_key,
        manifest_key=key,
        quarantine_key=rejected_key,
        rejections=tuple(rejected),
    )


def _validated(
    spec: EntitySpec, mapped: Sequence[MappedRecord], rejections: Sequence[Rejection]
) -> tuple[list[str], list[Rejection]]:
    """NDJSON lines of the records that validate; every rejection, in item order."""
    lines: list[str] = []
    rejected = list(rejections)
    for outcome in mapped:
        try:
            model = spec.validate(outcome.record)
        except ValidationError as exc:
            rejected.append(_rejection(spec, outcome.index, outcome.record, exc))
        else:
            lines.append(model.model_dump_json() + "\n")
    rejected.sort(key=lambda rejection: rejection.index)
    return lines, rejected


def _rejection(
    spec: EntitySpec, index: int, record: Mapping[str, object], exc: ValidationError
) -> Rejection:
    problems = [
        (".".join(str(part) for part in error["loc"]) or "record", error["msg"])
        for error in exc.errors(include_url=False)
    ]
    field, message = problems[0]
    reason = message if len(problems) == 1 else "; ".join(f"{f}: {m}" for f, m in problems)
    key = record.get(spec.key)
    return Rejection(index, field, reason, str(key) if key is not None else None)


def _put(store: ObjectStore, key: str, body: bytes, content_type: str, rows: int) -> ManifestFile:
    info = store.put(key, body, content_type=content_type, if_none_match=True)
    return ManifestFile(key=key, size=info.size, etag=info.etag, rows=rows)


__all__ = [
    "SOURCES",
    "ConnectorRun",
    "FetchProgress",
    "LandedBatch",
    "PageLog",
    "ProgressCallback",
    "land_api_records",
]
