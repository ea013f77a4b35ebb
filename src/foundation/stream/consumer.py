"""A consumer that hands every record of every shard to a handler at least once."""

from __future__ import annotations

import threading
from collections.abc import Callable

from foundation.stream.base import EventStream, StreamRecord
from foundation.stream.checkpoints import CheckpointStore
from foundation.stream.exceptions import InvalidStreamInputError


class StreamConsumer:
    """Reads each shard after the group's checkpoint and moves it once the handler returns.

    Delivery is at least once: the checkpoint is saved only after ``handler``
    returned, so the handler must make its output durable before returning and
    tolerate seeing a batch again after a crash. A handler exception leaves the
    checkpoint where it was and propagates. Consumers of the same group that
    race for a shard get CheckpointConflictError from all but the first.
    """

    def __init__(
        self,
        stream: EventStream,
        checkpoints: CheckpointStore,
        group: str,
        handler: Callable[[list[StreamRecord]], None],
        *,
        batch_size: int = 500,
    ) -> None:
        if not isinstance(group, str) or not group:
            raise InvalidStreamInputError("group", "must be a non-empty string", group)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidStreamInputError("batch_size", "must be a positive int", batch_size)
        self.stream = stream
        self.checkpoints = checkpoints
        self.group = group
        self.handler = handler
        self.batch_size = batch_size

    def poll_once(self) -> int:
        """Hand at most one batch per shard to the handler; returns how many records it got."""
        handled = 0
        for shard_id in self.stream.shard_ids():
            position = self.checkpoints.get(self.stream.name, self.group, shard_id)
            batch = self.stream.read(shard_id, after=position, limit=self.batch_size)
            if not batch:
                continue
            self.handler(batch)
            self.checkpoints.save(
                self.stream.name,
                self.group,
                shard_id,
                batch[-1].sequence_number,
                previous=position,
            )
            handled += len(batch)
        return handled

    def run(self, stop: threading.Event, idle_sleep: float = 0.2) -> None:
        """Poll until ``stop`` is set, waiting ``idle_sleep`` seconds whenever nothing came."""
        while not stop.is_set():
            if self.poll_once() == 0:
                stop.wait(idle_sleep)


__all__ = ["StreamConsumer"]
