"""The object store port: values, the abstract store, and the rules for keys.

Every adapter validates keys, prefixes and attributes with the functions here,
so a key that works on one adapter works on every other one.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, ClassVar, Protocol

from foundation.health import HealthStatus
from foundation.objectstore.exceptions import (
    InvalidKeyError,
    InvalidMetadataError,
    ObjectNotFoundError,
)

DEFAULT_CONTENT_TYPE = "application/octet-stream"
MAX_KEY_BYTES = 1024
# A key segment becomes a file name in the local adapter; most file systems stop at 255 bytes.
MAX_SEGMENT_BYTES = 255
# S3 limit: the UTF-8 bytes of every user metadata name and value, added up.
MAX_METADATA_BYTES = 2048

_HEADER_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")


class ReadableStream(Protocol):
    """What ``put_stream`` reads: files, raw streams, HTTP bodies. A read that
    returns nothing (b"" or None) ends the stream."""

    def read(self, size: int, /) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class ObjectSummary:
    """What a listing tells about an object (S3 lists no content type nor metadata)."""

    key: str
    size: int
    etag: str
    last_modified: datetime  # always timezone-aware UTC


@dataclass(frozen=True, slots=True)
class ObjectInfo(ObjectSummary):
    """Everything stored about an object except its body."""

    content_type: str
    metadata: dict[str, str]


@dataclass(frozen=True, slots=True)
class StoredObject:
    """An object's body together with the info that describes exactly that body."""

    info: ObjectInfo
    body: bytes


class ObjectStore(ABC):
    """Keyed blobs with atomic whole-object writes and conditional puts.

    Etags are plain strings without quotes; pass one back as ``if_match`` to
    write only if nobody changed the object since it was read (see
    :func:`foundation.objectstore.concurrency.update_object`). Every method
    raises :class:`InvalidKeyError` for a key that breaks :func:`validate_key`.
    """

    backend: ClassVar[str]

    @abstractmethod
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
        """Store ``data`` under ``key``, replacing any object there atomically.

        ``if_none_match=True`` writes only if the key is absent; ``if_match``
        writes only if the current etag equals it. A failed condition raises
        :class:`PreconditionFailedError` and changes nothing; ``if_match`` on
        a missing key raises it too (S3 answers 404 there), so a caller has one
        error to retry on. Metadata names are lower-cased, as S3 does.
        """

    @abstractmethod
    def put_stream(
        self,
        key: str,
        source: ReadableStream,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
        if_none_match: bool = False,
    ) -> ObjectInfo:
        """Like :meth:`put`, reading ``source`` to its end in bounded chunks.

        Memory use does not grow with the size of the source, which need not
        be seekable. The object appears whole or not at all.
        """

    @abstractmethod
    def get(self, key: str) -> StoredObject:
        """The body and the info of exactly that body; :class:`ObjectNotFoundError`
        if the key is absent."""

    @abstractmethod
    def open(self, key: str) -> AbstractContextManager[BinaryIO]:
        """A context manager yielding a readable stream of the body, for objects
        too big to hold in memory; :class:`ObjectNotFoundError` if absent."""

    @abstractmethod
    def head(self, key: str) -> ObjectInfo:
        """The info of the object, without reading its body."""

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        try:
            self.head(key)
        except ObjectNotFoundError:
            return False
        return True

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[ObjectSummary]:
        """Every object whose key starts with ``prefix``, in ascending key order
        (UTF-8 byte order, as S3 lists). Pages are fetched as the caller iterates."""

    @abstractmethod
    def delete(self, key: str, *, all_versions: bool = False) -> None:
        """Remove the object; deleting an absent key succeeds.

        In a versioned bucket a plain delete only hides the object behind a delete
        marker; ``all_versions=True`` erases every version too (a right to be
        forgotten). Stores without versions treat both the same.
        """

    @abstractmethod
    def check(self) -> HealthStatus:
        """Probe the backing store cheaply."""

    @abstractmethod
    def uri(self, key: str) -> str:
        """Where engines that read the store directly find ``key``.

        An ``s3://bucket/key`` URI for S3 (what Redshift COPY and Glue read), an
        absolute file path for the local store (what DuckDB reads).
        """


def _shown(text: str) -> str:
    """The key as quoted in an error message, shortened so a huge key stays readable."""
    return repr(text) if len(text) <= 80 else repr(text[:77]) + "..."


def _text_problem(text: str) -> str | None:
    if not text:
        return "must not be empty"
    if "\x00" in text or "\\" in text:
        return "must not contain NUL or backslash"
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return "must be valid Unicode (no lone surrogates)"
    if size > MAX_KEY_BYTES:
        return f"must be at most {MAX_KEY_BYTES} bytes in UTF-8, got {size}"
    if text.startswith("/"):
        return "must not start with '/'"
    return None


def _segments_problem(segments: Iterable[str]) -> str | None:
    for segment in segments:
        if segment in ("", ".", ".."):
            return "must not contain empty, '.' or '..' segments"
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            return f"segments between '/' must be at most {MAX_SEGMENT_BYTES} bytes"
    return None


def validate_key(key: str) -> str:
    """Return ``key`` if it is a valid object key, else raise :class:`InvalidKeyError`.

    Valid: non-empty, at most 1024 bytes of UTF-8, no leading '/', no empty,
    '.' or '..' segments, no backslash nor NUL, segments of at most 255 bytes.
    The local adapter relies on this to keep every path inside its root.
    """
    if not isinstance(key, str):
        problem: str | None = "must be a string"
    else:
        problem = _text_problem(key) or _segments_problem(key.split("/"))
    if problem is not None:
        raise InvalidKeyError(f"Invalid object key {_shown(str(key))}: {problem}", key=key)
    return key


def validate_prefix(prefix: str) -> str:
    """Return ``prefix`` if it can start a valid key, else raise :class:`InvalidKeyError`.

    The part after the last '/' is a plain string match ("raw/2024-" is fine);
    the folders before it follow the key rules.
    """
    if not prefix:
        return prefix
    folders, slash, _ = prefix.rpartition("/")
    problem = _text_problem(prefix) or (_segments_problem(folders.split("/")) if slash else None)
    if problem is not None:
        raise InvalidKeyError(f"Invalid key prefix {_shown(prefix)}: {problem}", key=prefix)
    return prefix


def validate_attributes(content_type: str, metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Check the content type and metadata, returning metadata with lower-case names.

    Names must be HTTP header tokens and values printable ASCII without outer
    spaces, because S3 sends both as headers and would reject or alter others.
    """
    if not content_type or not _PRINTABLE_ASCII.fullmatch(content_type):
        raise InvalidMetadataError(
            f"Invalid content type {_shown(content_type)}: must be non-empty printable ASCII",
            field="content_type",
        )
    normalized: dict[str, str] = {}
    for name, value in (metadata or {}).items():
        lowered = name.lower()
        if not _HEADER_TOKEN.fullmatch(name):
            problem = "names must be HTTP header tokens (letters, digits, -_.)"
        elif not isinstance(value, str) or not _PRINTABLE_ASCII.fullmatch(value):
            problem = "values must be printable ASCII strings"
        elif value != value.strip():
            problem = "values must not start or end with spaces"
        elif lowered in normalized:
            problem = "names must be unique ignoring case"
        else:
            normalized[lowered] = value
            continue
        raise InvalidMetadataError(f"Invalid metadata {_shown(name)}: {problem}", field=name)
    size = sum(len(name) + len(value) for name, value in normalized.items())
    if size > MAX_METADATA_BYTES:
        raise InvalidMetadataError(
            f"Invalid metadata: {size} bytes of names and values, at most {MAX_METADATA_BYTES}",
            field="metadata",
        )
    return normalized


__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "MAX_KEY_BYTES",
    "MAX_METADATA_BYTES",
    "MAX_SEGMENT_BYTES",
    "ObjectInfo",
    "ObjectStore",
    "ObjectSummary",
    "ReadableStream",
    "StoredObject",
    "validate_attributes",
    "validate_key",
    "validate_prefix",
]
