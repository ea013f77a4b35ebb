"""File upload: ``POST /api/ingest/{entity}`` with a CSV, JSON or XML file.

The file is the raw request body (``Content-Type`` text/csv, application/json,
application/x-ndjson or application/xml) or the ``file`` field of a multipart
form. The body is streamed to a temporary file, never held in memory, and
refused with 413 before a byte is read when ``Content-Length`` is over
``ConcertSettings.max_upload_bytes`` (or as soon as a body without one passes
it). The app must not put a smaller global body limit in front of this route:
build it with ``body_limit_overrides={"/api/ingest": None}``.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartParser

from concert.api.deps import ConcertSettingsDep, ProcessedStoreDep, RawStoreDep
from concert.domain.models import ENTITIES
from concert.ingest.files import FileIngestReport, UploadTooLargeError, ingest_file
from foundation.errors import BadRequestError, NotFoundError

router = APIRouter(prefix="/api/ingest", tags=["ingest"])

_CHUNK = 1024 * 1024


def _too_large(size: int, limit: int) -> UploadTooLargeError:
    return UploadTooLargeError(
        f"the upload of {size:,} bytes or more is larger than the limit of {limit:,} bytes",
        limit_bytes=limit,
    )


async def _counted(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise _too_large(received, limit)
        yield chunk


async def _spool_body(request: Request, target: Path, limit: int) -> None:
    with target.open("wb") as out:
        async for chunk in _counted(request, limit):
            out.write(chunk)


async def _spool_form(request: Request, target: Path, limit: int) -> tuple[str | None, str | None]:
    """Stream the form's ``file`` field to ``target``; returns its file name and type."""
    parser = MultiPartParser(request.headers, _counted(request, limit), max_files=1, max_fields=8)
    form = await parser.parse()
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise BadRequestError("the multipart form needs a 'file' field", field="file")
        with target.open("wb") as out:
            while chunk := await upload.read(_CHUNK):
                out.write(chunk)
        return upload.filename, upload.content_type
    finally:
        await form.close()


@router.post("/{entity}", status_code=201)
async def upload_file(
    entity: str,
    request: Request,
    *,
    raw_store: RawStoreDep,
    processed_store: ProcessedStoreDep,
    settings: ConcertSettingsDep,
    batch_id: Annotated[str | None, Query(description="defaults to a new batch id")] = None,
    file_format: Annotated[
        str | None, Query(alias="format", description="csv, json or xml; else inferred")
    ] = None,
    filename: Annotated[str | None, Query(description="the original file name")] = None,
) -> FileIngestReport:
    """Ingest one CSV, JSON or XML file of an entity and report rows read, accepted, rejected."""
    if entity not in ENTITIES:
        raise NotFoundError(
            f"unknown entity {entity!r}; expected one of {', '.join(ENTITIES)}", entity=entity
        )
    limit = settings.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    content_type = request.headers.get("content-type", "")
    with tempfile.TemporaryDirectory(prefix="concert-upload-") as work:
        body = Path(work) / "body"
        if content_type.startswith("multipart/form-data"):
            form_name, content_type_of_file = await _spool_form(request, body, limit)
            filename = filename or form_name
            content_type = content_type_of_file or ""
        else:
            await _spool_body(request, body, limit)
        return await run_in_threadpool(
            ingest_file,
            body,
            entity=entity,
            raw_store=raw_store,
            processed_store=processed_store,
            file_format=file_format,
            filename=filename,
            content_type=content_type,
            batch_id=batch_id,
        )


__all__ = ["router"]
