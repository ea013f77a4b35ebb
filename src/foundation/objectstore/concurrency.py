"""Optimistic concurrency on one object: read, change, write only if unchanged."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping

from foundation.objectstore.base import DEFAULT_CONTENT_TYPE, ObjectInfo, ObjectStore
from foundation.objectstore.exceptions import (
    ConcurrentUpdateError,
    ObjectNotFoundError,
    PreconditionFailedError,
)

_BACKOFF_BASE_SECONDS = 0.05
_BACKOFF_CAP_SECONDS = 1.0


def update_object(
    store: ObjectStore,
    key: str,
    mutate: Callable[[bytes | None], bytes],
    *,
    max_attempts: int = 20,
    content_type: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> ObjectInfo:
    """Replace the object at ``key`` with ``mutate(current body or None)``.

    The write is conditional on the object being the version that was read
    (or still absent), so concurrent updaters never lose each other's
    changes: a loser reads again and calls ``mutate`` again, which must
    therefore be free of side effects. ``content_type`` and ``metadata``
    default to those of the current object. After ``max_attempts`` lost
    races it raises :class:`ConcurrentUpdateError`.
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
    for attempt in range(max_attempts):
        try:
            current = store.get(key)
        except ObjectNotFoundError:
            current = None
        body = mutate(None if current is None else current.body)
        kept_type = DEFAULT_CONTENT_TYPE if current is None else current.info.content_type
        kept_metadata = None if current is None else current.info.metadata
        try:
            return store.put(
                key,
                body,
                content_type=content_type or kept_type,
                metadata=kept_metadata if metadata is None else metadata,
                if_match=None if current is None else current.info.etag,
                if_none_match=current is None,
            )
        except PreconditionFailedError:
            if attempt + 1 < max_attempts:
                # Full jitter spreads the retries of writers that lost together.
                ceiling = min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2**attempt)
                time.sleep(random.uniform(0, ceiling))
    raise ConcurrentUpdateError(
        f"Object {key!r} kept changing; gave up after {max_attempts} attempts",
        key=key,
        attempts=max_attempts,
    )


__all__ = ["update_object"]
