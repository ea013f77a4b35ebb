"""Object store in a local directory: atomic renames, sidecar info, file locks.

Layout under ``root``::

    objects/<key>   the bodies, plain files (other tools may read them)
    meta/<key>      JSON sidecar per object: etag, size, content type, metadata
    locks/<00..ff>  lock files; a key's lock is picked by a hash of the key
    tmp/            files being written, renamed into place when complete; what a
                    crashed writer left there is removed after a day

The sidecar is the record that an object exists: it appears after the body on
write and goes before it on delete. Writers of a key hold an exclusive
``flock`` on its lock for the check-and-rename; readers hold it shared while
they open the sidecar and the body, so across threads and processes a reader
never pairs a body with another version's etag.

A key cannot also be the folder of other keys here ("a" and "a/b"): the second
write raises :class:`InvalidKeyError`, where S3 would accept both.

The etag of a ``put`` is the MD5 of the body, as S3's. A streamed object gets a
fresh random tag instead: S3's etag of a multipart upload is no MD5 of the body
either, and hashing a large stream costs more CPU than writing it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from foundation.health import HealthStatus, timed_check
from foundation.objectstore.base import (
    DEFAULT_CONTENT_TYPE,
    ObjectInfo,
    ObjectStore,
    ObjectSummary,
    ReadableStream,
    StoredObject,
    validate_attributes,
    validate_key,
    validate_prefix,
)
from foundation.objectstore.exceptions import (
    InvalidKeyError,
    ObjectNotFoundError,
    ObjectStoreError,
    PreconditionFailedError,
)

_CHUNK_BYTES = 1024 * 1024
_LOCK_STRIPES = 256
# A concurrent delete may remove an empty parent folder between mkdir and rename.
_PLACE_ATTEMPTS = 8
# No write lasts a day (a 2 GB upload takes minutes); older temp files were left by a crash.
STALE_TMP_SECONDS = 24 * 3600


class LocalObjectStore(ObjectStore):
    """The embedded adapter; ``fsync=False`` trades crash durability for speed."""

    backend: ClassVar[str] = "local"

    def __init__(self, root: Path | str, *, fsync: bool = True) -> None:
        self.root = Path(root)
        self._objects = self.root / "objects"
        self._meta = self.root / "meta"
        self._locks = self.root / "locks"
        self._tmp = self.root / "tmp"
        self._fsync = fsync
        for folder in (self._objects, self._meta, self._locks, self._tmp):
            folder.mkdir(parents=True, exist_ok=True)
        self._sweep_stale_tmp()

    def _sweep_stale_tmp(self) -> None:
        """Remove temp files a crashed writer left behind (never one still being written)."""
        cutoff = time.time() - STALE_TMP_SECONDS
        for leftover in self._tmp.iterdir():
            with suppress(OSError):  # another process may sweep or finish it first
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()

    # -- writes ---------------------------------------------------------------

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> ObjectInfo:
        return self._write(
            key,
            [data],
            content_type,
            metadata,
            if_match=if_match,
            if_none_match=if_none_match,
            hashed=True,
        )

    def put_stream(
        self,
        key: str,
        source: ReadableStream,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
        if_none_match: bool = False,
    ) -> ObjectInfo:
        chunks = iter(lambda: source.read(_CHUNK_BYTES) or b"", b"")
        return self._write(
            key, chunks, content_type, metadata, if_none_match=if_none_match, hashed=False
        )

    def _write(
        self,
        key: str,
        chunks: Iterable[bytes],
        content_type: str,
        metadata: Mapping[str, str] | None,
        *,
        if_match: str | None = None,
        if_none_match: bool,
        hashed: bool,
    ) -> ObjectInfo:
        body_path, meta_path = self._paths(key)
        user_metadata = validate_attributes(content_type, metadata)
        # Both files are written before taking the lock, so it is held only to rename.
        body_tmp, size, etag = self._spool(chunks, hashed=hashed)
        meta_tmp: Path | None = None
        try:
            info = ObjectInfo(
                key=key,
                size=size,
                etag=etag,
                last_modified=datetime.now(UTC),
                content_type=content_type,
                metadata=user_metadata,
            )
            meta_tmp, _, _ = self._spool([json.dumps(_info_to_json(info)).encode()], hashed=False)
            with self._locked(key, exclusive=True):
                _check_preconditions(key, _read_info(meta_path), if_match, if_none_match)
                self._place(key, body_tmp, body_path)
                self._place(key, meta_tmp, meta_path)
        finally:
            for leftover in (body_tmp, meta_tmp):
                if leftover is not None:
                    leftover.unlink(missing_ok=True)
        return info

    def _spool(self, chunks: Iterable[bytes], *, hashed: bool) -> tuple[Path, int, str]:
        """Write chunks to a new temp file; return its path, size and etag (the MD5 hex
        when ``hashed``, else a random tag)."""
        digest = hashlib.md5(usedforsecurity=False) if hashed else None
        size = 0
        fd, name = tempfile.mkstemp(dir=self._tmp)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    if digest is not None:
                        digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                if self._fsync:
                    out.flush()
                    os.fsync(out.fileno())
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        return Path(name), size, digest.hexdigest() if digest is not None else uuid.uuid4().hex

    def _place(self, key: str, source: Path, target: Path) -> None:
        for _ in range(_PLACE_ATTEMPTS):
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                source.replace(target)
            except FileNotFoundError:
                continue
            except (FileExistsError, NotADirectoryError, IsADirectoryError) as exc:
                raise InvalidKeyError(
                    f"Key {key!r} cannot be stored in the local store: it would nest under "
                    "another object, or other objects nest under it",
                    key=key,
                ) from exc
            return
        raise ObjectStoreError(f"Could not create the folder for key {key!r}", key=key)

    def delete(self, key: str, *, all_versions: bool = False) -> None:
        # The local store keeps no versions: one delete erases the object.
        body_path, meta_path = self._paths(key)
        with self._locked(key, exclusive=True):
            for path, tree in ((meta_path, self._meta), (body_path, self._objects)):
                with suppress(FileNotFoundError, NotADirectoryError):
                    path.unlink()
                _prune_empty_folders(path.parent, tree)

    # -- reads ----------------------------------------------------------------

    def get(self, key: str) -> StoredObject:
        info, body = self._open_version(key)
        with body:
            return StoredObject(info=info, body=body.read())

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        _, body = self._open_version(key)
        with body:
            yield body

    def _open_version(self, key: str) -> tuple[ObjectInfo, BinaryIO]:
        body_path, meta_path = self._paths(key)
        with self._locked(key, exclusive=False):
            info = _read_info(meta_path)
            try:
                # Writers rename new files into place, so this open file keeps
                # showing the body that matches ``info`` after the lock is released.
                body = body_path.open("rb") if info is not None else None
            except (FileNotFoundError, NotADirectoryError):
                body = None
        if info is None or body is None:
            raise ObjectNotFoundError(f"No object with key {key!r}", key=key)
        return info, body

    def head(self, key: str) -> ObjectInfo:
        _, meta_path = self._paths(key)
        info = _read_info(meta_path)
        if info is None:
            raise ObjectNotFoundError(f"No object with key {key!r}", key=key)
        return info

    def list(self, prefix: str = "") -> Iterator[ObjectSummary]:
        validate_prefix(prefix)
        folder = prefix.rpartition("/")[0]
        start = self._meta / folder if folder else self._meta
        return self._walk(start, f"{folder}/" if folder else "", prefix)

    def _walk(self, folder: Path, folder_key: str, prefix: str) -> Iterator[ObjectSummary]:
        """Sidecars under ``folder`` in global key order, descending lazily."""
        try:
            with os.scandir(folder) as scan:
                entries = [
                    (folder_key + entry.name + ("/" if entry.is_dir() else ""), entry.path)
                    for entry in scan
                ]
        except (FileNotFoundError, NotADirectoryError):
            return
        # A folder sorts as "name/", so "a-b" < "a/x" < "a0" exactly as S3 orders keys.
        for name, path in sorted(entries):
            if name.endswith("/"):
                if name.startswith(prefix) or prefix.startswith(name):
                    yield from self._walk(Path(path), name, prefix)
            elif name.startswith(prefix):
                info = _read_info(Path(path))
                if info is not None:
                    yield ObjectSummary(info.key, info.size, info.etag, info.last_modified)

    def check(self) -> HealthStatus:
        def probe() -> str:
            path, _, _ = self._spool([b"ok"], hashed=False)
            path.unlink()
            return f"writable: {self.root}"

        return timed_check("objectstore", self.backend, probe)

    def uri(self, key: str) -> str:
        return str(self._paths(key)[0].resolve())

    # -- helpers --------------------------------------------------------------

    def _paths(self, key: str) -> tuple[Path, Path]:
        """Body and sidecar paths; validation keeps both inside the root."""
        validate_key(key)
        return self._objects / key, self._meta / key

    @contextmanager
    def _locked(self, key: str, *, exclusive: bool) -> Iterator[None]:
        stripe = zlib.crc32(key.encode("utf-8")) % _LOCK_STRIPES
        # A new open file per call: flock excludes other threads only through
        # separate open file descriptions.
        fd = os.open(self._locks / f"{stripe:02x}", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def _check_preconditions(
    key: str, current: ObjectInfo | None, if_match: str | None, if_none_match: bool
) -> None:
    if if_none_match and current is not None:
        raise PreconditionFailedError(
            f"Object {key!r} already exists (if_none_match)", key=key, etag=current.etag
        )
    if if_match is not None and (current is None or current.etag != if_match):
        found = "it is missing" if current is None else f"it is {current.etag!r}"
        raise PreconditionFailedError(
            f"Object {key!r} etag is not {if_match!r}: {found}", key=key, expected=if_match
        )


def _read_info(path: Path) -> ObjectInfo | None:
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    return _info_from_json(json.loads(raw))


def _info_to_json(info: ObjectInfo) -> dict[str, Any]:
    return {
        "key": info.key,
        "size": info.size,
        "etag": info.etag,
        "last_modified": info.last_modified.isoformat(),
        "content_type": info.content_type,
        "metadata": info.metadata,
    }


def _info_from_json(data: dict[str, Any]) -> ObjectInfo:
    return ObjectInfo(
        key=data["key"],
        size=data["size"],
        etag=data["etag"],
        last_modified=datetime.fromisoformat(data["last_modified"]),
        content_type=data["content_type"],
        metadata=data["metadata"],
    )


def _prune_empty_folders(folder: Path, top: Path) -> None:
    while folder != top:
        try:
            folder.rmdir()
        except OSError:
            return  # not empty, or already gone
        folder = folder.parent


__all__ = ["LocalObjectStore"]
