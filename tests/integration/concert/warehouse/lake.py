"""A small processed zone whose every figure is worked out by hand in the tests.

Artists a1 (rock), a2 (jazz), a3 (no genre); venues v1 (club, capacity 10,
Austin TX) and v2 (hall, capacity 100, Berlin, no state). Concerts: c1 a1@v1
Fri 2024-06-07 completed (sells out: five sales of 2 x 50, one a day from June
1, the fifth reaching capacity on June 5), c2 a2@v2 Sat 2024-06-08 completed
(4 + 1 + 5 tickets at 30), c3 a1@v2 Wed 2024-07-10 scheduled (3 + 2 at 60), c4
a3@v1 2024-07-15 cancelled (no sales). Revenue 500 + 300 + 300 = 1,100.
A second ticket-sales batch re-delivers two sales unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from concert.warehouse.testing import write_processed
from foundation.objectstore import ObjectStore

INGESTED = datetime(2024, 7, 3, 6, 0, tzinfo=UTC)
REDELIVERED = datetime(2024, 7, 3, 7, 0, tzinfo=UTC)


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")


ARTISTS = [
    {"artist_id": "a1", "name": "Rock Band", "genres": ["rock", "indie"], "popularity": 85},
    {"artist_id": "a2", "name": "Jazz Trio", "genres": ["jazz"], "popularity": 40},
    {"artist_id": "a3", "name": "No Genre", "genres": [], "popularity": 10},
]
VENUES = [
    {
        "venue_id": "v1",
        "name": "Club One",
        "city": "Austin",
        "state": "TX",
        "country": "US",
        "capacity": 10,
        "venue_type": "club",
    },
    {
        "venue_id": "v2",
        "name": "Big Hall",
        "city": "Berlin",
        "country": "DE",
        "capacity": 100,
        "venue_type": "hall",
    },
]


def _concert(
    concert_id: str, artist: str, venue: str, day: str, status: str, **extra: Any
) -> dict[str, Any]:
    return {
        "concert_id": concert_id,
        "artist_id": artist,
        "venue_id": venue,
        "event_date": at(day, 20),
        "ticket_prices": {"general": 50.0},
        "status": status,
        **extra,
    }


CONCERTS = [
    _concert("c1", "a1", "v1", "2024-06-07", "completed", total_attendance=10),
    _concert("c2", "a2", "v2", "2024-06-08", "completed", total_attendance=40),
    _concert("c3", "a1", "v2", "2024-07-10", "scheduled"),
    _concert("c4", "a3", "v1", "2024-07-15", "cancelled"),
]


def sale(
    sale_id: str, concert: str, customer: str, quantity: int, price: float, when: datetime
) -> dict[str, Any]:
    return {
        "sale_id": sale_id,
        "concert_id": concert,
        "customer_id": customer,
        "price_tier": "general",
        "quantity": quantity,
        "unit_price": price,
        "total_price": quantity * price,
        "purchase_timestamp": when,
        "payment_method": "credit_card",
    }


SALES = [
    sale("s1", "c1", "u1", 2, 50.0, at("2024-06-01", 9)),
    sale("s2", "c1", "u2", 2, 50.0, at("2024-06-02")),
    sale("s3", "c1", "u1", 2, 50.0, at("2024-06-03")),
    sale("s4", "c1", "u3", 2, 50.0, at("2024-06-04")),
    sale("s5", "c1", "u2", 2, 50.0, at("2024-06-05")),
    sale("s6", "c2", "u1", 4, 30.0, at("2024-06-01", 10)),
    sale("s7", "c2", "u4", 1, 30.0, at("2024-06-03")),
    sale("s8", "c2", "u3", 5, 30.0, at("2024-06-07")),
    sale("s9", "c3", "u1", 3, 60.0, at("2024-07-01")),
    sale("s10", "c3", "u2", 2, 60.0, at("2024-07-02")),
]
TOTAL_REVENUE = 1_100.0


def write_lake(store: ObjectStore) -> None:
    """Every entity as one batch, plus a batch that re-delivers sales s1 and s9."""
    write_processed(store, "artists", ARTISTS, ingested_at=INGESTED)
    write_processed(store, "venues", VENUES, ingested_at=INGESTED)
    write_processed(store, "concerts", CONCERTS, ingested_at=INGESTED)
    write_processed(store, "ticket_sales", SALES, ingested_at=INGESTED)
    write_processed(store, "ticket_sales", [SALES[0], SALES[8]], ingested_at=REDELIVERED)
