"""Real-time events: ticket sales and user interactions through the event stream.

:func:`publish_events` puts :class:`Event` envelopes on the stream (keyed by
concert for sales, by user for interactions); :class:`EventLandingHandler`,
run by a :class:`foundation.stream.StreamConsumer` (or :func:`consume_events`),
validates each micro-batch with the SQL generated from the models and lands
it in the raw, processed and quarantine zones before the checkpoint moves:
exactly once per stream record, even across crashes.
"""

from concert.ingest.stream.consumer import (
    DEFAULT_RECENT_IDS,
    RAW_ENTITY,
    SOURCE,
    ConsumeReport,
    ConsumerStats,
    EventLandingHandler,
    consume_events,
)
from concert.ingest.stream.events import (
    EVENT_ENTITIES,
    PARTITION_FIELDS,
    Event,
    event_for,
    publish_events,
)

__all__ = [
    "DEFAULT_RECENT_IDS",
    "EVENT_ENTITIES",
    "PARTITION_FIELDS",
    "RAW_ENTITY",
    "SOURCE",
    "ConsumeReport",
    "ConsumerStats",
    "Event",
    "EventLandingHandler",
    "consume_events",
    "event_for",
    "publish_events",
]
