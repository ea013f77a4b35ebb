"""Errors of file ingestion; each names what is wrong and where."""

from __future__ import annotations

from foundation.errors import BadRequestError, ConflictError, PayloadTooLargeError


class FileIngestError(BadRequestError):
    """A file that cannot be ingested at all (as opposed to rows that are rejected)."""


class UnsupportedFormatError(FileIngestError):
    """The format is neither given nor recognisable from the name, content type or content."""


class FileEncodingError(FileIngestError):
    """The bytes are not UTF-8 (and no byte order mark says which encoding they are)."""

    def __init__(self, detail: str, *, offset: int, line: int) -> None:
        super().__init__(detail, offset=offset, line=line)
        self.offset = offset
        self.line = line


class UnsafeXmlError(FileIngestError):
    """An XML document with a DTD, entities or external references: refused unread."""


class DuplicateBatchError(ConflictError):
    """A batch with this id was already ingested for the entity."""


class DuplicateFileError(ConflictError):
    """This exact file (same SHA-256) was already ingested, as the batch it names."""

    def __init__(self, detail: str, *, batch_id: str, sha256: str) -> None:
        super().__init__(detail, batch_id=batch_id, sha256=sha256)
        self.batch_id = batch_id
        self.sha256 = sha256


class UploadTooLargeError(PayloadTooLargeError):
    """The upload is larger than ``ConcertSettings.max_upload_bytes``."""


__all__ = [
    "DuplicateBatchError",
    "DuplicateFileError",
    "FileEncodingError",
    "FileIngestError",
    "UnsafeXmlError",
    "UnsupportedFormatError",
    "UploadTooLargeError",
]
