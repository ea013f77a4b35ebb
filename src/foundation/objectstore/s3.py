"""Object store on Amazon S3 with conditional writes (If-Match / If-None-Match).

boto3 is imported only when a client is built here, so the package stays
usable with the local adapter alone.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
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
    ObjectNotFoundError,
    ObjectStoreError,
    ObjectStoreUnavailableError,
    PreconditionFailedError,
)

# Parts of a streamed upload; S3 wants at least 5 MiB for all but the last and
# allows 10,000 parts, so a stream may reach 80 GiB.
PART_BYTES = 8 * 1024 * 1024

_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
# ConditionalRequestConflict (409): another conditional write to the key is in flight.
_PRECONDITION_CODES = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict"})


class S3ObjectStore(ObjectStore):
    """One bucket; keys are used as given (no prefixing)."""

    backend: ClassVar[str] = "s3"

    def __init__(
        self,
        bucket: str,
        *,
        client: Any = None,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
    ) -> None:
        if client is None:
            import boto3  # noqa: PLC0415 - optional dependency, loaded only for S3

            client = boto3.client("s3", region_name=region, endpoint_url=endpoint_url)
        self.bucket = bucket
        self._client = client

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
        validate_key(key)
        user_metadata = validate_attributes(content_type, metadata)
        conditions: dict[str, str] = {}
        if if_match is not None:
            conditions["IfMatch"] = f'"{if_match}"'
        if if_none_match:
            conditions["IfNoneMatch"] = "*"
        # S3 answers If-Match on a missing key with 404; callers get one error to retry on.
        missing = PreconditionFailedError if if_match is not None else ObjectNotFoundError
        with self._translated(key, missing=missing):
            response = self._client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
                Metadata=user_metadata,
                **conditions,
            )
        return _written(key, len(data), response, content_type, user_metadata)

    def put_stream(
        self,
        key: str,
        source: ReadableStream,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
        if_none_match: bool = False,
    ) -> ObjectInfo:
        validate_key(key)
        user_metadata = validate_attributes(content_type, metadata)
        chunk = _read_part(source)
        if len(chunk) < PART_BYTES:
            return self.put(
                key,
                chunk,
                content_type=content_type,
                metadata=user_metadata,
                if_none_match=if_none_match,
            )
        with self._translated(key):
            upload_id = self._client.create_multipart_upload(
                Bucket=self.bucket, Key=key, ContentType=content_type, Metadata=user_metadata
            )["UploadId"]
        conditions = {"IfNoneMatch": "*"} if if_none_match else {}
        try:
            with self._translated(key):
                parts, size = self._upload_parts(key, upload_id, chunk, source)
                response = self._client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                    **conditions,
                )
        except BaseException:
            # Unfinished uploads are billed until aborted; the original error matters more.
            with suppress(Exception):
                self._client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            raise
        return _written(key, size, response, content_type, user_metadata)

    def _upload_parts(
        self, key: str, upload_id: str, chunk: bytes, source: ReadableStream
    ) -> tuple[list[dict[str, Any]], int]:
        parts: list[dict[str, Any]] = []
        size = 0
        while chunk:
            number = len(parts) + 1
            response = self._client.upload_part(
                Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=chunk
            )
            parts.append({"ETag": response["ETag"], "PartNumber": number})
            size += len(chunk)
            chunk = _read_part(source)
        return parts, size

    def delete(self, key: str, *, all_versions: bool = False) -> None:
        validate_key(key)
        with self._translated(key):
            if not all_versions:
                self._client.delete_object(Bucket=self.bucket, Key=key)
                return
            for versions in self._versions_of(key):
                self._client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": versions, "Quiet": True}
                )

    def _versions_of(self, key: str) -> Iterator[list[dict[str, str]]]:
        """Every version and delete marker of exactly ``key``, a page (<= 1000) at a time."""
        paginator = self._client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=key):
            entries = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            versions = [
                {"Key": key, "VersionId": entry["VersionId"]}
                for entry in entries
                if entry["Key"] == key
            ]
            if versions:
                yield versions

    # -- reads ----------------------------------------------------------------

    def get(self, key: str) -> StoredObject:
        validate_key(key)
        with self._translated(key):
            response = self._client.get_object(Bucket=self.bucket, Key=key)
            with response["Body"] as body:
                data = body.read()
        return StoredObject(info=_info(key, response), body=data)

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        validate_key(key)
        with self._translated(key):
            response = self._client.get_object(Bucket=self.bucket, Key=key)
        # BufferedReader gives botocore's StreamingBody the full binary file interface.
        with io.BufferedReader(response["Body"]) as stream:
            yield stream

    def head(self, key: str) -> ObjectInfo:
        validate_key(key)
        with self._translated(key):
            response = self._client.head_object(Bucket=self.bucket, Key=key)
        return _info(key, response)

    def list(self, prefix: str = "") -> Iterator[ObjectSummary]:
        validate_prefix(prefix)
        return self._pages(prefix)

    def _pages(self, prefix: str) -> Iterator[ObjectSummary]:
        paginator = self._client.get_paginator("list_objects_v2")
        with self._translated(prefix):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield ObjectSummary(
                        key=item["Key"],
                        size=item["Size"],
                        etag=item["ETag"].strip('"'),
                        last_modified=item["LastModified"].astimezone(UTC),
                    )

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{validate_key(key)}"

    def check(self) -> HealthStatus:
        def probe() -> str:
            self._client.head_bucket(Bucket=self.bucket)
            return f"bucket {self.bucket} reachable"

        return timed_check("objectstore", self.backend, probe)

    # -- errors ---------------------------------------------------------------

    @contextmanager
    def _translated(
        self, key: str, *, missing: type[ObjectStoreError] = ObjectNotFoundError
    ) -> Iterator[None]:
        """Turn botocore's errors into this port's, naming the key."""
        from botocore.exceptions import (  # noqa: PLC0415 - botocore is optional
            ClientError,
            HTTPClientError,
        )
        from botocore.exceptions import ConnectionError as BotoConnectionError  # noqa: PLC0415

        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            where = f"S3 bucket {self.bucket!r}, key {key!r}"
            if code in _MISSING_CODES:
                raise missing(f"No object with key {key!r} ({code})", key=key) from exc
            if code in _PRECONDITION_CODES:
                raise PreconditionFailedError(
                    f"Condition on key {key!r} did not hold ({code})", key=key
                ) from exc
            if status >= 500 or code == "SlowDown":
                raise ObjectStoreUnavailableError(f"{where}: {code}", key=key) from exc
            raise ObjectStoreError(f"{where}: {code} {error.get('Message', '')}", key=key) from exc
        except (BotoConnectionError, HTTPClientError) as exc:
            raise ObjectStoreUnavailableError(
                f"S3 unreachable for key {key!r}: {exc}", key=key
            ) from exc


def _read_part(source: ReadableStream) -> bytes:
    """Up to PART_BYTES from ``source``; loops because raw streams may return less."""
    buffer = bytearray()
    while len(buffer) < PART_BYTES:
        chunk = source.read(PART_BYTES - len(buffer))
        if not chunk:
            break
        buffer += chunk
    return bytes(buffer)


def _info(key: str, response: dict[str, Any]) -> ObjectInfo:
    """Info from a GetObject or HeadObject response."""
    return ObjectInfo(
        key=key,
        size=response["ContentLength"],
        etag=response["ETag"].strip('"'),
        last_modified=response["LastModified"].astimezone(UTC),
        content_type=response.get("ContentType", DEFAULT_CONTENT_TYPE),
        metadata=dict(response.get("Metadata", {})),
    )


def _written(
    key: str, size: int, response: dict[str, Any], content_type: str, metadata: dict[str, str]
) -> ObjectInfo:
    """Info of an object just written, from the write's response (no extra HEAD,
    which could already see a later writer's object)."""
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    stamp = headers.get("last-modified") or headers.get("date")
    return ObjectInfo(
        key=key,
        size=size,
        etag=response["ETag"].strip('"'),
        last_modified=parsedate_to_datetime(stamp).astimezone(UTC) if stamp else datetime.now(UTC),
        content_type=content_type,
        metadata=metadata,
    )


__all__ = ["PART_BYTES", "S3ObjectStore"]
