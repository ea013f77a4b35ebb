"""Event envelopes on the stream, and the producer that publishes them.

An event is a JSON object ``{"event_id", "event_type", "occurred_at",
"payload"}``; the payload holds the model's fields (``TicketSale`` for
``ticket_sale``, ``UserInteraction`` for ``user_interaction``). Sales are
keyed by concert and interactions by user, so each concert's sales (and each
user's interactions) stay in order on one shard.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from concert.domain.models import TicketSale, UserInteraction
from foundation.errors import BadRequestError
from foundation.stream import EventStream, Record

EVENT_ENTITIES: dict[str, str] = {
    "ticket_sale": "ticket_sales",
    "user_interaction": "user_interactions",
}
"""Event type -> entity of its payload."""
PARTITION_FIELDS: dict[str, str] = {"ticket_sale": "concert_id", "user_interaction": "user_id"}
PUBLISH_BATCH = 500  # Kinesis takes at most 500 records per PutRecords call


@dataclass(frozen=True, slots=True)
class Event:
    """One event as published; ``payload`` values are JSON-ready (strings, numbers)."""

    event_id: str
    event_type: str
    occurred_at: datetime
    payload: Mapping[str, Any]

    @property
    def partition_key(self) -> str:
        field = PARTITION_FIELDS.get(self.event_type)
        if field is None:
            raise BadRequestError(
                f"event_type {self.event_type!r} must be one of {', '.join(EVENT_ENTITIES)}",
                field="event_type",
            )
        return str(self.payload.get(field) or self.event_id)

    def encode(self) -> bytes:
        return json.dumps(
            {
                "event_id": self.event_id,
                "event_type": self.event_type,
                "occurred_at": _iso(self.occurred_at),
                "payload": dict(self.payload),
            },
            separators=(",", ":"),
            default=_json_default,
        ).encode()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    return str(value)


def event_for(record: TicketSale | UserInteraction, *, event_id: str | None = None) -> Event:
    """The event that announces a validated sale or interaction."""
    if isinstance(record, TicketSale):
        event_type, occurred_at = "ticket_sale", record.purchase_timestamp
    else:
        event_type, occurred_at = "user_interaction", record.timestamp
    return Event(
        event_id=event_id or uuid.uuid4().hex,
        event_type=event_type,
        occurred_at=occurred_at,
        payload=record.model_dump(mode="json"),
    )


def publish_events(stream: EventStream, events: Iterable[Event]) -> int:
    """Put the events on the stream in batches; returns how many were put."""
    published = 0
    batch: list[Record] = []
    for event in events:
        batch.append(Record(event.partition_key, event.encode()))
        if len(batch) == PUBLISH_BATCH:
            stream.put_records(batch)
            published += len(batch)
            batch = []
    if batch:
        stream.put_records(batch)
        published += len(batch)
    return published


__all__ = ["EVENT_ENTITIES", "PARTITION_FIELDS", "Event", "event_for", "publish_events"]
