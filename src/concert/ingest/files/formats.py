"""Upload formats, told apart by explicit choice, content type, file name or first bytes."""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePosixPath

from concert.ingest.files.exceptions import UnsupportedFormatError


class FileFormat(StrEnum):
    CSV = "csv"
    JSON = "json"  # newline-delimited objects or one top-level array
    XML = "xml"


CONTENT_TYPES: dict[str, FileFormat] = {
    "text/csv": FileFormat.CSV,
    "application/csv": FileFormat.CSV,
    "application/json": FileFormat.JSON,
    "application/x-ndjson": FileFormat.JSON,
    "application/jsonl": FileFormat.JSON,
    "application/json-lines": FileFormat.JSON,
    "application/xml": FileFormat.XML,
    "text/xml": FileFormat.XML,
}
SUFFIXES: dict[str, FileFormat] = {
    ".csv": FileFormat.CSV,
    ".json": FileFormat.JSON,
    ".jsonl": FileFormat.JSON,
    ".ndjson": FileFormat.JSON,
    ".xml": FileFormat.XML,
}
MEDIA_TYPES: dict[FileFormat, str] = {
    FileFormat.CSV: "text/csv",
    FileFormat.JSON: "application/x-ndjson",
    FileFormat.XML: "application/xml",
}
_GENERIC_TYPES = {"application/octet-stream", "text/plain", "multipart/form-data", ""}


def infer_format(
    file_format: str | None = None,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    head: bytes = b"",
) -> FileFormat:
    """The format: given, else from the content type, the file name, then the first bytes."""
    if file_format:
        try:
            return FileFormat(file_format.lower())
        except ValueError:
            raise UnsupportedFormatError(
                f"file_format {file_format!r} is not one of csv, json, xml", field="file_format"
            ) from None
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in CONTENT_TYPES:
        return CONTENT_TYPES[media]
    suffix = PurePosixPath(filename or "").suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    sniffed = _sniff(head)
    if sniffed is None or media not in _GENERIC_TYPES:
        raise UnsupportedFormatError(
            f"cannot tell the file format from content type {content_type!r} or name "
            f"{filename!r}; send text/csv, application/json, application/x-ndjson or "
            "application/xml, or name the file .csv, .json, .jsonl or .xml",
            field="file_format",
        )
    return sniffed


def _sniff(head: bytes) -> FileFormat | None:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        return None
    if text[:1] == b"<":
        return FileFormat.XML
    if text[:1] in (b"{", b"["):
        return FileFormat.JSON
    return FileFormat.CSV if b"," in text.split(b"\n", 1)[0] else None


__all__ = ["CONTENT_TYPES", "MEDIA_TYPES", "SUFFIXES", "FileFormat", "infer_format"]
