"""Every data quality rule, per entity, declared as data in this one place.

The rules come from three declarations below:

1. What the models say (:func:`concert.quality.derive.model_rules`): required
   fields present, ranges, enums, patterns, the models' cross-field rules,
   unique keys and resolvable foreign keys. Key rules must hold for every row;
   other field rules for :data:`FIELD_THRESHOLD` of them.
2. :data:`OVERRIDES`: where a derived rule's severity or threshold differs.
3. :data:`EXTRA_RULES`: freshness and the business rules, each explained.

Business rules, and what they deliberately leave out:

- A completed concert's attendance fits its venue's capacity.
- A concert reported as completed has happened (its date is not after ``as_of``).
- A cancelled concert keeps no revenue beyond refunds. Tickets sold before the
  cancellation are real sales, and the model records neither refunds nor the
  cancellation time, so sales of cancelled concerts are not flagged; what must
  hold is that the concert itself reports no revenue (NULL or 0).
- Tickets are sold before the event starts (1 % tolerated for door sales).
- Sales and interactions are not from the future (one hour of clock skew allowed).

Freshness rules are warnings: a quiet day is not broken data, but someone
should look. Artists and venues change slowly and are refreshed weekly.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta
from typing import Any

from concert.domain import ENTITIES
from concert.quality.derive import model_rules
from concert.quality.exceptions import RuleDefinitionError
from concert.quality.matching import NameMatch
from concert.quality.rules import BusinessRule, Freshness, Lookup, Rule, Severity

#: Share of rows that must pass a derived rule on a non-key field.
FIELD_THRESHOLD = 0.99

_AS_OF = "CAST($as_of AS TIMESTAMPTZ)"
_CLOCK_SKEW = "INTERVAL '3600 seconds'"

OVERRIDES: dict[str, dict[str, Any]] = {
    # Interactions are a behavioural log: they may name a concert or an artist
    # whose batch is not loaded yet, so a few dangling references are a warning.
    **{
        f"user_interactions.{column}.references": {
            "severity": Severity.WARNING,
            "threshold": FIELD_THRESHOLD,
        }
        for column in ("artist_id", "concert_id", "venue_id")
    },
}


def _fresh(entity: str, column: str, days: int) -> Freshness:
    what = "rows were loaded" if column == "_ingested_at" else f"the newest {column} is"
    return Freshness(
        id=f"{entity}.{column}.fresh",
        entity=entity,
        column=column,
        max_age=timedelta(days=days),
        severity=Severity.WARNING,
        description=f"{what} within {days} day{'s' if days > 1 else ''} before as_of",
    )


EXTRA_RULES: tuple[Rule, ...] = (
    _fresh("artists", "_ingested_at", 7),
    _fresh("venues", "_ingested_at", 7),
    _fresh("concerts", "_ingested_at", 2),
    _fresh("ticket_sales", "_ingested_at", 1),
    _fresh("ticket_sales", "purchase_timestamp", 2),
    _fresh("user_interactions", "_ingested_at", 1),
    _fresh("user_interactions", "timestamp", 1),
    BusinessRule(
        id="concerts.attendance_within_capacity",
        entity="concerts",
        description="total_attendance does not exceed the venue's capacity",
        predicate=(
            "total_attendance IS NULL OR venue.venue_capacity IS NULL "
            "OR total_attendance <= venue.venue_capacity"
        ),
        joins=(
            Lookup(
                alias="venue",
                entity="venues",
                via="venue_id",
                columns=(("venue_capacity", "max(capacity)"),),
            ),
        ),
    ),
    BusinessRule(
        id="concerts.completed_in_the_past",
        entity="concerts",
        description="a completed concert's event_date is not after as_of",
        predicate=f"coalesce(status, '') <> 'completed' OR event_date <= {_AS_OF}",
    ),
    BusinessRule(
        id="concerts.cancelled_without_revenue",
        entity="concerts",
        description="a cancelled concert reports no revenue (its tickets are refunded)",
        predicate="coalesce(status, '') <> 'cancelled' OR coalesce(revenue, 0) = 0",
        severity=Severity.WARNING,
    ),
    BusinessRule(
        id="ticket_sales.sold_before_event",
        entity="ticket_sales",
        description="purchase_timestamp is not after the concert's event_date",
        predicate=(
            "concert.concert_event_date IS NULL OR purchase_timestamp <= concert.concert_event_date"
        ),
        joins=(
            Lookup(
                alias="concert",
                entity="concerts",
                via="concert_id",
                columns=(("concert_event_date", "max(event_date)"),),
            ),
        ),
        threshold=FIELD_THRESHOLD,
    ),
    BusinessRule(
        id="ticket_sales.not_in_the_future",
        entity="ticket_sales",
        description="purchase_timestamp is not after as_of (one hour of clock skew allowed)",
        predicate=f"purchase_timestamp <= {_AS_OF} + {_CLOCK_SKEW}",
    ),
    BusinessRule(
        id="user_interactions.not_in_the_future",
        entity="user_interactions",
        description="timestamp is not after as_of (one hour of clock skew allowed)",
        predicate=f'"timestamp" <= {_AS_OF} + {_CLOCK_SKEW}',
    ),
)

#: How fuzzy duplicates are found: by which name, compared within which columns.
NAME_MATCHES: dict[str, NameMatch] = {
    "artists": NameMatch(column="name"),
    "venues": NameMatch(column="name", within=("city", "country")),
}


def _catalog() -> tuple[Rule, ...]:
    derived = [
        rule for spec in ENTITIES.values() for rule in model_rules(spec, threshold=FIELD_THRESHOLD)
    ]
    unknown = set(OVERRIDES) - {rule.id for rule in derived}
    if unknown:
        raise RuleDefinitionError("overrides a rule that is not derived", rule=sorted(unknown)[0])
    rules = [replace(rule, **OVERRIDES.get(rule.id, {})) for rule in derived]
    rules += EXTRA_RULES
    ids = Counter(rule.id for rule in rules)
    repeated = [rule_id for rule_id, count in ids.items() if count > 1]
    if repeated:
        raise RuleDefinitionError("more than one rule has this id", rule=repeated[0])
    order = list(ENTITIES)
    return tuple(sorted(rules, key=lambda rule: order.index(rule.entity)))


#: Every rule, grouped by entity in ``ENTITIES`` order.
CATALOG: tuple[Rule, ...] = _catalog()


def catalog_rules(entities: list[str] | None = None) -> list[Rule]:
    """The catalog's rules for ``entities`` (all when None)."""
    return [rule for rule in CATALOG if entities is None or rule.entity in entities]


__all__ = [
    "CATALOG",
    "EXTRA_RULES",
    "FIELD_THRESHOLD",
    "NAME_MATCHES",
    "OVERRIDES",
    "catalog_rules",
]
