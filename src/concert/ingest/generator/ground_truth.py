"""What the generator planted, for the ML benchmarks to measure against.

- ``user_genres``: each user's preferred genres with weights (rank 1 = main
  genre; weights of a user sum to 1). The recommendation benchmark scores
  recommendations against it.
- ``users``: every user's home city and activity level (users without any
  purchase are included: they only browse).
- ``concert_demand``: per concert the local date and weekday, the demand
  factors used (weekday, season, city-genre affinity, price, noise), the
  demand in tickets, the tickets it sells over its whole selling window
  (``tickets_full``; for scheduled shows this is the future the forecast
  tries to predict), the tickets sold so far (``tickets_to_date``), the
  sell-through ``tickets_full / capacity`` and whether it sold out.
- ``artists``: the latent fame behind popularity and the primary genre.
- ``city_genre_affinity``: the affinity of every city for every genre.
- ``demand_scale``: the market heat solved to meet ``target_sales``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from concert.ingest.generator import catalog
from concert.ingest.generator.arrays import CONCERT_ID, CUSTOMER_ID, MICROS_PER_DAY, IntArray
from concert.ingest.generator.artists import Artists
from concert.ingest.generator.concerts import STATUSES, ConcertPlan, weekday_of
from concert.ingest.generator.customers import Customers, city_genre_affinity


@dataclass(frozen=True, slots=True)
class GroundTruth:
    user_genres: pa.Table
    users: pa.Table
    concert_demand: pa.Table
    artists: pa.Table
    city_genre_affinity: pa.Table
    demand_scale: float

    def tables(self) -> dict[str, pa.Table]:
        return {
            "user_genres": self.user_genres,
            "users": self.users,
            "concert_demand": self.concert_demand,
            "artists": self.artists,
            "city_genre_affinity": self.city_genre_affinity,
        }


def _user_tables(customers: Customers) -> tuple[pa.Table, pa.Table]:
    user, slot = np.nonzero(customers.genres >= 0)
    genre_names = pa.array(catalog.GENRES)
    user_genres = pa.table(
        {
            "user_id": CUSTOMER_ID.of(user),
            "genre": genre_names.take(pa.array(customers.genres[user, slot])),
            "weight": pa.array(customers.weights[user, slot]),
            "rank": pa.array(slot + 1),
        }
    )
    home = [catalog.CITIES[c] for c in range(len(catalog.CITIES))]
    users = pa.table(
        {
            "user_id": CUSTOMER_ID.of(range(customers.count)),
            "home_city": pa.array([c.name for c in home]).take(pa.array(customers.home_city)),
            "home_state": pa.array([c.state for c in home]).take(pa.array(customers.home_city)),
            "home_country": pa.array([c.country for c in home]).take(pa.array(customers.home_city)),
            "activity": pa.array(customers.activity),
        }
    )
    return user_genres, users


def _concert_table(plan: ConcertPlan, tickets_to_date: IntArray) -> pa.Table:
    venue_types = pa.array([k.venue_type.value for k in catalog.VENUE_KINDS])
    onsale_days = plan.onsale_us // MICROS_PER_DAY
    return pa.table(
        {
            "concert_id": CONCERT_ID.of(range(plan.count)),
            "local_date": pa.array(plan.local_day.astype("datetime64[D]")),
            "weekday": pa.array(weekday_of(plan.local_day)),
            "venue_type": venue_types.take(pa.array(plan.kind)),
            "capacity": pa.array(plan.capacity),
            "status": pa.array([s.value for s in STATUSES]).take(pa.array(plan.status)),
            "onsale_date": pa.array(onsale_days.astype("datetime64[D]")),
            "weekday_factor": pa.array(plan.weekday_factor),
            "season_factor": pa.array(plan.season_factor),
            "affinity_factor": pa.array(plan.affinity_factor),
            "price_factor": pa.array(plan.price_factor),
            "noise_factor": pa.array(plan.noise_factor),
            "demand": pa.array(plan.demand),
            "tickets_full": pa.array(plan.tickets),
            "tickets_to_date": pa.array(tickets_to_date),
            "sell_through": pa.array(plan.tickets / plan.capacity),
            "sold_out": pa.array(plan.tickets >= plan.capacity),
        }
    )


def build_ground_truth(
    artists: Artists,
    customers: Customers,
    plan: ConcertPlan,
    tickets_to_date: IntArray,
) -> GroundTruth:
    user_genres, users = _user_tables(customers)
    affinity = city_genre_affinity()
    city, genre = np.meshgrid(
        np.arange(len(catalog.CITIES)), np.arange(len(catalog.GENRES)), indexing="ij"
    )
    return GroundTruth(
        user_genres=user_genres,
        users=users,
        concert_demand=_concert_table(plan, tickets_to_date),
        artists=pa.table(
            {
                "artist_id": artists.table["artist_id"],
                "primary_genre": pa.array(catalog.GENRES).take(pa.array(artists.primary_genre)),
                "fame": pa.array(artists.fame),
            }
        ),
        city_genre_affinity=pa.table(
            {
                "city": pa.array([catalog.CITIES[c].name for c in city.ravel()]),
                "state": pa.array([catalog.CITIES[c].state for c in city.ravel()], pa.string()),
                "country": pa.array([catalog.CITIES[c].country for c in city.ravel()]),
                "genre": pa.array([catalog.GENRES[g] for g in genre.ravel()]),
                "affinity": pa.array(affinity.ravel()),
            }
        ),
        demand_scale=plan.demand_scale,
    )


__all__ = ["GroundTruth", "build_ground_truth"]
