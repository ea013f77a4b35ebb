"""The data lake's layout: zones, partitioned keys, batch ids and manifests.

Raw data is immutable (written with if-none-match, never overwritten), and
every batch in every zone has a manifest that says what it holds and how many
rows were read, accepted and rejected.
"""

from concert.lake.layout import (
    Zone,
    manifest_key,
    month_of,
    new_batch_id,
    partition_prefix,
    processed_key,
    quarantine_key,
    raw_key,
)
from concert.lake.manifest import BatchManifest, ManifestFile, read_manifest, write_manifest
from concert.lake.partitions import split_by_month

__all__ = [
    "BatchManifest",
    "ManifestFile",
    "Zone",
    "manifest_key",
    "month_of",
    "new_batch_id",
    "partition_prefix",
    "processed_key",
    "quarantine_key",
    "raw_key",
    "read_manifest",
    "split_by_month",
    "write_manifest",
]
