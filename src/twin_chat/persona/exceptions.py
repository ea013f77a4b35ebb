"""Errors raised while loading the persona."""

from __future__ import annotations

from foundation.errors import DependencyUnavailableError


class PersonaNotConfiguredError(DependencyUnavailableError):
    """The persona text is not in the memory bucket, so the twin has nobody to be."""

    def __init__(self, bucket: str, key: str) -> None:
        super().__init__(
            f"persona not configured: upload {key} to {bucket}", bucket=bucket, key=key
        )


__all__ = ["PersonaNotConfiguredError"]
