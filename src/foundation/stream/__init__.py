"""Event stream port: Kinesis-shaped sharded logs with partition keys and consumer checkpoints.

:class:`EventStream` is the port; :class:`LocalEventStream` (checksummed
segment files, the local default) and :class:`KinesisEventStream` (boto3,
imported by its constructor) are its adapters. :class:`StreamConsumer` reads
every shard after its checkpoint, hands batches to a handler and only then
moves the checkpoint, which :class:`CheckpointStore` keeps in a table with
conditional writes so two consumers of one group cannot overwrite each other.
"""

from __future__ import annotations

from foundation.stream.base import EventStream, PutResult, Record, StreamRecord
from foundation.stream.checkpoints import CheckpointStore
from foundation.stream.consumer import StreamConsumer
from foundation.stream.exceptions import (
    CheckpointConflictError,
    InvalidStreamInputError,
    RecordTooLargeError,
    ShardNotFoundError,
    StreamConfigurationError,
    StreamNotFoundError,
    StreamRateLimitedError,
    StreamUnavailableError,
)
from foundation.stream.kinesis import KinesisEventStream
from foundation.stream.local import LocalEventStream

__all__ = [
    "CheckpointConflictError",
    "CheckpointStore",
    "EventStream",
    "InvalidStreamInputError",
    "KinesisEventStream",
    "LocalEventStream",
    "PutResult",
    "Record",
    "RecordTooLargeError",
    "ShardNotFoundError",
    "StreamConfigurationError",
    "StreamConsumer",
    "StreamNotFoundError",
    "StreamRateLimitedError",
    "StreamRecord",
    "StreamUnavailableError",
]
