"""From the APIs' documented JSON to our model's records, one outcome per source item.

Every source item ends as exactly one mapped record or one :class:`Rejection`
with its field and reason (see :class:`EntityBatch`), so counts always add up.
Ids are prefixed by source (``spotify:{id}``, ``tm:{id}``), which keeps them
unique across sources and inside the model's identifier pattern. What an API
does not say is decided here, once, and never invented:

- Spotify artists carry no members nor formation date: ``members=[]`` and
  ``formation_date=None``. An artist object without ``popularity`` (Spotify
  withholds it from Development Mode apps since 2026) is rejected, as is the
  ``null`` that ``GET /artists?ids=`` returns for an unknown id.
- Ticketmaster publishes neither a venue's capacity nor its type, nor an
  artist's popularity. A venue is rejected unless :class:`Enrichment` supplies
  its capacity and type; an attraction unless it supplies a popularity (or the
  caller opts into ``default_popularity``). The raw pages are kept, so rejected
  items can be mapped again once enrichment exists.
- Ticketmaster prices: the ``standard`` price range (else the first); ``min``
  is the ``general`` tier and ``max`` the ``premium`` tier when higher. Events
  without ``priceRanges``, or priced in another currency than the batch's, are
  rejected: the model has no currency, so mixing currencies would corrupt revenue.
- Ticketmaster dates: ``dates.start.dateTime`` (UTC); else ``localDate`` and
  ``localTime`` (local midnight while the time is not announced) in the event's,
  else the venue's, time zone. Status: onsale and offsale -> scheduled,
  canceled -> cancelled, postponed and rescheduled -> postponed.
- Attraction genres: the ``genre`` and ``subGenre`` names of its
  classifications, without Ticketmaster's ``Undefined`` placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from concert.domain.models import ENTITIES, ConcertStatus, VenueType
from concert.ingest.connectors.exceptions import UnmappableRecordError

Record = dict[str, Any]
Mapper = Callable[[Any], Record]

_SPOTIFY_LINK = re.compile(r"open\.spotify\.com/artist/([0-9A-Za-z]{22})")
_TM_STATUS = {
    "onsale": ConcertStatus.SCHEDULED,
    "offsale": ConcertStatus.SCHEDULED,
    "canceled": ConcertStatus.CANCELLED,
    "cancelled": ConcertStatus.CANCELLED,
    "postponed": ConcertStatus.POSTPONED,
    "rescheduled": ConcertStatus.POSTPONED,
}
_TM_PLACEHOLDER_GENRES = frozenset({"undefined"})


@dataclass(frozen=True, slots=True)
class Rejection:
    """Item ``index`` of a batch could not become a record because of ``field``."""

    index: int
    field: str
    reason: str
    key: str | None = None  # the record's id, when it was known


@dataclass(frozen=True, slots=True)
class MappedRecord:
    """Item ``index`` of a batch as a model dict, not yet validated."""

    index: int
    record: Record


class EntityBatch:
    """The records and rejections of one entity, in source order.

    ``index`` counts the items given to :meth:`add`, from 0. A record whose key
    was already mapped in this batch is rejected as a duplicate, not dropped.
    """

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self.records: list[MappedRecord] = []
        self.rejections: list[Rejection] = []
        self._key = ENTITIES[entity].key
        self._first: dict[str, int] = {}

    @property
    def read(self) -> int:
        return len(self.records) + len(self.rejections)

    def add(self, item: Any, mapper: Mapper) -> None:
        index = self.read
        try:
            record = mapper(item)
        except UnmappableRecordError as exc:
            self.rejections.append(Rejection(index, exc.field, exc.reason, exc.key))
            return
        key = str(record[self._key])
        first = self._first.setdefault(key, index)
        if first != index:
            reason = f"duplicate of item {first} in this batch"
            self.rejections.append(Rejection(index, self._key, reason, key))
        else:
            self.records.append(MappedRecord(index, record))


@dataclass(frozen=True, slots=True)
class VenueFacts:
    capacity: int
    venue_type: VenueType


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What Ticketmaster does not publish, keyed by Ticketmaster's own ids."""

    venues: Mapping[str, VenueFacts] = field(default_factory=dict)
    artist_popularity: Mapping[str, int] = field(default_factory=dict)
    default_popularity: int | None = None  # opt-in: popularity of unenriched attractions


# -- Spotify -------------------------------------------------------------------


def spotify_artist(item: Any) -> Record:
    if item is None:
        raise UnmappableRecordError("artist_id", "Spotify answered null: no artist has this id")
    artist = _object(item, "the Spotify artist")
    artist_id = _source_id(artist, "artist_id", "spotify")
    if artist.get("popularity") is None:
        raise UnmappableRecordError(
            "popularity",
            "absent from the Spotify artist (Spotify withholds it from Development Mode apps)",
            key=artist_id,
        )
    return {
        "artist_id": artist_id,
        "name": artist.get("name"),
        "genres": artist.get("genres") or [],
        "popularity": artist["popularity"],
        "formation_date": None,
        "members": [],
        "spotify_id": artist["id"],
    }


def map_spotify_artists(items: Iterable[Any]) -> EntityBatch:
    batch = EntityBatch("artists")
    for item in items:
        batch.add(item, spotify_artist)
    return batch


# -- Ticketmaster ----------------------------------------------------------------


def ticketmaster_event(item: Any, *, currency: str = "USD") -> Record:
    event = _object(item, "the Ticketmaster event")
    concert_id = _source_id(event, "concert_id", "tm")
    attraction = _dig(event, "_embedded", "attractions", 0)
    venue = _dig(event, "_embedded", "venues", 0)
    return {
        "concert_id": concert_id,
        "artist_id": _embedded_id(attraction, "artist_id", "attractions", concert_id),
        "venue_id": _embedded_id(venue, "venue_id", "venues", concert_id),
        "event_date": _event_date(event, venue, concert_id),
        "ticket_prices": _ticket_prices(event, currency, concert_id),
        "status": _event_status(event, concert_id),
    }


def ticketmaster_venue(item: Any, enrichment: Enrichment) -> Record:
    venue = _object(item, "the Ticketmaster venue")
    venue_id = _source_id(venue, "venue_id", "tm")
    location = {axis: _coordinate(venue, axis, venue_id) for axis in ("latitude", "longitude")}
    facts = enrichment.venues.get(venue["id"])
    if facts is None:
        raise UnmappableRecordError(
            "capacity",
            "Ticketmaster publishes no venue capacity nor type; supply them in a venue facts "
            "file (skyline concert fetch-ticketmaster --venue-facts)",
            key=venue_id,
        )
    return {
        "venue_id": venue_id,
        "name": venue.get("name"),
        "city": _dig(venue, "city", "name"),
        "state": _dig(venue, "state", "stateCode") or _dig(venue, "state", "name"),
        "country": _dig(venue, "country", "countryCode"),
        "capacity": facts.capacity,
        "venue_type": facts.venue_type,
        **location,
    }


def ticketmaster_attraction(item: Any, enrichment: Enrichment) -> Record:
    attraction = _object(item, "the Ticketmaster attraction")
    artist_id = _source_id(attraction, "artist_id", "tm")
    popularity = enrichment.artist_popularity.get(attraction["id"], enrichment.default_popularity)
    if popularity is None:
        raise UnmappableRecordError(
            "popularity",
            "Ticketmaster publishes no artist popularity; supply it in an artist popularity "
            "file (--artist-popularity) or set a default (--default-popularity)",
            key=artist_id,
        )
    genres = [
        name
        for classification in attraction.get("classifications") or []
        for level in ("genre", "subGenre")
        if isinstance(name := _dig(classification, level, "name"), str)
        and name.strip().lower() not in _TM_PLACEHOLDER_GENRES
    ]
    return {
        "artist_id": artist_id,
        "name": attraction.get("name"),
        "genres": genres,
        "popularity": popularity,
        "formation_date": None,
        "members": [],
        "spotify_id": _spotify_link(attraction),
    }


def map_ticketmaster_events(
    events: Iterable[Any], *, enrichment: Enrichment, currency: str = "USD"
) -> dict[str, EntityBatch]:
    """Concerts from events; venues and artists from the distinct objects they embed.

    Every attraction of an event becomes an artist (supporting acts too); the
    concert's artist is its first, the headliner.
    """
    concerts = EntityBatch("concerts")
    embedded: dict[str, dict[str | int, Any]] = {"venues": {}, "attractions": {}}
    for event in events:
        concerts.add(event, lambda item: ticketmaster_event(item, currency=currency))
        for kind, seen in embedded.items():
            for found in _dig(event, "_embedded", kind) or []:
                key = _dig(found, "id")
                # An object without an id gets a key of its own, so its rejection is visible.
                seen.setdefault(key if isinstance(key, str) else len(seen), found)
    venues, artists = EntityBatch("venues"), EntityBatch("artists")
    for venue in embedded["venues"].values():
        venues.add(venue, lambda item: ticketmaster_venue(item, enrichment))
    for attraction in embedded["attractions"].values():
        artists.add(attraction, lambda item: ticketmaster_attraction(item, enrichment))
    return {"concerts": concerts, "venues": venues, "artists": artists}


# -- helpers -------------------------------------------------------------------


def _object(item: Any, what: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise UnmappableRecordError("item", f"{what} is {type(item).__name__}, not a JSON object")
    return item


def _dig(value: Any, *path: str | int) -> Any:
    """The member at ``path`` (names and list positions), or None anywhere it is missing."""
    for step in path:
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and len(value) > step else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
    return value


def _source_id(item: dict[str, Any], field_name: str, prefix: str) -> str:
    raw = item.get("id")
    if not isinstance(raw, str) or not raw.strip():
        raise UnmappableRecordError(field_name, "the source object has no id")
    return f"{prefix}:{raw}"


def _embedded_id(item: Any, field_name: str, kind: str, key: str) -> str:
    raw = _dig(item, "id")
    if not isinstance(raw, str) or not raw.strip():
        raise UnmappableRecordError(field_name, f"the event has no _embedded.{kind}[0].id", key=key)
    return f"tm:{raw}"


def _event_date(event: dict[str, Any], venue: Any, key: str) -> datetime | str:
    start = _dig(event, "dates", "start")
    moment = _dig(start, "dateTime")
    if isinstance(moment, str) and moment:
        return moment
    local_date = _dig(start, "localDate")
    if not isinstance(local_date, str) or not local_date:
        raise UnmappableRecordError(
            "event_date", "the event has no dates.start.dateTime nor localDate (TBA)", key=key
        )
    zone_name = _dig(event, "dates", "timezone") or _dig(venue, "timezone")
    if not isinstance(zone_name, str) or not zone_name:
        raise UnmappableRecordError(
            "event_date", "only a localDate, and no dates.timezone nor venue timezone", key=key
        )
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnmappableRecordError(
            "event_date", f"unknown time zone {zone_name!r}", key=key
        ) from None
    local_time = _dig(start, "localTime") or "00:00:00"
    try:
        local = datetime.fromisoformat(f"{local_date}T{local_time}")
    except ValueError:
        raise UnmappableRecordError(
            "event_date", f"unreadable localDate/localTime {local_date!r} {local_time!r}", key=key
        ) from None
    return local.replace(tzinfo=zone).astimezone(UTC)


def _ticket_prices(event: dict[str, Any], currency: str, key: str) -> dict[str, float]:
    ranges = [found for found in event.get("priceRanges") or [] if isinstance(found, dict)]
    if not ranges:
        raise UnmappableRecordError(
            "ticket_prices", "the event has no priceRanges (Ticketmaster omits many)", key=key
        )
    chosen = next((found for found in ranges if found.get("type") == "standard"), ranges[0])
    if chosen.get("currency") != currency:
        raise UnmappableRecordError(
            "ticket_prices",
            f"priced in {chosen.get('currency')!r}, not {currency} (the model has no currency)",
            key=key,
        )
    low, high = _number(chosen.get("min")), _number(chosen.get("max"))
    if low is None:
        raise UnmappableRecordError("ticket_prices", "the price range has no numeric min", key=key)
    prices = {"general": low}
    if high is not None and high > low:
        prices["premium"] = high
    return prices


def _event_status(event: dict[str, Any], key: str) -> ConcertStatus:
    code = _dig(event, "dates", "status", "code")
    status = _TM_STATUS.get(code.lower()) if isinstance(code, str) else None
    if status is None:
        raise UnmappableRecordError("status", f"unknown dates.status.code {code!r}", key=key)
    return status


def _coordinate(venue: dict[str, Any], axis: str, key: str) -> float | None:
    # The API sends coordinates as strings ("40.7505").
    raw = _dig(venue, "location", axis)
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise UnmappableRecordError(
            axis, f"location.{axis} {raw!r} is not a number", key=key
        ) from None


def _spotify_link(attraction: dict[str, Any]) -> str | None:
    for link in _dig(attraction, "externalLinks", "spotify") or []:
        found = _SPOTIFY_LINK.search(str(_dig(link, "url") or ""))
        if found:
            return found.group(1)
    return None


def _number(value: Any) -> float | None:
    # bool is an int in Python, never a number in JSON.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


__all__ = [
    "Enrichment",
    "EntityBatch",
    "MappedRecord",
    "Rejection",
    "VenueFacts",
    "map_spotify_artists",
    "map_ticketmaster_events",
    "spotify_artist",
    "ticketmaster_attraction",
    "ticketmaster_event",
    "ticketmaster_venue",
]
