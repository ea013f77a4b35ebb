"""File ingestion: raw copy first, then streaming parse, SQL validation and landing.

``ingest_file`` stores the original bytes in the raw zone (streamed, with
if-none-match), parses the file without loading it whole, validates every row
with the SQL generated from the models and lands accepted rows as processed
Parquet by event month, rejected rows in quarantine with their reasons, and a
manifest per batch in each zone. Hashing the file, claiming it and the raw
copy run beside the parse; nothing is written to the processed zone before the
raw bytes are durable, and a refused claim is the error reported.

Every path keeps ``rows_accepted + rows_rejected == rows_read``. A batch id is
claimed once per entity (``raw/_batches/...``) and a file's SHA-256 once per
entity (``raw/_content/...``), so re-ingesting a batch or the very same file is
a conflict that names the batch that has it. Both index objects sit under an
underscore prefix, which Hive-style readers of ``raw/`` skip.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from concert.domain.models import EntitySpec, entity_spec
from concert.ingest.files.encoding import Utf8Checker, transcode_to_utf8, transcoding_needed
from concert.ingest.files.exceptions import (
    DuplicateBatchError,
    DuplicateFileError,
    FileIngestError,
)
from concert.ingest.files.formats import MEDIA_TYPES, FileFormat, infer_format
from concert.ingest.files.sources import (
    ParsedSource,
    csv_header,
    csv_source,
    csv_source_with_rejects,
    is_csv_error,
    json_array_to_lines,
    ndjson_source,
    xml_to_lines,
)
from concert.lake import (
    BatchManifest,
    ManifestFile,
    Zone,
    manifest_key,
    new_batch_id,
    quarantine_key,
    raw_key,
    split_by_month,
)
from concert.validation.engine import (
    Lineage,
    Rejection,
    ValidationResult,
    connect,
    iter_validated,
    rejections_of,
)
from concert.validation.landing import (
    LandedObject,
    MonthlyLander,
    ProgressCallback,
    jsonl_bytes,
    put_once,
    write_once,
    write_processed_manifests,
)
from foundation.objectstore import ObjectInfo, ObjectStore, PreconditionFailedError, ReadableStream

DEFAULT_REPORTED_REJECTIONS = 100
_VALIDATED_PIECE_ROWS = 100_000
_CHUNK = 1024 * 1024
_HEAD_BYTES = 4096


@dataclass(frozen=True, slots=True)
class FileIngestReport:
    """What ingesting one file did; ``rejections`` are the first ones, the quarantine has all."""

    batch_id: str
    entity: str
    source: str
    file_format: str
    sha256: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rejections: list[Rejection]
    raw_key: str
    raw_manifest_key: str
    quarantine_key: str | None
    processed_keys: list[str] = field(default_factory=list)
    processed_manifest_keys: list[str] = field(default_factory=list)


def batch_index_key(entity: str, batch_id: str) -> str:
    return f"raw/_batches/{entity}/{batch_id}.json"


def content_index_key(entity: str, sha256: str) -> str:
    return f"raw/_content/{entity}/{sha256}.json"


# -- local copy and raw copy -------------------------------------------------------------------


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _local_file(data: Path | str | ReadableStream, work: Path) -> tuple[Path, str | None]:
    """A local file with the data and, for a stream (spooled to ``work``), its SHA-256;
    a file given by path is hashed later, beside the parse."""
    if isinstance(data, str | Path):
        path = Path(data)
        if not path.is_file():
            raise FileIngestError(f"no file at {str(path)!r}", field="path")
        return path, None
    digest = hashlib.sha256()
    path = work / "upload"
    with path.open("wb") as out:
        while chunk := data.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return path, digest.hexdigest()


class _ProgressReader:
    """Feeds the bytes that ``put_stream`` reads to the UTF-8 check and the progress bar."""

    def __init__(
        self,
        handle: BinaryIO,
        checker: Utf8Checker | None,
        progress: ProgressCallback | None,
        total: int,
    ) -> None:
        self._handle = handle
        self._checker = checker
        self._progress = progress
        self._total = total
        self._done = 0

    def read(self, size: int, /) -> bytes:
        chunk = self._handle.read(size)
        if self._checker is not None:
            self._checker.feed(chunk, final=not chunk)
        self._done += len(chunk)
        if self._progress is not None:
            self._progress("raw", self._done, self._total)
        return chunk


def _copy_raw(
    path: Path,
    store: ObjectStore,
    key: str,
    *,
    content_type: str,
    checker: Utf8Checker | None,
    progress: ProgressCallback | None,
) -> ObjectInfo:
    with path.open("rb") as handle:
        reader = _ProgressReader(handle, checker, progress, path.stat().st_size)
        try:
            return store.put_stream(key, reader, content_type=content_type, if_none_match=True)
        except PreconditionFailedError:
            raise DuplicateBatchError(f"the raw file {key!r} already exists", key=key) from None


# -- claims ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Claims:
    """The batch id and the file's content, each claimed once per entity."""

    store: ObjectStore
    entity: str
    batch_id: str
    sha256: str

    def take(self, raw: str) -> None:
        record = json.dumps({"batch_id": self.batch_id, "sha256": self.sha256, "raw_key": raw})
        try:
            self.store.put(
                batch_index_key(self.entity, self.batch_id),
                record.encode(),
                content_type="application/json",
                if_none_match=True,
            )
        except PreconditionFailedError:
            raise DuplicateBatchError(
                f"batch {self.batch_id!r} of {self.entity} was already ingested; "
                "use a new batch id",
                batch_id=self.batch_id,
            ) from None
        try:
            self.store.put(
                content_index_key(self.entity, self.sha256),
                record.encode(),
                content_type="application/json",
                if_none_match=True,
            )
        except PreconditionFailedError:
            self.store.delete(batch_index_key(self.entity, self.batch_id))
            existing = json.loads(self.store.get(content_index_key(self.entity, self.sha256)).body)
            raise DuplicateFileError(
                f"this exact file (sha256 {self.sha256}) was already ingested as batch "
                f"{existing['batch_id']!r} of {self.entity}",
                batch_id=str(existing["batch_id"]),
                sha256=self.sha256,
            ) from None

    def release_content(self) -> None:
        """After a failure: the same bytes may be sent again (the batch id stays used)."""
        with suppress(Exception):
            self.store.delete(content_index_key(self.entity, self.sha256))


@dataclass
class _RawCopy:
    """Hashes the file, claims its batch id and content, then copies it to the raw zone.

    It runs beside the parse, which writes nothing before the raw bytes are durable
    (:meth:`_Landing.wait_for_raw`); a refused claim (a duplicate) is the error that counts.
    """

    store: ObjectStore
    spec: EntitySpec
    batch_id: str
    key: str
    path: Path
    sha256: str | None  # known when an upload was hashed while it was spooled
    content_type: str
    checker: Utf8Checker | None
    progress: ProgressCallback | None
    claims: _Claims | None = None

    def run(self) -> ObjectInfo:
        self.sha256 = self.sha256 or _hash_file(self.path)
        claims = _Claims(self.store, self.spec.name, self.batch_id, self.sha256)
        claims.take(self.key)
        self.claims = claims
        return _copy_raw(
            self.path, self.store, self.key, content_type=self.content_type,
            checker=self.checker, progress=self.progress,
        )  # fmt: skip

    def after_failure(
        self, copied: Future[ObjectInfo], error: BaseException, batch: _Batch
    ) -> None:
        """Once the parse failed: a refused claim wins; otherwise the content may be sent
        again and the raw manifest says why nothing was read."""
        refused = copied.exception()
        if self.claims is None:
            if refused is not None and refused is not error:
                raise refused from None
            return
        self.claims.release_content()
        _record_failure(self.store, copied, batch, error)


# -- parsing -------------------------------------------------------------------------------------


@dataclass
class _Landing:
    """Accumulates what the chunks of one file landed."""

    spec: EntitySpec
    store: ObjectStore
    raw_store: ObjectStore
    lineage: Lineage
    default_day: date
    raw: Future[ObjectInfo]
    checker: Utf8Checker | None
    progress: ProgressCallback | None
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rejections: list[pa.Table] = field(default_factory=list)
    quarantine: list[pa.Table] = field(default_factory=list)
    files: dict[date, list[LandedObject]] = field(default_factory=dict)
    """The landed Parquet parts by month partition, once :meth:`finish` returned."""
    lander: MonthlyLander = field(init=False)

    def __post_init__(self) -> None:
        self.lander = MonthlyLander(
            self.store, self.spec, self.lineage.batch_id, before_write=self.wait_for_raw
        )

    def wait_for_raw(self) -> ObjectInfo:
        """The raw copy must be durable (and the text valid) before anything else is written."""
        info = self.raw.result()
        if self.checker is not None:
            self.checker.raise_if_invalid()
        return info

    def restart(self) -> None:
        """Forget the counts of a failed first read (its landed parts will be found again)."""
        self.lander.restart()
        self.rows_read = self.rows_accepted = self.rows_rejected = 0
        self.rejections, self.quarantine = [], []

    def add_parsed(self, parsed: ParsedSource) -> None:
        rejected = parsed.quarantine.num_rows
        self.rows_read += rejected
        self.rows_rejected += rejected
        self.rejections.append(parsed.rejections)
        self.quarantine.append(parsed.quarantine)

    def land(self, result: ValidationResult) -> None:
        if self.raw.done() and self.raw.exception() is not None:
            self.wait_for_raw()  # a duplicate or a failed copy: stop reading now
        self.lander.add(split_by_month(result.accepted, self.spec.event_time, self.default_day))
        self.rows_read += result.rows_read
        self.rows_accepted += result.rows_accepted
        self.rows_rejected += result.rows_rejected
        self.rejections.append(result.rejections)
        self.quarantine.append(result.quarantine)
        if self.progress is not None:
            self.progress("validate", self.rows_read, None)

    def finish(self) -> ObjectInfo:
        """Land what is still buffered; returns the raw copy's info."""
        self.files = self.lander.finish()
        return self.wait_for_raw()


def _validate_into(landing: _Landing, con: duckdb.DuckDBPyConnection, parsed: ParsedSource) -> None:
    # Pieces small enough that a file in time order lands its finished months while
    # the rest is still being validated.
    chunks = iter_validated(
        con,
        parsed.relation,
        landing.spec,
        landing.lineage,
        row_map=parsed.row_map,
        chunk_rows=_VALIDATED_PIECE_ROWS,
    )
    for result in chunks:
        landing.land(result)


def _parse_csv(landing: _Landing, con: duckdb.DuckDBPyConnection, path: Path) -> None:
    names = csv_header(path, landing.spec)
    try:
        _validate_into(landing, con, csv_source(path, names))
    except duckdb.Error as exc:
        landing.wait_for_raw()  # an encoding problem explains a CSV error best
        if not is_csv_error(exc):
            raise FileIngestError(f"the CSV file could not be read: {exc}") from exc
        # Parts landed before the bad line are found again, identical, and kept.
        landing.restart()
        parsed = csv_source_with_rejects(con, path, names)
        landing.add_parsed(parsed)
        _validate_into(landing, con, parsed)


def _as_json_lines(path: Path, file_format: FileFormat, spec: EntitySpec, work: Path) -> Path:
    """XML and JSON arrays become newline-delimited JSON; NDJSON is used as it is."""
    if file_format is FileFormat.XML:
        target = work / "records.jsonl"
        with target.open("w", encoding="utf-8") as out:
            xml_to_lines(path, spec, out)
        return target
    with path.open("rb") as handle:
        start = handle.read(_HEAD_BYTES).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start.startswith(b"["):
        return path
    target = work / "records.jsonl"
    with path.open(encoding="utf-8") as source, target.open("w", encoding="utf-8") as out:
        json_array_to_lines(source, out)
    return target


def _parse(landing: _Landing, path: Path, file_format: FileFormat, work: Path) -> None:
    con = connect()
    try:
        if file_format is FileFormat.CSV:
            _parse_csv(landing, con, path)
            return
        try:
            lines = _as_json_lines(path, file_format, landing.spec, work)
        except UnicodeDecodeError:
            landing.wait_for_raw()
            raise
        try:
            _validate_into(landing, con, ndjson_source(lines, landing.spec))
        except duckdb.Error as exc:
            landing.wait_for_raw()
            raise FileIngestError(f"the {file_format} file could not be read: {exc}") from exc
    finally:
        con.close()


# -- the whole file ------------------------------------------------------------------------------


@contextmanager
def _workspace() -> Iterator[Path]:
    work = Path(tempfile.mkdtemp(prefix="concert-ingest-"))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _raw_name(filename: str | None, file_format: FileFormat) -> str:
    name = Path(filename or "").name.lstrip(".")
    return name or f"data.{file_format.value}"


def _quarantine(landing: _Landing, source: str, day: date) -> LandedObject | None:
    if landing.rows_rejected == 0:
        return None
    table = pa.concat_tables(landing.quarantine)
    table = table.take(pc.sort_indices(table.column("row")))
    return put_once(
        landing.raw_store,
        quarantine_key(source, landing.spec.name, day, landing.lineage.batch_id),
        jsonl_bytes([table.column("line")]),
        rows=table.num_rows,
        content_type="application/x-ndjson",
    )


def ingest_file(
    data: Path | str | ReadableStream,
    *,
    entity: str,
    raw_store: ObjectStore,
    processed_store: ObjectStore,
    file_format: str | None = None,
    filename: str | None = None,
    content_type: str | None = None,
    source: str = "upload",
    batch_id: str | None = None,
    progress: ProgressCallback | None = None,
    reported_rejections: int = DEFAULT_REPORTED_REJECTIONS,
) -> FileIngestReport:
    """Ingest one CSV, JSON or XML file of ``entity`` (see the module docstring).

    ``data`` is a path or a readable binary stream (spooled to a temporary
    file, never held in memory). The format is ``file_format`` or inferred from
    ``content_type``, ``filename``, then the first bytes. Raises
    :class:`DuplicateBatchError` / :class:`DuplicateFileError` (409) for a batch
    or a file already ingested, :class:`FileIngestError` subclasses (400) for a
    file that cannot be read at all; rows that fail validation never raise.
    """
    spec = entity_spec(entity)
    started = datetime.now(UTC)
    batch = batch_id or new_batch_id(started)
    day = started.date()
    with _workspace() as work:
        path, sha256 = _local_file(data, work)
        with path.open("rb") as handle:
            head = handle.read(_HEAD_BYTES)
        fmt = infer_format(file_format, filename=filename, content_type=content_type, head=head)
        raw = raw_key(source, spec.name, day, batch, _raw_name(filename, fmt))
        codec = transcoding_needed(head)
        checker = Utf8Checker(path) if fmt is not FileFormat.XML and codec is None else None
        copy = _RawCopy(raw_store, spec, batch, raw, path, sha256, MEDIA_TYPES[fmt], checker,
                        progress)  # fmt: skip

        def names() -> _Batch:  # the file's hash is known once the copy ran
            return _Batch(spec, batch, source, day, raw, copy.sha256 or "", fmt)

        with ThreadPoolExecutor(1, thread_name_prefix="raw-copy") as pool:
            copied = pool.submit(copy.run)
            landing = _Landing(
                spec, processed_store, raw_store, Lineage(batch, source, started), day, copied,
                checker, progress,
            )  # fmt: skip
            try:
                parse_path = path
                if codec is not None and fmt is not FileFormat.XML:
                    parse_path = work / f"utf8.{fmt.value}"
                    transcode_to_utf8(path, parse_path, codec)
                _parse(landing, parse_path, fmt, work)
                raw_info = landing.finish()
            except BaseException as exc:
                copy.after_failure(copied, exc, names())
                raise
            finally:
                landing.lander.close()
        return _finish(landing, raw_info, names(), reported_rejections)


@dataclass(frozen=True, slots=True)
class _Batch:
    """Names that one file's batch goes by in the lake."""

    spec: EntitySpec
    batch_id: str
    source: str
    day: date
    raw_key: str
    sha256: str
    file_format: FileFormat

    @property
    def raw_manifest_key(self) -> str:
        return manifest_key(Zone.RAW, self.spec.name, self.day, self.batch_id, source=self.source)

    def raw_manifest(
        self, files: list[ManifestFile], counts: tuple[int, int, int], details: dict[str, str]
    ) -> BatchManifest:
        """The raw zone's manifest of this batch; ``counts`` are (read, accepted, rejected)."""
        read, accepted, rejected = counts
        return BatchManifest(
            batch_id=self.batch_id,
            zone=Zone.RAW,
            source=self.source,
            entity=self.spec.name,
            files=files,
            rows_read=read,
            rows_accepted=accepted,
            rows_rejected=rejected,
            details=details,
        )


def _record_failure(
    store: ObjectStore, copied: Future[ObjectInfo], batch: _Batch, error: BaseException
) -> None:
    """The raw bytes stay; their manifest says why nothing was read from them."""
    try:
        info = copied.result()
    except Exception:
        return
    manifest = batch.raw_manifest(
        [ManifestFile(key=batch.raw_key, size=info.size, etag=info.etag, rows=0)],
        (0, 0, 0),
        {"sha256": batch.sha256, "error": str(error)[:2000]},
    )
    with suppress(Exception):
        write_once(store, batch.raw_manifest_key, manifest)


def _finish(
    landing: _Landing, raw_info: ObjectInfo, names: _Batch, reported: int
) -> FileIngestReport:
    spec, batch, source = names.spec, names.batch_id, names.source
    fmt, sha256, raw_store = names.file_format, names.sha256, landing.raw_store
    raw_manifest = names.raw_manifest_key
    quarantined = _quarantine(landing, source, names.day)
    partitions = write_processed_manifests(
        landing.store,
        spec,
        landing.files,
        batch_id=batch,
        source=source,
        details={"raw_manifest": raw_manifest, "sha256": sha256},
    )
    files = [ManifestFile(key=raw_info.key, size=raw_info.size, etag=raw_info.etag,
                          rows=landing.rows_read)]  # fmt: skip
    if quarantined is not None:
        files.append(quarantined.manifest_file())
    months = sorted(landing.files)
    details = {
        "sha256": sha256,
        "format": fmt.value,
        "partitions": str(len(months)),
    }
    if months:
        details["first_month"], details["last_month"] = f"{months[0]:%Y-%m}", f"{months[-1]:%Y-%m}"
    counts = (landing.rows_read, landing.rows_accepted, landing.rows_rejected)
    write_once(raw_store, raw_manifest, names.raw_manifest(files, counts, details))
    rejections = pa.concat_tables(landing.rejections) if landing.rejections else None
    first: list[Rejection] = []
    if rejections is not None and rejections.num_rows:
        ordered = rejections.take(pc.sort_indices(rejections.column("row")))
        first = rejections_of(ordered.slice(0, reported))
    return FileIngestReport(
        batch_id=batch,
        entity=spec.name,
        source=source,
        file_format=fmt.value,
        sha256=sha256,
        rows_read=landing.rows_read,
        rows_accepted=landing.rows_accepted,
        rows_rejected=landing.rows_rejected,
        rejections=first,
        raw_key=raw_info.key,
        raw_manifest_key=raw_manifest,
        quarantine_key=quarantined.key if quarantined else None,
        processed_keys=[obj.key for p in partitions for obj in p.files],
        processed_manifest_keys=[p.manifest_key for p in partitions],
    )


__all__ = [
    "DEFAULT_REPORTED_REJECTIONS",
    "FileIngestReport",
    "batch_index_key",
    "content_index_key",
    "ingest_file",
]
