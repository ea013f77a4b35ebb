"""Contract of the event stream port: every adapter passes the same assertions.

The Kinesis adapter runs against moto in-process. Tests at the end cover what
only one adapter has: Kinesis' chunking and retries of throttled entries, and
the local log's durability, torn-write recovery and concurrent writers.
"""

from __future__ import annotations

import hashlib
import itertools
import subprocess
import sys
import textwrap
import threading
import zlib
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from foundation.stream import (
    EventStream,
    InvalidStreamInputError,
    KinesisEventStream,
    LocalEventStream,
    Record,
    RecordTooLargeError,
    ShardNotFoundError,
    StreamConfigurationError,
    StreamNotFoundError,
    StreamRateLimitedError,
    StreamRecord,
)
from foundation.stream.local import frame_position, sequence_number

MIB = 1024 * 1024
SHARDS = 2
_STREAM_NUMBERS = itertools.count()


@pytest.fixture(scope="module")
def kinesis_client() -> Iterator[Any]:
    """One moto Kinesis for the module: a client per test costs ~0.3 s, a stream ~5 ms."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            patch.setenv(name, "testing")
        patch.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            yield boto3.client("kinesis", region_name="us-east-1")


def _kinesis_stream(client: Any, **options: Any) -> KinesisEventStream:
    stream = KinesisEventStream(f"contract-{next(_STREAM_NUMBERS)}", client=client, **options)
    stream.create_if_missing(SHARDS)
    return stream


@pytest.fixture(params=["local", "kinesis"])
def stream(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStream]:
    if request.param == "local":
        adapter: EventStream = LocalEventStream(tmp_path, "contract", SHARDS)
    else:
        adapter = _kinesis_stream(request.getfixturevalue("kinesis_client"))
    with adapter:
        yield adapter


def read_all(stream: EventStream, shard_id: str, *, page: int = 1000) -> list[StreamRecord]:
    records: list[StreamRecord] = []
    while batch := stream.read(
        shard_id, after=records[-1].sequence_number if records else None, limit=page
    ):
        records += batch
    return records


def kinesis_shard_index(partition_key: str, shard_count: int) -> int:
    """Kinesis' routing, written independently of the adapters: MD5 into even hash ranges."""
    hashed = int(hashlib.md5(partition_key.encode()).hexdigest(), 16)
    return min(hashed // (2**128 // shard_count), shard_count - 1)


def records_for(keys: list[str], per_key: int) -> list[Record]:
    """Round-robin over keys; data names its key and rank, and ends in a non-zero byte."""
    return [Record(key, f"{key}/{rank}/!".encode()) for rank in range(per_key) for key in keys]


# -- every adapter ---------------------------------------------------------------------


def test_stream_has_the_requested_shards_and_is_healthy(stream: EventStream) -> None:
    assert stream.shard_ids() == ["shardId-000000000000", "shardId-000000000001"]
    health = stream.check()
    assert health.ok, health.detail
    assert health.backend == stream.backend


def test_records_come_back_per_shard_in_put_order(stream: EventStream) -> None:
    records = records_for([f"user-{n}" for n in range(8)], per_key=6)
    results = list(stream.put_records(records[:20]))
    results += [stream.put(record.partition_key, record.data) for record in records[20:30]]
    results += stream.put_records(records[30:])

    assert len(results) == len(records)
    for shard_id in stream.shard_ids():
        expected = [
            (record, result)
            for record, result in zip(records, results, strict=True)
            if result.shard_id == shard_id
        ]
        got = read_all(stream, shard_id)
        assert [(r.partition_key, r.data) for r in got] == [
            (record.partition_key, record.data) for record, _ in expected
        ]
        assert [r.sequence_number for r in got] == [
            result.sequence_number for _, result in expected
        ]
        numbers = [int(r.sequence_number) for r in got]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
        assert all(r.shard_id == shard_id and r.arrived_at.tzinfo is not None for r in got)


def test_partition_key_always_routes_to_its_kinesis_hash_range(stream: EventStream) -> None:
    keys = [f"concert-{n}" for n in range(64)]
    first = stream.put_records([Record(key, b"first") for key in keys])
    again = stream.put_records([Record(key, b"again") for key in reversed(keys)])

    shard_ids = stream.shard_ids()
    expected = [shard_ids[kinesis_shard_index(key, SHARDS)] for key in keys]
    assert [result.shard_id for result in first] == expected
    assert [result.shard_id for result in reversed(again)] == expected
    assert set(expected) == set(shard_ids)  # 64 keys do reach both shards


def test_read_after_resumes_right_after_that_sequence_number(stream: EventStream) -> None:
    results = stream.put_records([Record("one-key", f"event {n}".encode()) for n in range(10)])
    shard_id = results[0].shard_id

    after_fourth = stream.read(shard_id, after=results[3].sequence_number, limit=3)
    assert [r.data for r in after_fourth] == [b"event 4", b"event 5", b"event 6"]
    rest = stream.read(shard_id, after=after_fourth[-1].sequence_number)
    assert [r.data for r in rest] == [f"event {n}".encode() for n in range(7, 10)]
    assert stream.read(shard_id, after=results[-1].sequence_number) == []


def test_reading_from_the_start_pages_through_everything(stream: EventStream) -> None:
    results = stream.put_records([Record("paged", f"{n}".encode()) for n in range(25)])
    paged = read_all(stream, results[0].shard_id, page=7)
    assert [r.data for r in paged] == [f"{n}".encode() for n in range(25)]


def test_batch_of_1200_records_is_stored_in_order(stream: EventStream) -> None:
    records = records_for([f"sale-{n}" for n in range(40)], per_key=30)
    results = stream.put_records(records)

    assert len(results) == 1200
    by_shard: dict[str, list[Record]] = defaultdict(list)
    for record, result in zip(records, results, strict=True):
        by_shard[result.shard_id].append(record)
    for shard_id in stream.shard_ids():
        assert [(r.partition_key, r.data) for r in read_all(stream, shard_id)] == [
            (r.partition_key, r.data) for r in by_shard[shard_id]
        ]


@pytest.mark.parametrize(
    ("record", "error", "field"),
    [
        (Record("", b"x"), InvalidStreamInputError, "records[1].partition_key"),
        (Record("k" * 257, b"x"), InvalidStreamInputError, "records[1].partition_key"),
        (Record("\ud800", b"x"), InvalidStreamInputError, "records[1].partition_key"),
        (Record("k", bytes(MIB)), RecordTooLargeError, "records[1].data"),
    ],
    ids=["empty-key", "key-over-256-chars", "key-not-utf8", "record-over-1-mib"],
)
def test_a_bad_record_rejects_the_whole_batch_naming_it(
    stream: EventStream, record: Record, error: type[Exception], field: str
) -> None:
    with pytest.raises(error, match=field.replace("[", r"\[").replace("]", r"\]")):
        stream.put_records([Record("fine", b"ok"), record])
    assert all(stream.read(shard_id) == [] for shard_id in stream.shard_ids())


def test_limits_themselves_are_accepted(stream: EventStream) -> None:
    key = "k" * 256
    result = stream.put(key, bytes(MIB - len(key)))
    [stored] = stream.read(result.shard_id)
    assert stored.partition_key == key and len(stored.data) == MIB - 256


def test_non_ascii_partition_keys_round_trip(stream: EventStream) -> None:
    keys = ["café-1", "東京-2", "plain-3", "é" * 256]
    results = stream.put_records([Record(key, key.encode()[::-1]) for key in keys])
    shard_ids = stream.shard_ids()
    assert [r.shard_id for r in results] == [
        shard_ids[kinesis_shard_index(k, SHARDS)] for k in keys
    ]
    stored = {r.partition_key: r.data for s in shard_ids for r in read_all(stream, s)}
    assert stored == {key: key.encode()[::-1] for key in keys}


def test_bad_read_arguments_are_errors_naming_them(stream: EventStream) -> None:
    shard_id = stream.shard_ids()[0]
    with pytest.raises(ShardNotFoundError, match="shard_id"):
        stream.read("shardId-000000000099")
    with pytest.raises(InvalidStreamInputError, match="after"):
        stream.read(shard_id, after="12abc")
    for limit in (0, 10_001):
        with pytest.raises(InvalidStreamInputError, match="limit"):
            stream.read(shard_id, limit=limit)


def test_empty_batch_writes_nothing(stream: EventStream) -> None:
    assert stream.put_records([]) == []
    assert all(stream.read(shard_id) == [] for shard_id in stream.shard_ids())


@pytest.mark.parametrize("name", ["", "..", "../escape", "a b", "trailing\n", "n" * 129])
def test_stream_names_follow_kinesis_rules(tmp_path: Path, kinesis_client: Any, name: str) -> None:
    with pytest.raises(InvalidStreamInputError, match="name"):
        LocalEventStream(tmp_path, name)
    with pytest.raises(InvalidStreamInputError, match="name"):
        KinesisEventStream(name, client=kinesis_client)
    assert list(tmp_path.iterdir()) == []


# -- Kinesis only ----------------------------------------------------------------------


def _throttled(operation: str) -> ClientError:
    error: Any = {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"}
    return ClientError({"Error": error}, operation)


class ThrottlingKinesis:
    """Moto's client, except that put_records rejects chosen entries the way Kinesis does.

    ``failures[k]`` lists the entry positions to reject in the k-th call, or is
    "all" to throttle the whole call; later calls pass through.
    """

    def __init__(
        self, client: Any, failures: list[set[int] | str], throttled_reads: int = 0
    ) -> None:
        self._client = client
        self._failures = failures
        self._throttled_reads = throttled_reads
        self.calls: list[list[dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def get_records(self, **request: Any) -> dict[str, Any]:
        if self._throttled_reads:
            self._throttled_reads -= 1
            raise _throttled("GetRecords")
        return dict(self._client.get_records(**request))

    def put_records(self, **request: Any) -> dict[str, Any]:
        entries: list[dict[str, Any]] = request["Records"]
        self.calls.append(entries)
        failing = self._failures.pop(0) if self._failures else set()
        if failing == "all":
            raise _throttled("PutRecords")
        passed = [entry for n, entry in enumerate(entries) if n not in failing]
        outcomes = iter(
            self._client.put_records(**{**request, "Records": passed})["Records"] if passed else []
        )
        rejected = {
            "ErrorCode": "ProvisionedThroughputExceededException",
            "ErrorMessage": "Rate exceeded for shard",
        }
        return {
            "FailedRecordCount": len(failing),
            "Records": [rejected if n in failing else next(outcomes) for n in range(len(entries))],
        }


def test_kinesis_retries_only_the_entries_that_failed(kinesis_client: Any) -> None:
    client = ThrottlingKinesis(kinesis_client, failures=[{1, 4}, {0}])
    delays: list[float] = []
    stream = _kinesis_stream(client, sleep=delays.append)
    records = [Record(f"key-{n}", f"event {n}".encode()) for n in range(8)]

    results = stream.put_records(records)

    assert [len(call) for call in client.calls] == [8, 2, 1]
    assert [entry["Data"] for entry in client.calls[1]] == [b"event 1", b"event 4"]
    assert [entry["Data"] for entry in client.calls[2]] == [b"event 1"]
    assert len(delays) == 2 and all(0 <= delay <= 2.0 for delay in delays)
    stored = {(r.sequence_number, r.data) for s in stream.shard_ids() for r in read_all(stream, s)}
    assert stored == {
        (result.sequence_number, record.data)
        for record, result in zip(records, results, strict=True)
    }


def test_kinesis_throttling_that_outlasts_the_retries_is_rate_limited(kinesis_client: Any) -> None:
    whole_calls = _kinesis_stream(
        ThrottlingKinesis(kinesis_client, failures=["all"] * 3),
        max_attempts=3,
        sleep=lambda _: None,
    )
    with pytest.raises(StreamRateLimitedError, match="3 attempts"):
        whole_calls.put("key", b"data")

    one_entry = _kinesis_stream(
        ThrottlingKinesis(kinesis_client, failures=[{0}] * 3), max_attempts=3, sleep=lambda _: None
    )
    with pytest.raises(StreamRateLimitedError, match="1 records still failing"):
        one_entry.put_records([Record("a", b"1"), Record("b", b"2")])


def test_kinesis_reads_retry_while_throttled(kinesis_client: Any) -> None:
    client = ThrottlingKinesis(kinesis_client, failures=[], throttled_reads=2)
    stream = _kinesis_stream(client, max_attempts=3, sleep=lambda _: None)
    result = stream.put("key", b"data")
    assert [r.data for r in stream.read(result.shard_id)] == [b"data"]

    client = ThrottlingKinesis(kinesis_client, failures=[], throttled_reads=3)
    stream = _kinesis_stream(client, max_attempts=3, sleep=lambda _: None)
    result = stream.put("key", b"data")
    with pytest.raises(StreamRateLimitedError):
        stream.read(result.shard_id)


def test_kinesis_splits_calls_at_500_records_and_5_mib(kinesis_client: Any) -> None:
    client = ThrottlingKinesis(kinesis_client, failures=[])
    stream = _kinesis_stream(client)

    stream.put_records(records_for([f"k{n}" for n in range(12)], per_key=100))
    assert [len(call) for call in client.calls] == [500, 500, 200]

    client.calls.clear()
    big = [Record(f"big-{n}", bytes(MIB - 100)) for n in range(11)]
    results = stream.put_records(big)
    assert [len(call) for call in client.calls] == [5, 5, 1]
    assert len(results) == 11


def test_kinesis_stream_that_does_not_exist(kinesis_client: Any) -> None:
    missing = KinesisEventStream("never-created", client=kinesis_client)
    assert not missing.check().ok
    with pytest.raises(StreamNotFoundError, match="never-created"):
        missing.put("key", b"data")
    with pytest.raises(StreamNotFoundError, match="never-created"):
        missing.shard_ids()


# -- local log only --------------------------------------------------------------------


def _shard_file(stream: LocalEventStream, shard_id: str) -> Path:
    return stream.directory / f"{shard_id}.log"


def _log_end(log: bytes) -> int:
    """Offset after the last frame: free space is zeros and test records end in '!'."""
    return len(log.rstrip(b"\0"))


def _overwrite(path: Path, offset: int, data: bytes) -> None:
    with path.open("r+b") as handle:
        handle.seek(offset)
        handle.write(data)


def test_local_records_survive_reopening(tmp_path: Path) -> None:
    records = records_for(["a", "b", "c"], per_key=4)
    with LocalEventStream(tmp_path, "durable") as stream:
        before = stream.put_records(records)
    with LocalEventStream(tmp_path, "durable") as reopened:
        stored = [r for s in reopened.shard_ids() for r in read_all(reopened, s)]
        assert sorted((r.sequence_number, r.data) for r in stored) == sorted(
            (result.sequence_number, record.data)
            for record, result in zip(records, before, strict=True)
        )
        later = reopened.put("a", b"later!")
        assert int(later.sequence_number) > max(
            int(r.sequence_number) for r in before if r.shard_id == later.shard_id
        )


def test_local_reopening_with_another_shard_count_is_an_error(tmp_path: Path) -> None:
    LocalEventStream(tmp_path, "fixed", 2).close()
    with pytest.raises(StreamConfigurationError, match="shard_count"):
        LocalEventStream(tmp_path, "fixed", 3)


def _torn_write(scratch_root: Path, next_data: bytes, damage: bytes = b"\xee") -> bytes:
    """What a crash mid-append can leave: ``damage`` bytes as long as the frame that a put
    of ``next_data`` will write, then stale bytes forming a valid frame holding b"ghost!".
    Unless the next writer clears them, readers would take the ghost for a record."""
    with LocalEventStream(scratch_root, "frames", 1) as scratch:
        ghost = scratch.put("k", b"ghost!")
        following = scratch.put("k", next_data)
        log = _shard_file(scratch, ghost.shard_id).read_bytes()
    boundary, _ = frame_position(following.sequence_number)
    return damage * (_log_end(log) - boundary) + log[:boundary]


@pytest.mark.parametrize("damage", [b"\xee", b"\0"], ids=["garbage", "first-page-lost"])
def test_local_torn_write_is_ignored_and_never_read_as_records(
    tmp_path: Path, damage: bytes
) -> None:
    with LocalEventStream(tmp_path, "torn", 1) as stream:
        [first] = stream.put_records([Record("k", b"kept!")])
        path = _shard_file(stream, first.shard_id)
    torn = _torn_write(tmp_path / "scratch", b"next!", damage)
    _overwrite(path, _log_end(path.read_bytes()), torn)

    with LocalEventStream(tmp_path, "torn", 1) as reopened:
        assert [r.data for r in reopened.read(first.shard_id)] == [b"kept!"]
        reopened.put("k", b"next!")
        assert [r.data for r in reopened.read(first.shard_id)] == [b"kept!", b"next!"]
    with LocalEventStream(tmp_path, "torn", 1) as again:
        again.put("k", b"last!")
        assert [r.data for r in again.read(first.shard_id)] == [b"kept!", b"next!", b"last!"]


def test_local_torn_last_frame_is_dropped_on_reopen(tmp_path: Path) -> None:
    with LocalEventStream(tmp_path, "torn", 1) as stream:
        [kept] = stream.put_records([Record("k", b"kept!")])
        torn = stream.put_records([Record("k", b"x" * 300 + b"!"), Record("k", b"y!")])
        path = _shard_file(stream, kept.shard_id)
    # The last pages of the write never reached the disk.
    end = _log_end(path.read_bytes())
    _overwrite(path, end - 100, bytes(100))

    with LocalEventStream(tmp_path, "torn", 1) as reopened:
        assert [r.data for r in reopened.read(kept.shard_id)] == [b"kept!"]
        with pytest.raises(InvalidStreamInputError, match="after"):
            reopened.read(kept.shard_id, after=torn[0].sequence_number)
        reopened.put("k", b"after the crash!")
        assert [r.data for r in reopened.read(kept.shard_id)] == [b"kept!", b"after the crash!"]


def test_local_writer_clears_what_a_killed_writer_left(tmp_path: Path) -> None:
    with LocalEventStream(tmp_path, "shared", 1) as survivor:
        [first] = survivor.put_records([Record("k", b"one!")])
        path = _shard_file(survivor, first.shard_id)
        # Another process died in the middle of its write, after this one opened the log.
        _overwrite(path, _log_end(path.read_bytes()), _torn_write(tmp_path / "scratch", b"two!"))
        assert [r.data for r in survivor.read(first.shard_id)] == [b"one!"]
        survivor.put("k", b"two!")
        assert [r.data for r in survivor.read(first.shard_id)] == [b"one!", b"two!"]


def test_local_routes_to_five_shards_like_kinesis(tmp_path: Path) -> None:
    keys = [f"artist-{n}" for n in range(200)]
    with LocalEventStream(tmp_path, "five", 5) as stream:
        results = stream.put_records([Record(key, key.encode()) for key in keys])
        shard_ids = stream.shard_ids()
        assert [r.shard_id for r in results] == [
            shard_ids[kinesis_shard_index(key, 5)] for key in keys
        ]
        stored = {r.data.decode(): r.shard_id for s in shard_ids for r in read_all(stream, s)}
    assert stored == {key: shard_ids[kinesis_shard_index(key, 5)] for key in keys}


def test_local_huge_batch_spans_frames_and_pages_across_them(tmp_path: Path) -> None:
    records = [Record("one-key", b"%d" % n) for n in range(25_000)]
    with LocalEventStream(tmp_path, "huge", 1) as stream:
        results = stream.put_records(records)
        assert len({frame_position(r.sequence_number)[0] for r in results}) == 3
        paged = read_all(stream, results[0].shard_id, page=7_000)
    assert [r.data for r in paged] == [r.data for r in records]
    assert [r.sequence_number for r in paged] == [r.sequence_number for r in results]


def test_local_after_must_name_a_stored_record(tmp_path: Path) -> None:
    with LocalEventStream(tmp_path, "seek", 1) as stream:
        results = stream.put_records([Record("k", b"a!"), Record("k", b"b!")])
        shard_id = results[0].shard_id
        last_frame, last_index = frame_position(results[-1].sequence_number)
        for bogus in (
            sequence_number(last_frame, last_index + 1),  # index past the frame's records
            sequence_number(last_frame + 7, 0),  # not the start of a frame
            sequence_number(10**9, 0),  # beyond the end
            "42",  # before the first frame
        ):
            with pytest.raises(InvalidStreamInputError, match="after"):
                stream.read(shard_id, after=bogus)


# Run as a script by the processes test and executed here for the threads test, so
# both write the very same records. It imports nothing heavier than the local log.
WRITER = textwrap.dedent(
    """
    import sys
    import zlib
    from pathlib import Path

    from foundation.stream.base import Record
    from foundation.stream.local import LocalEventStream


    def checked_record(writer, number):
        body = f"{writer}:{number}:".encode() + bytes(range(number % 50, number % 50 + 60))
        return Record(f"{writer}-{number % 5}", body + zlib.crc32(body).to_bytes(4, "big"))


    def write(stream, writer, batches, size):
        for low in range(0, batches * size, size):
            stream.put_records([checked_record(writer, n) for n in range(low, low + size)])


    if __name__ == "__main__":
        root, writer, batches, size = sys.argv[1:]
        with LocalEventStream(Path(root), "shared", 2) as stream:
            print("ready", flush=True)
            sys.stdin.readline()  # every writer starts at once
            write(stream, writer, int(batches), int(size))
    """
)
_writer: dict[str, Any] = {"__name__": "stream_writer"}
exec(WRITER, _writer)


def _verify_and_parse(record: StreamRecord) -> tuple[str, int]:
    body, checksum = record.data[:-4], record.data[-4:]
    assert zlib.crc32(body).to_bytes(4, "big") == checksum, record
    writer, number, _ = body.split(b":", 2)
    return writer.decode(), int(number)


def _assert_every_record_once_in_order(
    stream: LocalEventStream, writers: list[str], per_writer: int
) -> None:
    """Checksums hold, each writer's numbers appear exactly once, each key's in order."""
    seen: dict[tuple[str, str], list[int]] = defaultdict(list)
    for shard_id in stream.shard_ids():
        for record in read_all(stream, shard_id, page=10_000):
            writer, number = _verify_and_parse(record)
            assert record.partition_key == f"{writer}-{number % 5}"
            seen[(writer, record.partition_key)].append(number)
    for (writer, key), numbers in seen.items():
        assert numbers == sorted(numbers), f"{key} of {writer} out of order"
    for writer in writers:
        numbers = [n for (w, _), ns in seen.items() if w == writer for n in ns]
        assert sorted(numbers) == list(range(per_writer)), writer


def test_local_threads_appending_at_once_lose_nothing(tmp_path: Path) -> None:
    writers, batches, batch_size = [f"t{n}" for n in range(6)], 30, 20
    with LocalEventStream(tmp_path, "shared", SHARDS) as stream:
        threads = [
            threading.Thread(target=_writer["write"], args=(stream, writer, batches, batch_size))
            for writer in writers
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        _assert_every_record_once_in_order(stream, writers, batches * batch_size)


def test_local_processes_appending_at_once_lose_nothing(tmp_path: Path) -> None:
    writers, batches, batch_size = [f"p{n}" for n in range(4)], 40, 25
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), writer, str(batches), str(batch_size)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for writer in writers
    ]
    for process in processes:
        assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write(b"go\n")
        process.stdin.close()
    for process in processes:
        assert process.wait(timeout=60) == 0, process.stderr.read().decode()  # type: ignore[union-attr]
    with LocalEventStream(tmp_path, "shared", SHARDS) as stream:
        _assert_every_record_once_in_order(stream, writers, batches * batch_size)
