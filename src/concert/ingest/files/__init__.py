"""File uploads: CSV, JSON (lines or an array) and XML, validated in bulk with SQL.

:func:`ingest_file` copies the original bytes to the raw zone, streams the
file through the SQL generated from the models and lands accepted rows as
processed Parquet by event date and rejected rows in quarantine with their
reasons; :class:`FileIngestReport` says what happened, row counts always
adding up. The formats are documented in
:mod:`concert.ingest.generator.sample_files`.
"""

from concert.ingest.files.exceptions import (
    DuplicateBatchError,
    DuplicateFileError,
    FileEncodingError,
    FileIngestError,
    UnsafeXmlError,
    UnsupportedFormatError,
    UploadTooLargeError,
)
from concert.ingest.files.formats import FileFormat, infer_format
from concert.ingest.files.ingest import (
    DEFAULT_REPORTED_REJECTIONS,
    FileIngestReport,
    batch_index_key,
    content_index_key,
    ingest_file,
)

__all__ = [
    "DEFAULT_REPORTED_REJECTIONS",
    "DuplicateBatchError",
    "DuplicateFileError",
    "FileEncodingError",
    "FileFormat",
    "FileIngestError",
    "FileIngestReport",
    "UnsafeXmlError",
    "UnsupportedFormatError",
    "UploadTooLargeError",
    "batch_index_key",
    "content_index_key",
    "infer_format",
    "ingest_file",
]
