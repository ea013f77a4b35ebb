"""Object keys for each zone, partitioned by source, entity and date (Hive style).

``raw/{source}/{entity}/dt=YYYY-MM-DD/batch={batch_id}/{file}`` in the raw bucket,
``quarantine/...`` beside it for rejected rows, and
``processed/{entity}/month=YYYY-MM/batch={batch_id}/part-NNNNN.parquet`` in the
processed bucket, which the warehouse loads and the Glue catalog describes.

The raw zone is partitioned by the day data arrived; the processed zone by the
month of each row's event time. Months, not days: a file of a million sales
spread over two and a half years would otherwise become 900 Parquet files of
about a thousand rows each, and every reader (DuckDB, Redshift COPY, Athena)
pays per file; a month keeps files in the tens of thousands of rows and still
lets queries skip the months they do not need.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from enum import StrEnum

from foundation.errors import BadRequestError

_SEGMENT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_BATCH = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$|^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")


class Zone(StrEnum):
    RAW = "raw"
    QUARANTINE = "quarantine"
    PROCESSED = "processed"


def new_batch_id(now: datetime | None = None) -> str:
    """A batch id that sorts by creation time and is unique without coordination."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%S}Z-{uuid.uuid4().hex[:8]}"


def _segment(name: str, value: str) -> str:
    if not _SEGMENT.match(value):
        raise BadRequestError(
            f"{name} {value!r} must be lowercase letters, digits, '-' or '_' (max 63)",
            field=name,
        )
    return value


def _batch(batch_id: str) -> str:
    if not _BATCH.match(batch_id):
        raise BadRequestError(f"batch id {batch_id!r} is not a valid batch id", field="batch_id")
    return batch_id


def month_of(day: date) -> date:
    """The first day of ``day``'s month: how the processed zone names a partition."""
    return day.replace(day=1)


def partition_prefix(zone: Zone, entity: str, day: date, *, source: str | None = None) -> str:
    """The prefix of the partition holding ``day`` for one entity in a zone.

    Raw and quarantine partitions are days; processed partitions are months.
    """
    parts = [zone.value]
    if zone is Zone.PROCESSED:
        parts += [_segment("entity", entity), f"month={day:%Y-%m}"]
    else:
        if source is None:
            raise BadRequestError(f"the {zone.value} zone is partitioned by source", field="source")
        parts += [_segment("source", source), _segment("entity", entity), f"dt={day.isoformat()}"]
    return "/".join(parts) + "/"


def raw_key(source: str, entity: str, day: date, batch_id: str, filename: str) -> str:
    if "/" in filename or filename.startswith("."):
        raise BadRequestError(f"file name {filename!r} must be a plain name", field="filename")
    prefix = partition_prefix(Zone.RAW, entity, day, source=source)
    return f"{prefix}batch={_batch(batch_id)}/{filename}"


def quarantine_key(source: str, entity: str, day: date, batch_id: str) -> str:
    prefix = partition_prefix(Zone.QUARANTINE, entity, day, source=source)
    return f"{prefix}batch={_batch(batch_id)}/rejected.jsonl"


def processed_key(entity: str, day: date, batch_id: str, part: int = 0) -> str:
    prefix = partition_prefix(Zone.PROCESSED, entity, day)
    return f"{prefix}batch={_batch(batch_id)}/part-{part:05d}.parquet"


def manifest_key(
    zone: Zone, entity: str, day: date, batch_id: str, *, source: str | None = None
) -> str:
    prefix = partition_prefix(zone, entity, day, source=source)
    return f"{prefix}batch={_batch(batch_id)}/_manifest.json"


__all__ = [
    "Zone",
    "manifest_key",
    "month_of",
    "new_batch_id",
    "partition_prefix",
    "processed_key",
    "quarantine_key",
    "raw_key",
]
