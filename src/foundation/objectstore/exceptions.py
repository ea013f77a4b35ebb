"""Errors raised by every object store adapter.

Each subclasses :class:`ObjectStoreError` and the shared error whose HTTP status
fits, so callers may catch either the capability's errors or the generic kind.
"""

from __future__ import annotations

from foundation.errors import (
    AppError,
    BadRequestError,
    ConflictError,
    DependencyUnavailableError,
    NotFoundError,
)


class ObjectStoreError(AppError):
    """The object store failed in a way no more specific error describes."""


class ObjectNotFoundError(ObjectStoreError, NotFoundError):
    """No object is stored under the key."""


class PreconditionFailedError(ObjectStoreError, ConflictError):
    """A conditional put lost: the key exists (``if_none_match``), or its etag
    differs from ``if_match`` or it is missing. Read again and retry."""


class ConcurrentUpdateError(ObjectStoreError, ConflictError):
    """``update_object`` kept losing to other writers and gave up."""


class InvalidKeyError(ObjectStoreError, BadRequestError):
    """A key or prefix that breaks the key rules, or that the store cannot hold."""


class InvalidMetadataError(ObjectStoreError, BadRequestError):
    """A content type or user metadata entry that S3 would reject or alter."""


class ObjectStoreUnavailableError(ObjectStoreError, DependencyUnavailableError):
    """The backing service could not be reached or answered with a server error."""


__all__ = [
    "ConcurrentUpdateError",
    "InvalidKeyError",
    "InvalidMetadataError",
    "ObjectNotFoundError",
    "ObjectStoreError",
    "ObjectStoreUnavailableError",
    "PreconditionFailedError",
]
