"""The stream consumer and its checkpoints, over every stream adapter.

Checkpoints live in a SQLite table; the last tests keep them in DynamoDB (moto)
instead, since the conditional write that detects racing consumers is the
table adapter's.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from foundation.stream import (
    CheckpointConflictError,
    CheckpointStore,
    EventStream,
    InvalidStreamInputError,
    KinesisEventStream,
    LocalEventStream,
    Record,
    StreamConsumer,
    StreamRecord,
)
from foundation.table import DynamoDbTable, SqliteTable, TableSpec

GROUP = "loader"
_NAMES = itertools.count()

Batch = list[StreamRecord]


@pytest.fixture(scope="module")
def aws() -> Iterator[dict[str, Any]]:
    """One moto for the module, serving one request at a time as AWS does (moto has no lock)."""
    lock = threading.Lock()
    serve = BotocoreStubber.__call__

    def serve_atomically(self: BotocoreStubber, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return serve(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            patch.setenv(name, "testing")
        patch.delenv("AWS_PROFILE", raising=False)
        patch.setattr(BotocoreStubber, "__call__", serve_atomically)
        with mock_aws():
            yield {
                service: boto3.client(service, region_name="us-east-1")
                for service in ("kinesis", "dynamodb")
            }


@pytest.fixture(params=["local", "kinesis"])
def stream(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStream]:
    if request.param == "local":
        adapter: EventStream = LocalEventStream(tmp_path / "streams", "events", 2)
    else:
        kinesis = KinesisEventStream(
            f"consumer-{next(_NAMES)}", client=request.getfixturevalue("aws")["kinesis"]
        )
        kinesis.create_if_missing(2)
        adapter = kinesis
    with adapter:
        yield adapter


def sqlite_checkpoints(tmp_path: Path) -> CheckpointStore:
    """A new store (and table connection) over the same file each call, as after a restart."""
    table = SqliteTable(tmp_path / "checkpoints.db", TableSpec("checkpoints"))
    table.create_if_missing()
    return CheckpointStore(table)


def dynamodb_checkpoints(client: Any) -> Callable[[], CheckpointStore]:
    spec = TableSpec(f"checkpoints-{next(_NAMES)}")
    DynamoDbTable(spec, client=client).create_if_missing()
    return lambda: CheckpointStore(DynamoDbTable(spec, client=client))


def put_events(stream: EventStream, count: int) -> list[bytes]:
    records = [Record(f"venue-{n % 13}", f"event-{n}".encode()) for n in range(count)]
    stream.put_records(records)
    return [record.data for record in records]


def drain(consumer: StreamConsumer) -> None:
    while consumer.poll_once():
        pass


class Recorder:
    """A handler that keeps each batch it completed; it can be told to fail on one call."""

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.batches: list[Batch] = []
        self.calls = 0
        self._fail_on_call = fail_on_call

    def __call__(self, batch: Batch) -> None:
        self.calls += 1
        if self.calls == self._fail_on_call:
            raise RuntimeError("handler crashed")
        self.batches.append(batch)

    @property
    def data(self) -> list[bytes]:
        return [record.data for batch in self.batches for record in batch]


def test_consumer_hands_every_record_to_the_handler_once(
    stream: EventStream, tmp_path: Path
) -> None:
    sent = put_events(stream, 1234)
    checkpoints = sqlite_checkpoints(tmp_path)
    handler = Recorder()
    consumer = StreamConsumer(stream, checkpoints, GROUP, handler, batch_size=100)

    drain(consumer)

    assert Counter(handler.data) == Counter(sent) and len(handler.data) == len(sent)
    assert all(0 < len(batch) <= 100 for batch in handler.batches)
    assert consumer.poll_once() == 0
    for shard_id in stream.shard_ids():
        last = [r for batch in handler.batches for r in batch if r.shard_id == shard_id][-1]
        assert checkpoints.get(stream.name, GROUP, shard_id) == last.sequence_number


def check_restart_after_crash(
    stream: EventStream, checkpoints: Callable[[], CheckpointStore]
) -> None:
    sent = put_events(stream, 700)
    crashing = Recorder(fail_on_call=3)
    first = StreamConsumer(stream, checkpoints(), GROUP, crashing, batch_size=100)
    with pytest.raises(RuntimeError, match="handler crashed"):
        drain(first)
    assert len(crashing.batches) == 2
    # The crashed batch's shard still points after the last batch handled there, if any.
    for shard_id in stream.shard_ids():
        done = [r for batch in crashing.batches for r in batch if r.shard_id == shard_id]
        expected = done[-1].sequence_number if done else None
        assert checkpoints().get(stream.name, GROUP, shard_id) == expected

    resumed = Recorder()
    drain(StreamConsumer(stream, checkpoints(), GROUP, resumed, batch_size=100))

    handled = crashing.data + resumed.data
    assert len(handled) == len(sent) and Counter(handled) == Counter(sent)


def test_consumer_restarted_after_a_crash_resumes_from_the_checkpoint(
    stream: EventStream, tmp_path: Path
) -> None:
    check_restart_after_crash(stream, lambda: sqlite_checkpoints(tmp_path))


def check_racing_consumers(stream: EventStream, checkpoints: Callable[[], CheckpointStore]) -> None:
    put_events(stream, 50)
    winner_handler = Recorder()
    winner = StreamConsumer(stream, checkpoints(), GROUP, winner_handler)
    loser_batches: list[Batch] = []

    def slow_handler(batch: Batch) -> None:
        # The other consumer of the group polls while this one is still handling.
        if not loser_batches:
            winner.poll_once()
        loser_batches.append(batch)

    loser = StreamConsumer(stream, checkpoints(), GROUP, slow_handler)
    with pytest.raises(CheckpointConflictError, match=GROUP) as conflict:
        loser.poll_once()

    contested = loser_batches[0][0].shard_id
    assert conflict.value.shard_id == contested
    winners_last = [r for b in winner_handler.batches for r in b if r.shard_id == contested][-1]
    assert checkpoints().get(stream.name, GROUP, contested) == winners_last.sequence_number


def test_consumers_of_one_group_racing_for_a_checkpoint_conflict(
    stream: EventStream, tmp_path: Path
) -> None:
    check_racing_consumers(stream, lambda: sqlite_checkpoints(tmp_path))


def test_each_group_keeps_its_own_checkpoints(stream: EventStream, tmp_path: Path) -> None:
    sent = put_events(stream, 120)
    checkpoints = sqlite_checkpoints(tmp_path)
    loader, auditor = Recorder(), Recorder()
    drain(StreamConsumer(stream, checkpoints, "loader", loader))
    drain(StreamConsumer(stream, checkpoints, "auditor", auditor, batch_size=7))
    assert Counter(loader.data) == Counter(sent) == Counter(auditor.data)


def test_run_consumes_records_as_they_arrive_until_stopped(
    stream: EventStream, tmp_path: Path
) -> None:
    handler = Recorder()
    consumer = StreamConsumer(stream, sqlite_checkpoints(tmp_path), GROUP, handler)
    stop = threading.Event()
    worker = threading.Thread(target=consumer.run, args=(stop,), kwargs={"idle_sleep": 0.02})
    worker.start()
    try:
        sent = put_events(stream, 40) + put_events(stream, 40)
        deadline = time.monotonic() + 10
        while len(handler.data) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()
    assert Counter(handler.data) == Counter(sent)


def test_consumer_arguments_are_checked(stream: EventStream, tmp_path: Path) -> None:
    checkpoints = sqlite_checkpoints(tmp_path)
    with pytest.raises(InvalidStreamInputError, match="group"):
        StreamConsumer(stream, checkpoints, "", Recorder())
    with pytest.raises(InvalidStreamInputError, match="batch_size"):
        StreamConsumer(stream, checkpoints, GROUP, Recorder(), batch_size=0)


# -- checkpoints in DynamoDB -------------------------------------------------------------


@pytest.fixture(params=["sqlite", "dynamodb"])
def checkpoint_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Callable[[], CheckpointStore]:
    if request.param == "sqlite":
        return lambda: sqlite_checkpoints(tmp_path)
    return dynamodb_checkpoints(request.getfixturevalue("aws")["dynamodb"])


def test_checkpoint_moves_only_from_the_position_it_was_read_at(
    checkpoint_store: Callable[[], CheckpointStore],
) -> None:
    store = checkpoint_store()
    assert store.get("events", GROUP, "shardId-000000000000") is None
    store.save("events", GROUP, "shardId-000000000000", "100", previous=None)
    with pytest.raises(CheckpointConflictError, match="shardId-000000000000"):
        store.save("events", GROUP, "shardId-000000000000", "150", previous=None)
    store.save("events", GROUP, "shardId-000000000000", "200", previous="100")
    with pytest.raises(CheckpointConflictError):
        store.save("events", GROUP, "shardId-000000000000", "300", previous="100")
    assert checkpoint_store().get("events", GROUP, "shardId-000000000000") == "200"
    assert store.get("events", "other-group", "shardId-000000000000") is None
    with pytest.raises(InvalidStreamInputError, match="sequence_number"):
        store.save("events", GROUP, "shardId-000000000000", "not-a-number", previous="200")


def test_consumer_with_checkpoints_in_dynamodb_restarts_and_detects_races(
    tmp_path: Path, aws: dict[str, Any]
) -> None:
    with LocalEventStream(tmp_path, "restart", 2) as stream:
        check_restart_after_crash(stream, dynamodb_checkpoints(aws["dynamodb"]))
    with LocalEventStream(tmp_path, "race", 2) as stream:
        check_racing_consumers(stream, dynamodb_checkpoints(aws["dynamodb"]))
