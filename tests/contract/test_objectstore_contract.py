"""Contract of the object store port: every adapter passes the same assertions.

The S3 adapter runs against moto in-process. A few tests at the end cover what
only one adapter has: OS processes sharing a local root, S3 listing pages.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import multiprocessing
import os
import random
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from multiprocessing.synchronize import Barrier as ProcessBarrier
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

from foundation.objectstore import (
    ConcurrentUpdateError,
    InvalidKeyError,
    InvalidMetadataError,
    LocalObjectStore,
    ObjectNotFoundError,
    ObjectStore,
    ObjectStoreUnavailableError,
    PreconditionFailedError,
    S3ObjectStore,
    update_object,
)
from foundation.objectstore.local import STALE_TMP_SECONDS

BUCKET = "skyline-contract"
_BUCKET_NUMBERS = itertools.count()
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def s3_client() -> Iterator[Any]:
    """One moto S3 for the module: a new client per test costs ~0.3 s, a bucket ~5 ms."""
    # moto serves requests in the caller's thread with no lock, so a conditional
    # put's check and write can interleave with another thread's, and a read can
    # hit a body being replaced. S3 runs each request atomically; so does this.
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
            yield boto3.client("s3", region_name="us-east-1")


@pytest.fixture
def s3_store(s3_client: Any) -> S3ObjectStore:
    bucket = f"skyline-contract-{next(_BUCKET_NUMBERS)}"
    s3_client.create_bucket(Bucket=bucket)
    return S3ObjectStore(bucket, client=s3_client)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalObjectStore(tmp_path / "store")
    s3: S3ObjectStore = request.getfixturevalue("s3_store")
    return s3


class PatternSource(io.RawIOBase):
    """A non-seekable source of ``total`` pseudo-random bytes that never holds
    them all, returning at most ``max_read`` bytes per read like a socket."""

    def __init__(self, total: int, *, max_read: int = 64 * 1024, seed: int = 7) -> None:
        self._block = random.Random(seed).randbytes(MIB + 7)
        self._remaining = total
        self._offset = 0
        self._max_read = max_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer)
        count = min(len(view), self._remaining, self._max_read, len(self._block) - self._offset)
        view[:count] = self._block[self._offset : self._offset + count]
        self._offset = (self._offset + count) % len(self._block)
        self._remaining -= count
        return count


def pattern_bytes(total: int) -> bytes:
    return PatternSource(total).readall()


def read_counter(store: ObjectStore, key: str) -> int:
    return int(json.loads(store.get(key).body)["count"])


def increment(body: bytes | None) -> bytes:
    count = 0 if body is None else json.loads(body)["count"]
    return json.dumps({"count": count + 1}).encode()


# -- round trip and reads -----------------------------------------------------


def test_put_then_get_round_trips_body_content_type_and_metadata(store: ObjectStore) -> None:
    written = store.put(
        "raw/source=api/2024-05-01/batch.json",
        b'{"a": 1}',
        content_type="application/json",
        metadata={"Batch-Id": "b-1", "rows": "1"},
    )

    stored = store.get("raw/source=api/2024-05-01/batch.json")

    assert stored.body == b'{"a": 1}'
    assert stored.info.content_type == "application/json"
    assert stored.info.metadata == {"batch-id": "b-1", "rows": "1"}  # names lower-cased, as S3
    assert stored.info.size == 8
    assert stored.info.etag == written.etag
    assert '"' not in written.etag and written.etag
    assert written.metadata == stored.info.metadata
    assert stored.info.last_modified.utcoffset() == timedelta(0)


def test_put_replaces_the_whole_object_and_changes_the_etag(store: ObjectStore) -> None:
    first = store.put("doc", b"first version", metadata={"v": "1"})
    second = store.put("doc", b"2nd")

    stored = store.get("doc")
    assert stored.body == b"2nd"
    assert stored.info.metadata == {}
    assert stored.info.content_type == "application/octet-stream"
    assert second.etag != first.etag


def test_empty_body_is_an_object(store: ObjectStore) -> None:
    store.put("empty", b"")
    assert store.get("empty").body == b""
    assert store.head("empty").size == 0


def test_head_describes_the_object_without_its_body(store: ObjectStore) -> None:
    written = store.put("a/b.csv", b"x,y\n1,2\n", content_type="text/csv", metadata={"k": "v"})

    info = store.head("a/b.csv")

    assert (info.key, info.size, info.etag) == ("a/b.csv", 8, written.etag)
    assert (info.content_type, info.metadata) == ("text/csv", {"k": "v"})
    assert info.last_modified.utcoffset() == timedelta(0)
    assert store.exists("a/b.csv")
    assert not store.exists("a/b")
    assert not store.exists("a/b.csv.bak")


def test_open_streams_the_body(store: ObjectStore) -> None:
    store.put("stream/me", b"0123456789")

    with store.open("stream/me") as stream:
        assert stream.read(4) == b"0123"
        assert stream.read() == b"456789"


@pytest.mark.parametrize("operation", ["get", "head", "open"])
def test_reading_a_missing_key_raises_object_not_found(store: ObjectStore, operation: str) -> None:
    store.put("present", b"x")
    with pytest.raises(ObjectNotFoundError, match="missing/key"):
        if operation == "open":
            with store.open("missing/key"):
                pass
        else:
            getattr(store, operation)("missing/key")


def test_delete_removes_the_object_and_is_idempotent(store: ObjectStore) -> None:
    store.put("gone/soon", b"x")
    store.put("gone/stays", b"y")

    store.delete("gone/soon")
    store.delete("gone/soon")
    store.delete("never/existed")

    assert not store.exists("gone/soon")
    with pytest.raises(ObjectNotFoundError):
        store.get("gone/soon")
    assert [o.key for o in store.list()] == ["gone/stays"]


# -- listing --------------------------------------------------------------------


def test_list_yields_keys_under_the_prefix_in_byte_order(store: ObjectStore) -> None:
    keys = ["b/z", "a0", "a/b/c", "a-b", "a/b-d", "a/ä", "a/c", "ab", "b/a", "a/B", "a/gone"]
    for key in random.Random(3).sample(keys, len(keys)):
        store.put(key, key.encode())
    store.delete("a/gone")  # a deleted key leaves no trace in listings

    everything = [o.key for o in store.list()]
    assert everything == ["a-b", "a/B", "a/b-d", "a/b/c", "a/c", "a/ä", "a0", "ab", "b/a", "b/z"]
    assert everything == sorted(everything, key=lambda k: k.encode())
    assert [o.key for o in store.list("a/")] == ["a/B", "a/b-d", "a/b/c", "a/c", "a/ä"]
    assert [o.key for o in store.list("a/b")] == ["a/b-d", "a/b/c"]
    assert [o.key for o in store.list("a")] == everything[:8]
    assert list(store.list("zzz")) == []
    assert list(store.list("a/b/c/")) == []


def test_list_reports_size_and_etag_of_each_object(store: ObjectStore) -> None:
    written = store.put("sized/one", b"12345")

    [summary] = store.list("sized/")

    assert (summary.key, summary.size, summary.etag) == ("sized/one", 5, written.etag)
    assert summary.last_modified.utcoffset() == timedelta(0)


# -- conditional puts -----------------------------------------------------------


def test_conditional_put_with_if_none_match_creates_only_a_missing_key(
    store: ObjectStore,
) -> None:
    created = store.put("lock", b"mine", if_none_match=True)

    with pytest.raises(PreconditionFailedError, match="lock"):
        store.put("lock", b"theirs", if_none_match=True)

    assert store.get("lock").body == b"mine"
    assert store.head("lock").etag == created.etag


def test_conditional_put_fails_when_etag_is_stale(store: ObjectStore) -> None:
    stale = store.put("counter", b"1")
    current = store.put("counter", b"2")

    with pytest.raises(PreconditionFailedError, match="counter"):
        store.put("counter", b"3", if_match=stale.etag)

    stored = store.get("counter")
    assert stored.body == b"2"
    assert stored.info.etag == current.etag


def test_conditional_put_succeeds_with_the_current_etag(store: ObjectStore) -> None:
    current = store.put("counter", b"1")

    updated = store.put("counter", b"2", if_match=current.etag)

    assert store.get("counter").body == b"2"
    assert store.head("counter").etag == updated.etag


def test_conditional_put_with_if_match_on_a_missing_key_fails_as_precondition(
    store: ObjectStore,
) -> None:
    with pytest.raises(PreconditionFailedError, match="nobody"):
        store.put("nobody", b"x", if_match="0123456789abcdef0123456789abcdef")
    assert not store.exists("nobody")


# -- streaming writes -------------------------------------------------------------


def test_put_stream_stores_a_multi_megabyte_source_from_short_reads(store: ObjectStore) -> None:
    size = 20 * MIB + 123  # more than two S3 parts, a ragged last one
    expected = pattern_bytes(size)

    written = store.put_stream(
        "big/blob.bin", PatternSource(size), content_type="application/x-test", metadata={"p": "1"}
    )

    assert written.size == size
    stored = store.get("big/blob.bin")
    assert hashlib.sha256(stored.body).digest() == hashlib.sha256(expected).digest()
    assert stored.info.etag == written.etag
    assert (stored.info.content_type, stored.info.metadata) == ("application/x-test", {"p": "1"})
    with store.open("big/blob.bin") as stream:
        streamed = b"".join(iter(lambda: stream.read(MIB), b""))
    assert streamed == expected
    # The etag of a streamed object works for a later conditional put.
    store.put("big/blob.bin", b"small now", if_match=written.etag)
    assert store.get("big/blob.bin").body == b"small now"


@pytest.mark.parametrize("size", [10, 9 * MIB], ids=["small", "multipart"])
def test_put_stream_with_if_none_match_keeps_an_existing_object(
    store: ObjectStore, size: int
) -> None:
    store.put("taken", b"original")

    with pytest.raises(PreconditionFailedError, match="taken"):
        store.put_stream("taken", PatternSource(size), if_none_match=True)

    assert store.get("taken").body == b"original"
    created = store.put_stream("free", PatternSource(size), if_none_match=True)
    assert created.size == size == store.head("free").size


def test_a_streamed_object_gets_a_new_etag_each_time_it_is_written(tmp_path: Path) -> None:
    # The local store does not hash streams (S3's multipart etag is no MD5 either);
    # a fresh tag per write still tells every version apart for conditional puts.
    store = LocalObjectStore(tmp_path / "store")
    first = store.put_stream("same", PatternSource(1000))
    second = store.put_stream("same", PatternSource(1000))
    assert first.etag != second.etag
    assert store.head("same").etag == second.etag
    with pytest.raises(PreconditionFailedError):
        store.put("same", b"x", if_match=first.etag)
    assert store.put("same", b"x").etag == hashlib.md5(b"x").hexdigest()


# -- keys -----------------------------------------------------------------------

BAD_KEYS = [
    "",
    "/etc/passwd",
    "../../etc/passwd",
    "a/../../../escape",
    "./a",
    "a/./b",
    "a/..",
    "a//b",
    "folder/",
    "back\\slash",
    "nul\x00byte",
    "x" * 1025,
    "é" * 513,  # 1026 bytes in UTF-8
    "long/" + "s" * 256,
    "\ud800",
]


def test_invalid_keys_are_rejected_by_every_operation(store: ObjectStore, tmp_path: Path) -> None:
    for key in BAD_KEYS:
        operations: dict[str, Callable[[], object]] = {
            "put": partial(store.put, key, b"x"),
            "put_stream": partial(store.put_stream, key, io.BytesIO(b"x")),
            "get": partial(store.get, key),
            "head": partial(store.head, key),
            "exists": partial(store.exists, key),
            "delete": partial(store.delete, key),
            "open": lambda key=key: store.open(key).__enter__(),  # type: ignore[misc]
        }
        for name, operation in operations.items():
            with pytest.raises(InvalidKeyError) as caught:
                operation()
            assert caught.value.extra["key"] == key, (name, key)
            assert repr(key)[:40] in str(caught.value), (name, key)
    assert list(store.list()) == []
    assert not (tmp_path / "escape").exists()
    assert not (tmp_path.parent / "escape").exists()


def test_keys_with_unusual_but_valid_characters_round_trip(store: ObjectStore) -> None:
    longest = "/".join(["segment"] * 128)  # 1023 bytes, 128 folders deep
    keys = [".hidden", "a/..b", "a/b.", "sp ace/tab\tkey", "emoji/🎵", "x" * 255, longest]
    for key in keys:
        store.put(key, key.encode())
    for key in keys:
        assert store.get(key).body == key.encode()
    assert sorted(o.key for o in store.list()) == sorted(keys)


def test_invalid_list_prefixes_are_rejected(store: ObjectStore) -> None:
    for prefix in ["../", "/a", "a//", "a/../b/", "nul\x00", "\\"]:
        with pytest.raises(InvalidKeyError) as caught:
            store.list(prefix)
        assert caught.value.extra["key"] == prefix


INVALID_ATTRIBUTES: list[tuple[str, dict[str, str] | None]] = [
    ("", None),
    ("text/plain\r\nX-Evil: 1", None),
    ("text/plain", {"bad name": "v"}),
    ("text/plain", {"name": "caf\u00e9"}),
    ("text/plain", {"name": " padded"}),
    ("text/plain", {"Name": "a", "name": "b"}),
    ("text/plain", {"big": "v" * 2048}),
]


def test_invalid_content_type_or_metadata_is_rejected(store: ObjectStore) -> None:
    for content_type, metadata in INVALID_ATTRIBUTES:
        with pytest.raises(InvalidMetadataError):
            store.put("k", b"x", content_type=content_type, metadata=metadata)
        with pytest.raises(InvalidMetadataError):
            store.put_stream("k", io.BytesIO(b"x"), content_type=content_type, metadata=metadata)
    assert not store.exists("k")


# -- optimistic concurrency -------------------------------------------------------


def test_update_object_creates_then_changes_and_keeps_attributes(store: ObjectStore) -> None:
    seen: list[bytes | None] = []

    def create(body: bytes | None) -> bytes:
        seen.append(body)
        return b"v1"

    update_object(store, "cfg", create, content_type="text/plain", metadata={"owner": "me"})
    assert seen == [None]

    info = update_object(store, "cfg", lambda body: (body or b"") + b"+v2")

    stored = store.get("cfg")
    assert stored.body == b"v1+v2"
    assert (stored.info.content_type, stored.info.metadata) == ("text/plain", {"owner": "me"})
    assert info.etag == stored.info.etag


def test_update_object_gives_up_after_max_attempts(store: ObjectStore) -> None:
    store.put("hot", b"0")
    calls = 0

    def mutate_while_someone_else_writes(body: bytes | None) -> bytes:
        nonlocal calls
        calls += 1
        store.put("hot", f"other-{calls}".encode())  # always changes under our feet
        return b"mine"

    with pytest.raises(ConcurrentUpdateError, match="hot"):
        update_object(store, "hot", mutate_while_someone_else_writes, max_attempts=3)
    assert calls == 3
    assert store.get("hot").body == b"other-3"


def test_concurrent_update_object_loses_no_increment(store: ObjectStore) -> None:
    threads, increments = 16, 5
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            for _ in range(increments):
                update_object(store, "counter.json", increment, content_type="application/json")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()

    assert errors == []
    assert read_counter(store, "counter.json") == threads * increments


def test_readers_never_see_an_etag_of_another_body(store: ObjectStore) -> None:
    bodies = [bytes([n]) * (1000 + n) for n in range(20)]
    store.put("flip", bodies[0])
    mismatches: list[str] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            stored = store.get("flip")
            # Both adapters' etag of a single put is the MD5 of the body.
            if hashlib.md5(stored.body).hexdigest() != stored.info.etag:
                mismatches.append(stored.info.etag)
            if len(stored.body) != stored.info.size:
                mismatches.append(f"size {stored.info.size}")

    readers = [threading.Thread(target=reader) for _ in range(2)]
    for thread in readers:
        thread.start()
    for body in bodies[1:]:
        store.put("flip", body)
    done.set()
    for thread in readers:
        thread.join()

    assert mismatches == []


def test_check_reports_a_healthy_store(store: ObjectStore) -> None:
    status = store.check()
    assert status.ok, status.detail
    assert status.backend == store.backend


# -- local adapter only ------------------------------------------------------------


def _increment_in_process(root: str, times: int, start: ProcessBarrier) -> None:
    store = LocalObjectStore(root)
    start.wait()
    for _ in range(times):
        update_object(store, "shared/counter.json", increment, max_attempts=200)


def test_local_store_loses_no_update_across_processes(tmp_path: Path) -> None:
    root, processes, times = str(tmp_path / "store"), 4, 15
    LocalObjectStore(root)
    context = multiprocessing.get_context("fork")
    start = context.Barrier(processes)
    workers = [
        context.Process(target=_increment_in_process, args=(root, times, start))
        for _ in range(processes)
    ]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()

    assert [worker.exitcode for worker in workers] == [0] * processes
    assert read_counter(LocalObjectStore(root), "shared/counter.json") == processes * times


def test_local_store_files_survive_a_new_instance(tmp_path: Path) -> None:
    first = LocalObjectStore(tmp_path / "store")
    written = first.put("keep/me.txt", b"kept", content_type="text/plain", metadata={"a": "1"})

    again = LocalObjectStore(tmp_path / "store")

    stored = again.get("keep/me.txt")
    assert stored.body == b"kept"
    assert stored.info == written
    assert [o.key for o in again.list()] == ["keep/me.txt"]
    again.put("keep/me.txt", b"v2", if_match=written.etag)


def test_local_store_sweeps_temp_files_a_crashed_writer_left(tmp_path: Path) -> None:
    LocalObjectStore(tmp_path / "store").put("a.txt", b"a")
    tmp = tmp_path / "store" / "tmp"
    stale, in_flight = tmp / "tmpcrashed", tmp / "tmpwriting"
    stale.write_bytes(b"half an upload")
    in_flight.write_bytes(b"being written now")
    long_ago = time.time() - STALE_TMP_SECONDS - 60
    os.utime(stale, (long_ago, long_ago))

    store = LocalObjectStore(tmp_path / "store")

    assert not stale.exists()
    assert in_flight.exists()
    assert store.get("a.txt").body == b"a"


def test_local_store_lists_only_objects_never_its_internal_files(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    store.put("meta/x", b"1")  # keys named like internal folders are ordinary keys
    store.put("tmp", b"2")
    assert store.check().ok
    update_object(store, "locks/y", increment)

    assert [o.key for o in store.list()] == ["locks/y", "meta/x", "tmp"]
    assert list((tmp_path / "store" / "tmp").iterdir()) == []


def test_local_store_rejects_a_key_nested_under_an_object(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    store.put("a", b"file")
    store.put("b/c", b"file")

    with pytest.raises(InvalidKeyError, match="'a/b'"):
        store.put("a/b", b"x")
    with pytest.raises(InvalidKeyError, match="'b'"):
        store.put("b", b"x")

    assert [o.key for o in store.list()] == ["a", "b/c"]
    store.delete("b/c")
    store.put("b", b"now a file")  # the emptied folder was pruned
    assert store.get("b").body == b"now a file"


def test_local_put_stream_memory_does_not_grow_with_the_source(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store", fsync=False)
    tracemalloc.start()
    try:
        store.put_stream("huge", PatternSource(48 * MIB))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert store.head("huge").size == 48 * MIB
    assert peak < 8 * MIB


# -- S3 adapter only ---------------------------------------------------------------


def test_s3_list_pages_past_a_thousand_keys(s3_store: S3ObjectStore) -> None:
    # Seeded in moto's backend directly: API puts would cost ~4 ms each.
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    keys = [f"many/{n:05d}" for n in range(1001)]
    for key in keys:
        backend.put_object(s3_store.bucket, key, b"x")
    backend.put_object(s3_store.bucket, "other", b"x")

    assert [o.key for o in s3_store.list("many/")] == keys
    assert sum(1 for _ in s3_store.list()) == 1002


def test_s3_unreachable_endpoint_is_reported_unavailable(aws_env: None) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: connections are refused
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{port}",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1, read_timeout=1),
    )
    store = S3ObjectStore(BUCKET, client=client)

    with pytest.raises(ObjectStoreUnavailableError, match="some/key"):
        store.get("some/key")
    status = store.check()
    assert not status.ok
    assert status.backend == "s3"


def test_uri_names_the_object_for_engines_that_read_the_store_directly(store: ObjectStore) -> None:
    store.put("zone/part-0.parquet", b"data")
    uri = store.uri("zone/part-0.parquet")
    if store.backend == "s3":
        assert uri.startswith("s3://") and uri.endswith("/zone/part-0.parquet")
    else:
        assert Path(uri).read_bytes() == b"data"
    with pytest.raises(InvalidKeyError):
        store.uri("../escape")


def test_delete_all_versions_erases_every_version_of_a_versioned_object(
    store: ObjectStore,
) -> None:
    if store.backend == "s3":
        client = store._client  # type: ignore[attr-defined]
        client.put_bucket_versioning(
            Bucket=store.bucket,  # type: ignore[attr-defined]
            VersioningConfiguration={"Status": "Enabled"},
        )
    for n in range(3):
        store.put("memory/session.json", f"v{n}".encode())
    store.put("memory/session.json.bak", b"neighbour")
    store.delete("memory/session.json", all_versions=True)
    assert not store.exists("memory/session.json")
    assert store.exists("memory/session.json.bak")
    if store.backend == "s3":
        listed = client.list_object_versions(Bucket=store.bucket, Prefix="memory/session.json")
        left = [v["Key"] for v in [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]]
        assert left == ["memory/session.json.bak"]
