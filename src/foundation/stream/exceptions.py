"""Errors raised by every event stream adapter, each a subclass of the shared hierarchy."""

from __future__ import annotations

from typing import Any

from foundation.errors import (
    ConfigurationError,
    ConflictError,
    DependencyUnavailableError,
    FieldIssue,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
)


class InvalidStreamInputError(InvalidInputError):
    """An argument breaks a rule of the stream: empty partition key, bad sequence number, limit."""

    def __init__(self, field: str, message: str, value: Any = None) -> None:
        super().__init__(f"{field}: {message}", issues=[FieldIssue(field, message, value)])
        self.field = field


class RecordTooLargeError(PayloadTooLargeError):
    """A record's data plus partition key is larger than a stream accepts (1 MiB)."""

    def __init__(self, field: str, size: int, limit: int) -> None:
        super().__init__(f"{field}: record is {size} bytes, more than {limit}", field=field)
        self.field = field


class StreamNotFoundError(NotFoundError):
    """The stream does not exist (Kinesis: call ``create_if_missing`` first)."""

    def __init__(self, stream: str) -> None:
        super().__init__(f"stream {stream!r} does not exist", stream=stream)


class ShardNotFoundError(NotFoundError):
    """The stream has no shard with this id."""

    def __init__(self, stream: str, shard_id: str) -> None:
        super().__init__(
            f"shard_id: stream {stream!r} has no shard {shard_id!r}",
            stream=stream,
            shard_id=shard_id,
        )
        self.shard_id = shard_id


class StreamConfigurationError(ConfigurationError):
    """The stream on disk or in AWS does not match how it is being opened."""


class StreamRateLimitedError(RateLimitedError):
    """The stream kept throttling writes or reads after every retry."""


class StreamUnavailableError(DependencyUnavailableError):
    """The stream backend failed or did not answer after every retry."""


class CheckpointConflictError(ConflictError):
    """Another consumer of the same group moved the checkpoint since this one read it."""

    def __init__(self, stream: str, group: str, shard_id: str, expected: str | None) -> None:
        super().__init__(
            f"checkpoint of group {group!r} on stream {stream!r} shard {shard_id!r} is no longer "
            f"at {expected!r}: another consumer of the group advanced it",
            stream=stream,
            group=group,
            shard_id=shard_id,
        )
        self.shard_id = shard_id


__all__ = [
    "CheckpointConflictError",
    "InvalidStreamInputError",
    "RecordTooLargeError",
    "ShardNotFoundError",
    "StreamConfigurationError",
    "StreamNotFoundError",
    "StreamRateLimitedError",
    "StreamUnavailableError",
]
