"""The event stream port: Kinesis Data Streams' model, kept small.

Producers put records carrying a partition key; the key's MD5 hash picks the
shard, so one key always lands on one shard and its records keep their order.
Consumers read a shard after a sequence number they saved (see
:mod:`foundation.stream.consumer`). Every adapter passes the same contract
suite (``tests/contract/test_stream_contract.py``).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, NamedTuple

from foundation.closing import Closing
from foundation.health import HealthStatus
from foundation.stream.exceptions import InvalidStreamInputError, RecordTooLargeError

# Kinesis limits, enforced by every adapter so local code cannot rely on more.
MAX_RECORD_BYTES = 1024 * 1024
"""Data plus UTF-8 partition key of one record."""
MAX_PARTITION_KEY_CHARS = 256
MAX_READ_LIMIT = 10_000
_STREAM_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_SEQUENCE_NUMBER = re.compile(r"[0-9]{1,128}")
# A UTF-8 character is at most 4 bytes: below this no record needs an exact size check.
_SURELY_SMALL_DATA = MAX_RECORD_BYTES - 4 * MAX_PARTITION_KEY_CHARS


@dataclass(frozen=True, slots=True)
class Record:
    """A record to put: ``partition_key`` (1-256 characters) chooses the shard."""

    partition_key: str
    data: bytes


class PutResult(NamedTuple):
    """Where a put record landed.

    A named tuple rather than a dataclass: adapters build one per record on the
    write path, and a tuple can be built without a Python-level call.
    """

    shard_id: str
    sequence_number: str


class StreamRecord(NamedTuple):
    """A record read back; ``sequence_number`` orders the records of one shard (as integers).

    A named tuple for the reason :class:`PutResult` is one: adapters build one
    per record on the read path, where a frozen dataclass's ``__init__`` cost
    more than the rest of decoding a record.
    """

    shard_id: str
    sequence_number: str
    partition_key: str
    data: bytes
    arrived_at: datetime


class EventStream(Closing, ABC):
    """An ordered, durable, sharded log of records.

    Contract shared by every adapter:

    - ``put_records`` validates every record before writing any: an empty
      partition key or one longer than 256 characters raises
      InvalidStreamInputError, data plus key over 1 MiB raises
      RecordTooLargeError; both name the record (``records[i].field``).
    - Records with the same partition key always go to the same shard: the MD5
      hash of the UTF-8 key as a 128-bit integer falls into one of the shards'
      evenly split hash key ranges.
    - Sequence numbers are decimal strings; within a shard, later records have
      larger numbers compared as integers (not as strings).
    - A successful put is durable. A failed put may still have stored some of
      its records (at-least-once): retrying can duplicate them.
    """

    backend: ClassVar[str]
    name: str

    @abstractmethod
    def put_records(self, records: Sequence[Record]) -> Sequence[PutResult]:
        """Append the records; results come back in input order.

        The results are a read-only sequence; adapters may build them lazily.
        """

    def put(self, partition_key: str, data: bytes) -> PutResult:
        """Append one record."""
        return self.put_records([Record(partition_key, data)])[0]

    @abstractmethod
    def shard_ids(self) -> list[str]:
        """Ids of the shards holding readable records, sorted."""

    @abstractmethod
    def read(
        self, shard_id: str, *, after: str | None = None, limit: int = 1000
    ) -> list[StreamRecord]:
        """Up to ``limit`` (1-10,000) records of one shard, in sequence order.

        ``after=None`` starts at the oldest retained record; otherwise the first
        record returned is the one right after sequence number ``after``. Fewer
        than ``limit`` records (even none) does not prove the shard is exhausted
        on Kinesis; read again later. An unknown shard raises ShardNotFoundError.
        """

    @abstractmethod
    def check(self) -> HealthStatus:
        """Probe the backend cheaply (the stream must exist)."""

    def close(self) -> None:
        """Release files or connections; the stream must not be used afterwards."""


def check_stream_name(name: str) -> str:
    """Kinesis' rule for stream names; also keeps the local adapter's paths inside its root."""
    if not isinstance(name, str) or not _STREAM_NAME.fullmatch(name) or name in {".", ".."}:
        raise InvalidStreamInputError("name", f"must match {_STREAM_NAME.pattern}", name)
    return name


# The checks below are the write path's hot loop: they run as C-level aggregates
# over the whole batch, and only search record by record to name an offender.


def record_columns(records: Sequence[Record]) -> tuple[list[str], list[bytes]]:
    """The partition keys and the data of a batch, in input order."""
    return [record.partition_key for record in records], [record.data for record in records]


def check_partition_keys(keys: Sequence[str]) -> None:
    """Keys must be 1-256 characters of UTF-8-encodable text; raises naming the record."""
    if not all(keys) or max(map(len, keys), default=0) > MAX_PARTITION_KEY_CHARS:
        index, key = next(
            (i, k) for i, k in enumerate(keys) if not 0 < len(k) <= MAX_PARTITION_KEY_CHARS
        )
        raise InvalidStreamInputError(
            f"records[{index}].partition_key",
            f"must be 1-{MAX_PARTITION_KEY_CHARS} characters, got {len(key)}",
            key[:64],
        )
    if not _encodes("".join(keys)):
        index = next(i for i, k in enumerate(keys) if not _encodes(k))
        raise InvalidStreamInputError(
            f"records[{index}].partition_key", "must be encodable as UTF-8", keys[index][:64]
        )


def check_record_sizes(keys: Sequence[str], datas: Sequence[bytes]) -> None:
    """Data plus UTF-8 key must fit in 1 MiB; raises naming the record."""
    if max(map(len, datas), default=0) > _SURELY_SMALL_DATA:
        for index, (key, data) in enumerate(zip(keys, datas, strict=True)):
            size = len(data) + len(key.encode())
            if size > MAX_RECORD_BYTES:
                raise RecordTooLargeError(f"records[{index}].data", size, MAX_RECORD_BYTES)


def check_records(records: Sequence[Record]) -> tuple[list[str], list[bytes]]:
    """Validate a batch before anything is written; returns its keys and data."""
    keys, datas = record_columns(records)
    check_partition_keys(keys)
    check_record_sizes(keys, datas)
    return keys, datas


def _encodes(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def check_sequence_number(field: str, value: object) -> str:
    """A sequence number is a string of decimal digits; raises naming ``field`` otherwise."""
    if not isinstance(value, str) or not _SEQUENCE_NUMBER.fullmatch(value):
        raise InvalidStreamInputError(field, "must be a sequence number (decimal digits)", value)
    return value


def check_read_arguments(after: str | None, limit: int) -> None:
    """Validate the arguments of ``EventStream.read`` that do not depend on the backend."""
    if after is not None:
        check_sequence_number("after", after)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= MAX_READ_LIMIT:
        raise InvalidStreamInputError("limit", f"must be an int in 1..{MAX_READ_LIMIT}", limit)


__all__ = [
    "MAX_PARTITION_KEY_CHARS",
    "MAX_READ_LIMIT",
    "MAX_RECORD_BYTES",
    "EventStream",
    "PutResult",
    "Record",
    "StreamRecord",
    "check_partition_keys",
    "check_read_arguments",
    "check_record_sizes",
    "check_records",
    "check_sequence_number",
    "check_stream_name",
    "record_columns",
]
