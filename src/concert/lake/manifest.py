"""Batch manifests: what a batch holds, written once next to its data."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field, model_validator

from concert.lake.layout import Zone
from foundation.objectstore import ObjectStore


class ManifestFile(BaseModel):
    key: str
    size: int = Field(ge=0)
    etag: str
    rows: int = Field(ge=0)


class BatchManifest(BaseModel):
    """Counts always add up: every row read is either accepted or rejected."""

    batch_id: str
    zone: Zone
    source: str
    entity: str
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    files: list[ManifestFile] = []
    rows_read: int = Field(ge=0)
    rows_accepted: int = Field(ge=0)
    rows_rejected: int = Field(ge=0)
    details: dict[str, str] = {}

    @model_validator(mode="after")
    def _nothing_silently_dropped(self) -> BatchManifest:
        if self.rows_accepted + self.rows_rejected != self.rows_read:
            raise ValueError(
                f"rows_accepted ({self.rows_accepted}) + rows_rejected ({self.rows_rejected}) "
                f"must equal rows_read ({self.rows_read})"
            )
        return self


def write_manifest(store: ObjectStore, key: str, manifest: BatchManifest) -> None:
    """Write a manifest once; a second write of the same batch is a conflict, not an overwrite."""
    store.put(
        key,
        manifest.model_dump_json(indent=2).encode(),
        content_type="application/json",
        if_none_match=True,
    )


def read_manifest(store: ObjectStore, key: str) -> BatchManifest:
    return BatchManifest.model_validate_json(store.get(key).body)


__all__ = ["BatchManifest", "ManifestFile", "read_manifest", "write_manifest"]
