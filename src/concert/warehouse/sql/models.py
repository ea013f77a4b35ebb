"""Each model's description, key and tests, declared next to its SQL (like dbt's schema.yml).

Every ``.sql`` file under this folder needs an entry here and every entry a
file; :func:`concert.warehouse.models.load_models` checks both ways.
"""

# ruff: noqa: S608 - tests are SQL composed from names declared in code, never from input

from __future__ import annotations

from concert.domain import ConcertStatus, InteractionType, PaymentMethod, VenueType
from concert.warehouse.checks import (
    AcceptedValues,
    Expression,
    ModelSpec,
    Query,
    Relationship,
)

#: Sums of many doubles may differ in the last bits; money checks allow a cent per row compared.
CENT = 0.01

STATUSES = tuple(status.value for status in ConcertStatus)
PAYMENT_METHODS = tuple(method.value for method in PaymentMethod)
VENUE_TYPES = tuple(venue_type.value for venue_type in VenueType)
INTERACTION_TYPES = tuple(kind.value for kind in InteractionType)
SEASONS = ("winter", "spring", "summer", "autumn")
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def _between(column: str, low: float, high: float) -> Expression:
    return Expression(
        f"{column} between {low:g} and {high:g}", f"{column} between {low} and {high}"
    )


def _fact_total_matches(column: str, fact_column: str) -> Query:
    """The mart's total of ``column`` equals the fact table's total of ``fact_column``."""
    return Query(
        f"total {column} equals fact_ticket_sales total {fact_column}",
        "select mart.total as mart_total, fact.total as fact_total from "
        f"(select coalesce(sum({column}), 0) as total from {{model}}) as mart "
        f"cross join (select coalesce(sum({fact_column}), 0) as total from fact_ticket_sales) "
        f"as fact where abs(mart.total - fact.total) > {CENT}",
    )


MODELS: dict[str, ModelSpec] = {
    # -- staging: rename and cast; the latest row per key (by _ingested_at) wins ---------
    "stg_artists": ModelSpec(
        "Artists as last ingested, one row per artist_id; primary_genre is the first genre.",
        key=("artist_id",),
        tests=(_between("popularity", 0, 100),),
    ),
    "stg_venues": ModelSpec(
        "Venues as last ingested, one row per venue_id.",
        key=("venue_id",),
        tests=(
            AcceptedValues("venue_type", VENUE_TYPES),
            Expression("capacity is positive", "capacity > 0"),
        ),
    ),
    "stg_concerts": ModelSpec(
        "Concerts as last ingested, one row per concert_id; event_at is UTC.",
        key=("concert_id",),
        tests=(AcceptedValues("status", STATUSES),),
    ),
    "stg_ticket_sales": ModelSpec(
        "Ticket sales without re-deliveries: one row per sale_id, the latest ingested.",
        key=("sale_id",),
        tests=(
            AcceptedValues("payment_method", PAYMENT_METHODS),
            _between("quantity", 1, 20),
        ),
    ),
    "stg_user_interactions": ModelSpec(
        "User interactions without re-deliveries: one row per interaction_id.",
        key=("interaction_id",),
        tests=(AcceptedValues("interaction_type", INTERACTION_TYPES),),
    ),
    # -- core: the star schema ---------------------------------------------------------
    "dim_artist": ModelSpec(
        "One row per artist: name, primary genre ('unknown' when none), popularity and tier.",
        key=("artist_id",),
        tests=(
            AcceptedValues("popularity_tier", ("headliner", "established", "rising", "emerging")),
        ),
    ),
    "dim_venue": ModelSpec(
        "One row per venue: location, type, capacity and capacity band.",
        key=("venue_id",),
        tests=(
            AcceptedValues("venue_type", VENUE_TYPES),
            AcceptedValues("capacity_band", ("small", "medium", "large", "very_large")),
        ),
    ),
    "dim_date": ModelSpec(
        "One row per calendar day from the first to the last sale or concert day, "
        "with weekday (0 = Sunday), weekend flag, month, quarter, year and season.",
        key=("date_day",),
        tests=(
            AcceptedValues("season", SEASONS),
            AcceptedValues("weekday_name", WEEKDAYS),
            Query(
                "one row per day without gaps",
                "select count(*) from {model} having count(*) <> "
                "date_diff('day', min(date_day), max(date_day)) + 1",
            ),
            Expression(
                "weekend is Saturday and Sunday",
                "is_weekend = (weekday_name in ('Saturday', 'Sunday'))",
            ),
        ),
    ),
    "dim_customer": ModelSpec(
        "One row per customer who bought a ticket: first and last purchase, orders, "
        "tickets, total spend and favourite genre (most tickets bought; ties by name).",
        key=("customer_id",),
        tests=(
            Expression(
                "first purchase is not after the last", "first_purchase_at <= last_purchase_at"
            ),
            Expression("total spend is positive", "total_spend > 0"),
            _fact_total_matches("total_spend", "revenue"),
        ),
    ),
    "fact_ticket_sales": ModelSpec(
        "Grain: one ticket sale. Keys to date, concert, artist, venue and customer; "
        "quantity, unit price and revenue.",
        key=("sale_id",),
        not_null=("sale_id", "concert_id", "customer_id", "date_day"),
        tests=(
            Relationship("concert_id", "fact_concerts", "concert_id"),
            Relationship("artist_id", "dim_artist", "artist_id"),
            Relationship("venue_id", "dim_venue", "venue_id"),
            Relationship("customer_id", "dim_customer", "customer_id"),
            Relationship("date_day", "dim_date", "date_day"),
            _between("quantity", 1, 20),
            Expression(
                "revenue is quantity x unit price",
                f"abs(revenue - quantity * unit_price) <= {CENT}",
            ),
            AcceptedValues("payment_method", PAYMENT_METHODS),
        ),
    ),
    "fact_concerts": ModelSpec(
        "Grain: one concert. Tickets sold, orders and revenue from the sales, capacity, "
        "sell-through, attendance and its rate, status, average ticket price, and the days "
        "from the first sale to the sale that reached capacity (NULL when it never did).",
        key=("concert_id",),
        not_null=("concert_id", "artist_id", "venue_id", "event_date"),
        tests=(
            Relationship("artist_id", "dim_artist", "artist_id"),
            Relationship("venue_id", "dim_venue", "venue_id"),
            Relationship("event_date", "dim_date", "date_day"),
            AcceptedValues("status", STATUSES),
            _between("sell_through", 0, 1),
            _between("attendance_rate", 0, 1),
            Expression("days to sell out is not negative", "days_to_sell_out >= 0"),
            Query(
                "revenue equals the sum of its sales",
                "select concert.concert_id from {model} as concert "
                "left join (select concert_id, sum(revenue) as revenue from fact_ticket_sales "
                "group by concert_id) as sales on concert.concert_id = sales.concert_id "
                f"where abs(concert.revenue - coalesce(sales.revenue, 0)) > {CENT}",
            ),
            _fact_total_matches("revenue", "revenue"),
        ),
    ),
    # -- marts: business questions ----------------------------------------------------------
    "mart_venue_popularity": ModelSpec(
        "Venue popularity inputs, one row per venue: concerts, tickets, revenue, average "
        "sell-through and attendance rate, revenue per seat offered, recency-weighted demand "
        "(sell-through averaged with a 90-day half-life) and genre mix (distinct genres, the "
        "top genre and its share of concerts).",
        key=("venue_id",),
        tests=(
            Relationship("venue_id", "dim_venue", "venue_id"),
            _between("avg_sell_through", 0, 1),
            _between("avg_attendance_rate", 0, 1),
            _between("recency_weighted_demand", 0, 1),
            _between("top_genre_share", 0, 1),
        ),
    ),
    "mart_artist_trends": ModelSpec(
        "Per artist per month: tickets, revenue and orders by purchase month, concerts by "
        "event month, and growth against the month before.",
        key=("artist_id", "month_start"),
        tests=(
            Relationship("artist_id", "dim_artist", "artist_id"),
            Expression("tickets are not negative", "tickets >= 0"),
        ),
    ),
    "mart_genre_trends": ModelSpec(
        "Per genre, place (country, state, city) and purchase month: tickets, revenue, orders "
        "and concerts.",
        key=("genre", "country", "state", "city", "month_start"),
        not_null=("genre", "country", "city", "month_start"),
        tests=(Expression("tickets are positive", "tickets > 0"),),
    ),
    "mart_daily_sales": ModelSpec(
        "Per day from the first to the last sale: tickets, revenue, orders, customers and "
        "7-day moving averages (days without sales count as zero).",
        key=("date_day",),
        tests=(
            Relationship("date_day", "dim_date", "date_day"),
            _fact_total_matches("revenue", "revenue"),
            _fact_total_matches("tickets", "quantity"),
        ),
    ),
}

__all__ = ["MODELS"]
