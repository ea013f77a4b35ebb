"""Object store port: keyed blobs with atomic writes and conditional puts.

Two adapters pass the same contract suite: :class:`LocalObjectStore`, a local
directory (the default, no server), and :class:`S3ObjectStore` (which
imports boto3 only when it builds a client). Keys follow
:func:`validate_key` on every adapter. :func:`update_object` is how callers
change an object safely while others may change it too.
"""

from __future__ import annotations

from foundation.objectstore.base import (
    DEFAULT_CONTENT_TYPE,
    ObjectInfo,
    ObjectStore,
    ObjectSummary,
    ReadableStream,
    StoredObject,
    validate_key,
    validate_prefix,
)
from foundation.objectstore.concurrency import update_object
from foundation.objectstore.exceptions import (
    ConcurrentUpdateError,
    InvalidKeyError,
    InvalidMetadataError,
    ObjectNotFoundError,
    ObjectStoreError,
    ObjectStoreUnavailableError,
    PreconditionFailedError,
)
from foundation.objectstore.local import LocalObjectStore
from foundation.objectstore.s3 import S3ObjectStore

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "ConcurrentUpdateError",
    "InvalidKeyError",
    "InvalidMetadataError",
    "LocalObjectStore",
    "ObjectInfo",
    "ObjectNotFoundError",
    "ObjectStore",
    "ObjectStoreError",
    "ObjectStoreUnavailableError",
    "ObjectSummary",
    "PreconditionFailedError",
    "ReadableStream",
    "S3ObjectStore",
    "StoredObject",
    "update_object",
    "validate_key",
    "validate_prefix",
]
