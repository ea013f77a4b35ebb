"""Consumer checkpoints: how far each consumer group got in each shard, kept in a table."""

from __future__ import annotations

from datetime import UTC, datetime

from foundation.stream.base import check_sequence_number
from foundation.stream.exceptions import (
    CheckpointConflictError,
    InvalidStreamInputError,
    StreamConfigurationError,
)
from foundation.table import AttributeEquals, ConditionFailedError, ItemAbsent, Table


class CheckpointStore:
    """The last processed sequence number per (stream, consumer group, shard).

    One item per shard: partition ``checkpoint#{stream}#{group}``, sort key the
    shard id. ``save`` is a conditional write on the value read before, so two
    consumers of one group cannot silently overwrite each other's progress.
    """

    def __init__(self, table: Table) -> None:
        if table.spec.sort_key is None:
            raise StreamConfigurationError(
                f"table {table.spec.name!r}: checkpoints need a table with a sort key"
            )
        self.table = table
        self._keys = (table.spec.partition_key, table.spec.sort_key)

    @staticmethod
    def _partition(stream: str, group: str) -> str:
        if not isinstance(group, str) or not group:
            raise InvalidStreamInputError("group", "must be a non-empty string", group)
        return f"checkpoint#{stream}#{group}"

    def get(self, stream: str, group: str, shard_id: str) -> str | None:
        """The group's last processed sequence number in the shard, or None before the first."""
        item = self.table.get(self._partition(stream, group), shard_id)
        return None if item is None else str(item["sequence_number"])

    def save(
        self, stream: str, group: str, shard_id: str, sequence_number: str, *, previous: str | None
    ) -> None:
        """Move the checkpoint from ``previous`` (None: no checkpoint yet) to ``sequence_number``.

        Raises CheckpointConflictError when the stored checkpoint is no longer ``previous``.
        """
        check_sequence_number("sequence_number", sequence_number)
        partition_key, sort_key = self._keys
        item = {
            partition_key: self._partition(stream, group),
            sort_key: shard_id,
            "sequence_number": sequence_number,
            "updated_at": datetime.now(UTC).isoformat(),
        }
        condition = (
            ItemAbsent() if previous is None else AttributeEquals("sequence_number", previous)
        )
        try:
            self.table.put(item, condition=condition)
        except ConditionFailedError as exc:
            raise CheckpointConflictError(stream, group, shard_id, previous) from exc


__all__ = ["CheckpointStore"]
