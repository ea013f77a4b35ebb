"""The one definition of valid concert data: pydantic models and their registry.

Every ingestion path validates against these models, either record by record
(:func:`validate_record`) or in bulk through SQL predicates generated from the
same field constraints (:mod:`concert.domain.constraints`).
"""

from concert.domain.models import (
    ENTITIES,
    Artist,
    Concert,
    ConcertStatus,
    EntitySpec,
    InteractionType,
    PaymentMethod,
    TicketSale,
    UserInteraction,
    Venue,
    VenueType,
    entity_spec,
)

__all__ = [
    "ENTITIES",
    "Artist",
    "Concert",
    "ConcertStatus",
    "EntitySpec",
    "InteractionType",
    "PaymentMethod",
    "TicketSale",
    "UserInteraction",
    "Venue",
    "VenueType",
    "entity_spec",
]
