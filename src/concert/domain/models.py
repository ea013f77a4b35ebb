"""Artists, venues, concerts, ticket sales and user interactions.

Field constraints are declared with ``Field(...)`` and ``Annotated`` types so
that :mod:`concert.domain.constraints` can read them back and generate the
equivalent SQL checks for bulk validation. Cross-field rules that SQL must
mirror are listed in each model's ``sql_rules``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
SPOTIFY_ID_PATTERN = r"^[0-9A-Za-z]{22}$"
TIER_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
EARLIEST_DATE = date(1900, 1, 1)
LATEST_EVENT_DATE = date(2100, 1, 1)
MAX_CAPACITY = 250_000
MAX_TICKET_PRICE = 100_000.0
PRICE_TOLERANCE = 0.01


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must include a time zone (e.g. 2025-06-01T20:00:00Z)")
    return value.astimezone(UTC)


def _normalise_genres(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        genre = " ".join(value.strip().lower().split())
        if not genre:
            raise ValueError("genre names must not be blank")
        seen[genre] = None
    return list(seen)


Identifier = Annotated[str, Field(pattern=IDENTIFIER_PATTERN)]
UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class VenueType(StrEnum):
    ARENA = "arena"
    STADIUM = "stadium"
    THEATER = "theater"
    CLUB = "club"
    AMPHITHEATER = "amphitheater"
    HALL = "hall"
    OTHER = "other"


class ConcertStatus(StrEnum):
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    POSTPONED = "postponed"


class PaymentMethod(StrEnum):
    CREDIT_CARD = "credit_card"
    DEBIT_CARD = "debit_card"
    PAYPAL = "paypal"
    APPLE_PAY = "apple_pay"
    GOOGLE_PAY = "google_pay"
    GIFT_CARD = "gift_card"


class InteractionType(StrEnum):
    VIEW = "view"
    SEARCH = "search"
    LIKE = "like"
    SAVE = "save"
    SHARE = "share"
    PURCHASE = "purchase"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    # Cross-field rules as SQL over the typed columns; each must agree with a model validator.
    sql_rules: ClassVar[dict[str, tuple[str, str]]] = {}


class Artist(_Record):
    artist_id: Identifier
    name: Name
    genres: Annotated[list[str], Field(max_length=10), AfterValidator(_normalise_genres)] = []
    popularity: Annotated[int, Field(ge=0, le=100)]
    formation_date: Annotated[date, Field(ge=EARLIEST_DATE)] | None = None
    members: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=50)
    ] = []
    spotify_id: Annotated[str, Field(pattern=SPOTIFY_ID_PATTERN)] | None = None

    sql_rules: ClassVar[dict[str, tuple[str, str]]] = {
        "formation_date": (
            "formation_date IS NULL OR formation_date <= current_date",
            "must not be in the future",
        ),
    }

    @model_validator(mode="after")
    def _formed_in_the_past(self) -> Artist:
        if self.formation_date and self.formation_date > datetime.now(UTC).date():
            raise ValueError("formation_date must not be in the future")
        return self


class Venue(_Record):
    venue_id: Identifier
    name: Name
    city: Annotated[str, Field(min_length=1, max_length=100)]
    state: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    country: Annotated[str, Field(min_length=2, max_length=100)]
    capacity: Annotated[int, Field(gt=0, le=MAX_CAPACITY)]
    venue_type: VenueType
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None


class Concert(_Record):
    concert_id: Identifier
    artist_id: Identifier
    venue_id: Identifier
    event_date: UtcDatetime
    ticket_prices: Annotated[
        dict[
            Annotated[str, Field(pattern=TIER_PATTERN)],
            Annotated[float, Field(gt=0, le=MAX_TICKET_PRICE)],
        ],
        Field(min_length=1, max_length=10),
    ]
    total_attendance: Annotated[int, Field(ge=0, le=MAX_CAPACITY)] | None = None
    revenue: Annotated[float, Field(ge=0)] | None = None
    status: ConcertStatus = ConcertStatus.SCHEDULED

    sql_rules: ClassVar[dict[str, tuple[str, str]]] = {
        "event_date": (
            f"event_date >= TIMESTAMPTZ '{EARLIEST_DATE}' "
            f"AND event_date < TIMESTAMPTZ '{LATEST_EVENT_DATE}'",
            f"must be between {EARLIEST_DATE} and {LATEST_EVENT_DATE}",
        ),
        "total_attendance": (
            "total_attendance IS NULL OR status = 'completed'",
            "is only known for completed concerts",
        ),
    }

    @model_validator(mode="after")
    def _dates_and_outcomes_agree(self) -> Concert:
        if not EARLIEST_DATE <= self.event_date.date() < LATEST_EVENT_DATE:
            raise ValueError(f"event_date must be between {EARLIEST_DATE} and {LATEST_EVENT_DATE}")
        if self.total_attendance is not None and self.status is not ConcertStatus.COMPLETED:
            raise ValueError("total_attendance is only known for completed concerts")
        return self


class TicketSale(_Record):
    sale_id: Identifier
    concert_id: Identifier
    customer_id: Identifier
    price_tier: Annotated[str, Field(pattern=TIER_PATTERN)]
    quantity: Annotated[int, Field(ge=1, le=20)]
    unit_price: Annotated[float, Field(gt=0, le=MAX_TICKET_PRICE)]
    total_price: Annotated[float, Field(gt=0)]
    purchase_timestamp: UtcDatetime
    payment_method: PaymentMethod

    sql_rules: ClassVar[dict[str, tuple[str, str]]] = {
        "total_price": (
            f"abs(total_price - quantity * unit_price) <= {PRICE_TOLERANCE}",
            "must equal quantity x unit_price within a cent",
        ),
    }

    @model_validator(mode="after")
    def _total_matches(self) -> TicketSale:
        if abs(self.total_price - self.quantity * self.unit_price) > PRICE_TOLERANCE:
            raise ValueError("total_price must equal quantity x unit_price within a cent")
        return self


class UserInteraction(_Record):
    interaction_id: Identifier
    user_id: Identifier
    interaction_type: InteractionType
    timestamp: UtcDatetime
    artist_id: Identifier | None = None
    concert_id: Identifier | None = None
    venue_id: Identifier | None = None
    genre: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    session_id: Identifier | None = None

    sql_rules: ClassVar[dict[str, tuple[str, str]]] = {
        "artist_id": (
            "coalesce(artist_id, concert_id, venue_id, genre) IS NOT NULL",
            "an interaction must name an artist, concert, venue or genre",
        ),
    }

    @model_validator(mode="after")
    def _has_a_subject(self) -> UserInteraction:
        if not (self.artist_id or self.concert_id or self.venue_id or self.genre):
            raise ValueError("an interaction must name an artist, concert, venue or genre")
        return self


@dataclass(frozen=True, slots=True)
class ForeignKey:
    field: str
    entity: str


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """How an entity is named, keyed and related, for every layer that handles it."""

    name: str
    model: type[_Record]
    key: str
    foreign_keys: tuple[ForeignKey, ...] = ()
    event_time: str | None = None  # the field that partitions the entity by date

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.model.model_fields)

    def validate(self, record: dict[str, Any]) -> _Record:
        return self.model.model_validate(record)


ENTITIES: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        EntitySpec("artists", Artist, "artist_id"),
        EntitySpec("venues", Venue, "venue_id"),
        EntitySpec(
            "concerts",
            Concert,
            "concert_id",
            (ForeignKey("artist_id", "artists"), ForeignKey("venue_id", "venues")),
            event_time="event_date",
        ),
        EntitySpec(
            "ticket_sales",
            TicketSale,
            "sale_id",
            (ForeignKey("concert_id", "concerts"),),
            event_time="purchase_timestamp",
        ),
        EntitySpec(
            "user_interactions",
            UserInteraction,
            "interaction_id",
            (
                ForeignKey("artist_id", "artists"),
                ForeignKey("concert_id", "concerts"),
                ForeignKey("venue_id", "venues"),
            ),
            event_time="timestamp",
        ),
    )
}


def entity_spec(name: str) -> EntitySpec:
    """The spec of an entity by its plural name, with a clear error for unknown names."""
    try:
        return ENTITIES[name]
    except KeyError:
        from foundation.errors import BadRequestError  # noqa: PLC0415

        raise BadRequestError(
            f"unknown entity {name!r}; expected one of {', '.join(ENTITIES)}", entity=name
        ) from None
