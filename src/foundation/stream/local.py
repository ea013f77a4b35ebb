"""Local event stream: one durable, checksummed segment file per shard.

Layout under ``root/name/``: ``stream.json`` (format and shard count) and
``shardId-000000000000.log`` per shard. A log is a run of *frames*, one per
shard touched by a ``put_records`` call (more past 10,000 records), then zeros::

    frame  = header body
    header = magic u32 | crc32 u32 | body length u64 | record count u32 | arrival µs i64
    body   = key lengths u16 * n | data lengths u32 * n | keys | data

The CRC covers the header after itself and the body, so a torn write (the
machine died mid-write) fails the check: readers stop there, and the next
writer zeroes it before appending. A record's sequence number is its frame's
byte offset plus one, followed by its index in the frame as four digits: it
sorts as an integer and ``read(after=...)`` seeks straight to the frame.

Writes are group commits: per call and shard touched, one write of the frames
and one ``fdatasync``, under ``flock`` taken in shard order, so threads and
processes can append at once. Two measured choices keep syncs cheap (see
``bench/bench_stream.py``): files grow by extents of written zeros, so a sync
overwrites allocated blocks without a file system journal commit; and every
touched shard's writeback starts before the first sync waits, so the device
takes the shards' data together and the later syncs only flush.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import importlib
import json
import os
import struct
import threading
import time
import uuid
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import accumulate, compress, repeat
from operator import eq
from pathlib import Path
from typing import Any, NamedTuple, cast, overload

from foundation.health import HealthStatus, timed_check
from foundation.stream.base import (
    EventStream,
    PutResult,
    Record,
    StreamRecord,
    check_partition_keys,
    check_read_arguments,
    check_record_sizes,
    check_stream_name,
    record_columns,
)
from foundation.stream.exceptions import (
    InvalidStreamInputError,
    ShardNotFoundError,
    StreamConfigurationError,
    StreamUnavailableError,
)

FORMAT_VERSION = 1
MAX_SHARDS = 1024
MAX_FRAME_RECORDS = 10_000
# A record's index in its frame is the last four digits of its sequence number.
_INDEX_SUFFIXES = [f"{index:04d}" for index in range(MAX_FRAME_RECORDS)]
_MAGIC = 0x474F4C53  # "SLOG" little-endian; its first byte is non-zero, unlike free space
_HEAD = struct.Struct("<II")  # magic, crc32
_TAIL = struct.Struct("<QIq")  # body length, record count, arrival in µs since the epoch
_HEADER_SIZE = _HEAD.size + _TAIL.size
_FREE_HEADER = bytes(_HEADER_SIZE)
# Extents double from 1 MiB to 4 MiB: zeros written ahead stay within 4 MiB of the data.
_MIN_EXTENT = 1024 * 1024
_MAX_EXTENT = 4 * 1024 * 1024
# Zeros go out in 256 KiB writes: single multi-MiB writes into new pages measured 15x slower.
_ZEROS = memoryview(bytes(256 * 1024))
_ROUTE_CACHE_SIZE = 65_536
_MASKED_SHARDS = 4  # up to this many shards in a batch, a pass per shard beats a sort
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_data_sync: Callable[[int], None] = getattr(os, "fdatasync", os.fsync)


def _md5_constructor() -> Callable[..., Any]:
    """CPython's own MD5 where built in: it hashes a short key 2.5x faster than OpenSSL's."""
    try:
        return cast(Callable[..., Any], importlib.import_module("_md5").md5)
    except ImportError:
        return hashlib.md5


_md5 = _md5_constructor()
_SYNC_FILE_RANGE_WRITE = 2


def _writeback_starter() -> Callable[[int, int, int], object]:
    """Linux's ``sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE)``, else a no-op.

    It only starts writing dirty pages; durability still comes from fdatasync.
    """
    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return lambda fd, offset, length: None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    return lambda fd, offset, length: function(fd, offset, length, _SYNC_FILE_RANGE_WRITE)


_start_writeback = _writeback_starter()
# tuple.__new__ builds a named tuple in C; PutResult._make is a Python-level call per record.
_new_put_result = partial(tuple.__new__, PutResult)
_new_stream_record = partial(tuple.__new__, StreamRecord)


def sequence_number(frame_offset: int, index: int) -> str:
    """The sequence number of record ``index`` of the frame at byte ``frame_offset``.

    Decimal digits: the frame's offset plus one (so no number starts with a
    zero), then the index in four digits. Later records get larger integers.
    """
    return f"{frame_offset + 1}{_INDEX_SUFFIXES[index]}"


def frame_position(sequence_number: str) -> tuple[int, int]:
    """The frame offset and index in the frame that a sequence number names."""
    prefix, index = divmod(int(sequence_number), MAX_FRAME_RECORDS)
    return prefix - 1, index


def shard_id_for(index: int) -> str:
    """Kinesis' shard id format, so ids look alike on both adapters."""
    return f"shardId-{index:012d}"


class _Frame(NamedTuple):
    offset: int
    record_count: int
    arrived_us: int
    body: bytes


def _encode_frame(keys: Sequence[str], datas: Sequence[bytes], arrived_us: int) -> bytes:
    count = len(keys)
    key_blob = "".join(keys).encode()
    # ASCII keys, the usual ids, are as long in bytes as in characters: no encoding one by one.
    key_lengths = map(len, keys if key_blob.isascii() else [key.encode() for key in keys])
    body = b"".join(
        (
            struct.pack(f"<{count}H", *key_lengths),
            struct.pack(f"<{count}I", *map(len, datas)),
            key_blob,
            *datas,
        )
    )
    tail = _TAIL.pack(len(body), count, arrived_us)
    return b"".join((_HEAD.pack(_MAGIC, zlib.crc32(body, zlib.crc32(tail))), tail, body))


def _encode_frames(keys: list[str], datas: list[bytes], arrived_us: int) -> list[bytes]:
    return [
        _encode_frame(
            keys[low : low + MAX_FRAME_RECORDS], datas[low : low + MAX_FRAME_RECORDS], arrived_us
        )
        for low in range(0, len(keys), MAX_FRAME_RECORDS)
    ]


def _write_at(fd: int, buffer: bytes | memoryview, offset: int) -> None:
    """Write all of ``buffer`` at ``offset``: one system call unless the disk is full."""
    view = memoryview(buffer)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def _write_zeros(fd: int, start: int, stop: int) -> None:
    for offset in range(start, stop, len(_ZEROS)):
        _write_at(fd, _ZEROS[: stop - offset], offset)


class _ShardLog:
    """One shard's segment file, shared by every thread of this process."""

    def __init__(self, shard_id: str, path: Path) -> None:
        self.shard_id = shard_id
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        # flock belongs to the open file, so threads sharing it need their own lock too.
        self._lock = threading.Lock()
        self._end: int | None = None  # where the next frame goes, once known

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    @contextmanager
    def locked(self, mode: int) -> Iterator[int]:
        """Hold the shard (``fcntl.LOCK_EX`` or ``LOCK_SH``); yields the file's size."""
        with self._lock:
            fcntl.flock(self._fd, mode)
            try:
                yield os.fstat(self._fd).st_size
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def write(self, frames: list[bytes], size: int) -> int:
        """Under the exclusive lock: write frames at the end, not synced; returns their offset."""
        start = self._find_end(size)
        buffer = frames[0] if len(frames) == 1 else b"".join(frames)
        end = stop = start + len(buffer)
        _write_at(self._fd, buffer, start)
        if end > size:
            stop = max(end, size + min(max(size, _MIN_EXTENT), _MAX_EXTENT))
            _write_zeros(self._fd, end, stop)
        _start_writeback(self._fd, start, stop - start)
        self._end = end
        return start

    def sync(self) -> None:
        _data_sync(self._fd)

    def _find_end(self, size: int) -> int:
        """Under the exclusive lock: the offset after the last frame any process wrote.

        Bytes there that are not free space are a torn write; they are zeroed
        up to the end of the file, so stale bytes can never pass for a frame.
        On the first call the whole free space is checked, because a machine
        crash can persist the pages of a write in any order.
        """
        known = self._end
        if known is not None and os.pread(self._fd, _HEADER_SIZE, known) == _FREE_HEADER:
            return known  # the usual case: no other process appended since
        end = 0 if known is None else known
        for frame in self._frames(end, size):
            end = frame.offset + _HEADER_SIZE + len(frame.body)
        if end < size:
            probe = size - end if known is None else _HEADER_SIZE
            if not self._is_free(end, min(probe, size - end)):
                _write_zeros(self._fd, end, size)
                _data_sync(self._fd)
        return end

    def _is_free(self, offset: int, length: int) -> bool:
        """Whether the bytes from ``offset`` on are all zero (free space)."""
        for start in range(offset, offset + length, len(_ZEROS)):
            chunk = os.pread(self._fd, min(len(_ZEROS), offset + length - start), start)
            if chunk != _ZEROS[: len(chunk)]:
                return False
        return True

    def _frames(self, offset: int, size: int) -> Iterator[_Frame]:
        """Valid frames from ``offset`` on; stops at free space or at the first damaged frame."""
        while offset + _HEADER_SIZE <= size:
            header = os.pread(self._fd, _HEADER_SIZE, offset)
            magic, crc = _HEAD.unpack_from(header)
            length, count, arrived_us = _TAIL.unpack_from(header, _HEAD.size)
            if (
                magic != _MAGIC
                or not 0 < count <= MAX_FRAME_RECORDS
                or length > size - offset - _HEADER_SIZE
            ):
                return
            body = os.pread(self._fd, length, offset + _HEADER_SIZE)
            if zlib.crc32(body, zlib.crc32(header[_HEAD.size :])) != crc:
                return
            yield _Frame(offset, count, arrived_us, body)
            offset += _HEADER_SIZE + length

    def read(self, after: str | None, limit: int) -> list[StreamRecord]:
        offset, skip = 0, 0
        if after is not None:
            offset, index = frame_position(after)
            skip = index + 1
        records: list[StreamRecord] = []
        # Shared lock: a frame is only visible once its writer has synced it.
        with self.locked(fcntl.LOCK_SH) as size:
            frames = self._frames(offset, size)
            if after is not None:
                first = next(frames, None) if offset >= 0 else None
                if first is None or skip > first.record_count:
                    raise InvalidStreamInputError(
                        "after",
                        f"shard {self.shard_id!r} has no record with this sequence number",
                        after,
                    )
                frames = _chain_one(first, frames)
            for frame in frames:
                records += self._decode(frame, skip, limit - len(records))
                skip = 0
                if len(records) >= limit:
                    break
        return records

    def _decode(self, frame: _Frame, skip: int, wanted: int) -> list[StreamRecord]:
        """Records ``skip`` to ``skip + wanted`` of a frame, built column by column in C."""
        count, body = frame.record_count, frame.body
        stop = min(count, skip + wanted)
        key_ends = list(accumulate(struct.unpack_from(f"<{count}H", body), initial=6 * count))
        data_ends = list(
            accumulate(struct.unpack_from(f"<{count}I", body, 2 * count), initial=key_ends[-1])
        )
        keys = map(bytes.decode, _slices(body, key_ends, skip, stop))
        # Numbers share their frame's prefix (see sequence_number): concatenation, not formatting.
        numbers = map(f"{frame.offset + 1}".__add__, _INDEX_SUFFIXES[skip:stop])
        arrived_at = _EPOCH + timedelta(microseconds=frame.arrived_us)
        columns = zip(
            repeat(self.shard_id), numbers, keys, _slices(body, data_ends, skip, stop),
            repeat(arrived_at),
        )  # fmt: skip
        return list(map(_new_stream_record, columns))

    def allocated_bytes(self) -> int:
        return os.fstat(self._fd).st_size


def _slices(body: bytes, ends: list[int], start: int, stop: int) -> Iterator[bytes]:
    """Items ``start`` to ``stop`` of a body whose items end at ``ends`` (the first: a start)."""
    return map(body.__getitem__, map(slice, ends[start:stop], ends[start + 1 : stop + 1]))


def _chain_one(first: _Frame, rest: Iterator[_Frame]) -> Iterator[_Frame]:
    yield first
    yield from rest


def _append_all(
    groups: list[tuple[_ShardLog, list[str], list[bytes]]], arrived_us: int
) -> list[list[int]]:
    """Write each shard's records as frames, then sync every shard; returns the frames' offsets.

    Locks are taken in shard order, so writers touching several shards cannot
    deadlock. A shard is encoded only once the previous one's writeback has
    started, and every writeback starts before the first sync waits.
    """
    offsets = []
    with ExitStack() as held:
        for log, keys, datas in groups:
            frames = _encode_frames(keys, datas, arrived_us)
            start = log.write(frames, held.enter_context(log.locked(fcntl.LOCK_EX)))
            offsets.append(list(accumulate(map(len, frames[:-1]), initial=start)))
        for log, _, _ in groups:
            log.sync()
    return offsets


class _PutResults(Sequence[PutResult]):
    """One ``put_records`` call's results in input order, built on first access.

    Most producers only need the call to have returned; building a named tuple
    and a sequence number string per record would cost as much as the rest of
    the call. ``shards`` is each record's shard index (None: all in one shard);
    ``frames`` maps a shard index to its shard id and its frames' offsets.
    """

    def __init__(
        self, size: int, shards: list[int] | None, frames: dict[int, tuple[str, list[int]]]
    ) -> None:
        self._size = size
        self._shards = shards
        self._frames = frames
        self._built: list[PutResult] | None = None

    def _results(self) -> list[PutResult]:
        if self._built is not None:
            return self._built
        built: list[Any] = []
        for shard, (shard_id, frame_offsets) in self._frames.items():
            placed: list[PutResult] = []
            count = self._size if self._shards is None else self._shards.count(shard)
            for low, offset in zip(range(0, count, MAX_FRAME_RECORDS), frame_offsets, strict=True):
                # Numbers share their frame's prefix: string concatenation, not formatting.
                numbers = map(f"{offset + 1}".__add__, _INDEX_SUFFIXES[: count - low])
                placed += map(_new_put_result, zip(repeat(shard_id), numbers))
            if self._shards is None:
                built = placed
                continue
            built = built or [None] * self._size
            positions = compress(range(self._size), map(eq, self._shards, repeat(shard)))
            # Scatter back to input order; deque(maxlen=0) runs the map in C.
            deque(map(built.__setitem__, positions, placed), maxlen=0)
        self._built = built
        return built

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, index: int) -> PutResult: ...

    @overload
    def __getitem__(self, index: slice) -> list[PutResult]: ...

    def __getitem__(self, index: int | slice) -> PutResult | list[PutResult]:
        return self._results()[index]

    def __iter__(self) -> Iterator[PutResult]:
        return iter(self._results())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and self._results() == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._results())


class _ShardRouter:
    """Kinesis' key-to-shard mapping, remembering recent keys: MD5 is the write path's hot spot.

    Only keys that passed validation are remembered, so a batch of known keys
    needs no key checks either.
    """

    def __init__(self, shard_count: int) -> None:
        self._step = (1 << 128) // shard_count
        self._last = shard_count - 1
        self._known: dict[str, int] = {}

    def shard_index(self, key: str) -> int:
        digest = _md5(key.encode(), usedforsecurity=False).digest()
        return min(int.from_bytes(digest) // self._step, self._last)

    def route(self, keys: list[str]) -> list[int]:
        """Each key's shard index; raises InvalidStreamInputError for a bad key."""
        known = self._known
        shards = list(map(known.get, keys))
        if None not in shards:
            return cast(list[int], shards)
        check_partition_keys(keys)
        missing = set(keys).difference(known)
        if len(known) + len(missing) > _ROUTE_CACHE_SIZE:
            # A new dict rather than clear(): other threads may still be reading the old one.
            known = self._known = {}
            missing = set(keys)
        known.update({key: self.shard_index(key) for key in missing})
        return list(map(known.__getitem__, keys))


def _group_by_shard(
    shards: list[int], keys: list[str], datas: list[bytes]
) -> list[tuple[int, list[str], list[bytes]]]:
    """Each shard's keys and data, in input order, for the shards the batch touches."""
    present = sorted(set(shards))
    if len(present) <= _MASKED_SHARDS:
        masks = (list(map(eq, shards, repeat(shard))) for shard in present)
        return [
            (shard, list(compress(keys, mask)), list(compress(datas, mask)))
            for shard, mask in zip(present, masks, strict=True)
        ]
    # Many shards: one stable sort beats a pass per shard.
    order = sorted(range(len(shards)), key=shards.__getitem__)
    counts = Counter(shards)
    groups = []
    low = 0
    for shard in present:
        picked = order[low : low + counts[shard]]
        low += counts[shard]
        groups.append(
            (shard, list(map(keys.__getitem__, picked)), list(map(datas.__getitem__, picked)))
        )
    return groups


class LocalEventStream(EventStream):
    """An :class:`EventStream` kept in segment files under ``root/name``."""

    backend = "local-log"

    def __init__(self, root: Path, name: str, shard_count: int = 2) -> None:
        if (
            isinstance(shard_count, bool)
            or not isinstance(shard_count, int)
            or not 0 < shard_count <= MAX_SHARDS
        ):
            raise InvalidStreamInputError(
                "shard_count", f"must be an int in 1..{MAX_SHARDS}", shard_count
            )
        self.name = check_stream_name(name)
        self.directory = Path(root) / name
        self.shard_count = shard_count
        self._open_metadata()
        self._logs = [
            _ShardLog(shard_id_for(index), self.directory / f"{shard_id_for(index)}.log")
            for index in range(shard_count)
        ]
        _sync_directory(self.directory)
        self._by_id = {log.shard_id: log for log in self._logs}
        self._router = _ShardRouter(shard_count)

    def _open_metadata(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / "stream.json"
        if not path.exists():
            # Write aside, then link: concurrent creators never see a partial file.
            draft = self.directory / f".stream.json.{uuid.uuid4().hex}"
            with draft.open("w", encoding="utf-8") as handle:
                json.dump({"format": FORMAT_VERSION, "shard_count": self.shard_count}, handle)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        stored: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if stored.get("format") != FORMAT_VERSION:
            raise StreamConfigurationError(f"{path}: unknown format {stored.get('format')!r}")
        if stored.get("shard_count") != self.shard_count:
            raise StreamConfigurationError(
                f"shard_count: stream {self.name!r} in {self.directory} has "
                f"{stored.get('shard_count')} shards, opened with {self.shard_count}"
            )

    def put_records(self, records: Sequence[Record]) -> Sequence[PutResult]:
        keys, datas = record_columns(records)
        if not keys:
            return []
        shards = self._router.route(keys)
        check_record_sizes(keys, datas)
        arrived_us = time.time_ns() // 1000
        if len(self._logs) == 1:
            groups = [(0, keys, datas)]
        else:
            groups = _group_by_shard(shards, keys, datas)
        try:
            offsets = _append_all(
                [(self._logs[shard], keys_, datas_) for shard, keys_, datas_ in groups], arrived_us
            )
        except OSError as exc:
            raise StreamUnavailableError(f"stream {self.name!r}: {exc}") from exc
        return _PutResults(
            len(keys),
            None if len(groups) == 1 else shards,
            {
                shard: (self._logs[shard].shard_id, frame_offsets)
                for (shard, _, _), frame_offsets in zip(groups, offsets, strict=True)
            },
        )

    def shard_ids(self) -> list[str]:
        return list(self._by_id)

    def read(
        self, shard_id: str, *, after: str | None = None, limit: int = 1000
    ) -> list[StreamRecord]:
        check_read_arguments(after, limit)
        log = self._by_id.get(shard_id)
        if log is None:
            raise ShardNotFoundError(self.name, shard_id)
        try:
            return log.read(after, limit)
        except OSError as exc:
            raise StreamUnavailableError(f"stream {self.name!r}: {exc}") from exc

    def check(self) -> HealthStatus:
        def probe() -> str:
            stored = json.loads((self.directory / "stream.json").read_text(encoding="utf-8"))
            allocated = sum(log.allocated_bytes() for log in self._logs)
            return (
                f"{stored['shard_count']} shards, {allocated:,} bytes allocated in {self.directory}"
            )

        return timed_check(self.name, self.backend, probe)

    def close(self) -> None:
        for log in self._logs:
            log.close()


def _sync_directory(directory: Path) -> None:
    """Make created files' directory entries durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = [
    "MAX_FRAME_RECORDS",
    "LocalEventStream",
    "frame_position",
    "sequence_number",
    "shard_id_for",
]
