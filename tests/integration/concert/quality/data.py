"""A small, clean concert data set loaded into ``raw_<entity>`` tables, and ways to spoil it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from concert.domain import ENTITIES
from concert.domain.schema import arrow_schema
from foundation.warehouse import Warehouse

AS_OF = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
INGESTED_AT = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
FIRST_BATCH = "20250601T100000Z-aaaaaaaa"
SECOND_BATCH = "20250601T110000Z-bbbbbbbb"


def _at(day: str, hour: int = 20) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def clean_rows() -> dict[str, list[dict[str, Any]]]:
    """Every rule passes on these rows (checked against ``AS_OF``)."""
    return {
        "artists": [
            {"artist_id": "a1", "name": "Metallica", "genres": ["metal"], "popularity": 80,
             "formation_date": date(1981, 10, 28), "spotify_id": "2ye2Wgw4gimLv2eAKyk1NB"},
            {"artist_id": "a2", "name": "Megadeth", "genres": ["metal"], "popularity": 70},
            {"artist_id": "a3", "name": "The Beatles", "genres": ["rock"], "popularity": 95},
            {"artist_id": "a4", "name": "Radiohead", "genres": [], "popularity": 85},
        ],
        "venues": [
            {"venue_id": "v1", "name": "Madison Square Garden", "city": "New York", "state": "NY",
             "country": "US", "capacity": 20000, "venue_type": "arena"},
            {"venue_id": "v2", "name": "Orpheum Theatre", "city": "Los Angeles", "state": "CA",
             "country": "US", "capacity": 2000, "venue_type": "theater"},
            {"venue_id": "v3", "name": "The Fillmore", "city": "San Francisco", "state": "CA",
             "country": "US", "capacity": 1150, "venue_type": "club"},
        ],
        "concerts": [
            {"concert_id": "c1", "artist_id": "a1", "venue_id": "v1",
             "event_date": _at("2025-03-01"), "ticket_prices": {"ga": 80.0, "vip": 250.0},
             "total_attendance": 15000, "revenue": 1_500_000.0, "status": "completed"},
            {"concert_id": "c2", "artist_id": "a2", "venue_id": "v2",
             "event_date": _at("2025-09-01"), "ticket_prices": {"ga": 60.0},
             "status": "scheduled"},
            {"concert_id": "c3", "artist_id": "a3", "venue_id": "v3",
             "event_date": _at("2025-04-01"), "ticket_prices": {"ga": 45.0},
             "status": "cancelled"},
        ],
        "ticket_sales": [
            _sale("s1", "c1", 2, 80.0, _at("2025-01-10", 9)),
            _sale("s2", "c1", 1, 250.0, _at("2025-02-20", 9), tier="vip"),
            _sale("s3", "c1", 4, 80.0, _at("2025-03-01", 18)),
            _sale("s4", "c2", 3, 60.0, _at("2025-05-30", 9)),
            _sale("s5", "c2", 1, 60.0, _at("2025-05-31", 22)),
            _sale("s6", "c3", 2, 45.0, _at("2025-02-01", 9)),
        ],
        "user_interactions": [
            {"interaction_id": "i1", "user_id": "u1", "interaction_type": "view",
             "timestamp": _at("2025-06-01", 9), "artist_id": "a1"},
            {"interaction_id": "i2", "user_id": "u1", "interaction_type": "purchase",
             "timestamp": _at("2025-05-31", 9), "concert_id": "c2"},
            {"interaction_id": "i3", "user_id": "u2", "interaction_type": "search",
             "timestamp": _at("2025-05-30", 9), "genre": "metal", "session_id": "sess-1"},
            {"interaction_id": "i4", "user_id": "u2", "interaction_type": "like",
             "timestamp": _at("2025-05-29", 9), "venue_id": "v2"},
        ],
    }  # fmt: skip


def _sale(
    sale_id: str, concert_id: str, quantity: int, price: float, at: datetime, tier: str = "ga"
) -> dict[str, Any]:
    return {
        "sale_id": sale_id,
        "concert_id": concert_id,
        "customer_id": f"cust-{sale_id}",
        "price_tier": tier,
        "quantity": quantity,
        "unit_price": price,
        "total_price": quantity * price,
        "purchase_timestamp": at,
        "payment_method": "credit_card",
    }


def arrow_rows(
    entity: str,
    rows: Sequence[Mapping[str, Any]],
    batch_id: str,
    ingested_at: datetime = INGESTED_AT,
) -> pa.Table:
    """Rows as the processed zone holds them, lineage filled in; NULLs allowed everywhere
    so problems can be planted."""
    schema = pa.schema([field.with_nullable(True) for field in arrow_schema(ENTITIES[entity])])
    lineage = {"_batch_id": batch_id, "_source": "test", "_ingested_at": ingested_at}
    return pa.Table.from_pylist([{**row, **lineage} for row in rows], schema=schema)


class RawLoader:
    """Loads batches into ``raw_<entity>`` through the warehouse's own Parquet load."""

    def __init__(self, warehouse: Warehouse, directory: Path) -> None:
        self.warehouse = warehouse
        self.directory = directory

    def load(
        self,
        entity: str,
        rows: Sequence[Mapping[str, Any]],
        batch_id: str = FIRST_BATCH,
        ingested_at: datetime = INGESTED_AT,
    ) -> None:
        path = self.directory / f"{entity}-{batch_id}.parquet"
        pq.write_table(arrow_rows(entity, rows, batch_id, ingested_at), path)
        table = f"raw_{entity}"
        if not self.warehouse.table_exists(table):
            self.warehouse.execute(
                f"CREATE TABLE {table} AS SELECT * FROM read_parquet($path) LIMIT 0",
                {"path": str(path)},
            )
        self.warehouse.load_parquet(table, [str(path)], batch_id=batch_id)

    def load_all(
        self, data: Mapping[str, Sequence[Mapping[str, Any]]], batch_id: str = FIRST_BATCH
    ) -> None:
        for entity, rows in data.items():
            self.load(entity, rows, batch_id)
