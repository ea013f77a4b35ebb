"""Rules read off the pydantic models, so the checks and the models cannot drift apart.

For each field of an entity's model: a completeness rule when the field is
not optional, a range from ``ge``/``gt``/``le``/``lt``, accepted values from an
enum, a pattern from ``pattern``; the model's ``sql_rules`` (cross-field rules
such as total = quantity x unit price) as expressions; a uniqueness rule on
the key and a referential integrity rule per foreign key in ``ENTITIES``.
Constraints inside lists and maps (genre names, tier prices) are not derived:
Redshift keeps those columns as SUPER, which DuckDB's list functions do not
translate to.
"""

from __future__ import annotations

import types
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

import annotated_types
from pydantic.fields import FieldInfo

from concert.domain import EntitySpec
from concert.quality.rules import (
    AcceptedValues,
    Completeness,
    Expression,
    Pattern,
    Range,
    ReferentialIntegrity,
    Rule,
    Uniqueness,
)

_NESTED = (list, dict)


def _unwrap(annotation: Any) -> tuple[Any, list[Any], bool]:
    """The base type of a field annotation, its constraint metadata, and whether it is optional."""
    metadata: list[Any] = []
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            for item in extra:
                metadata.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            optional = optional or len(members) < len(get_args(annotation))
            if len(members) != 1:
                return annotation, metadata, optional
            annotation = members[0]
        else:
            return annotation, metadata, optional


def _bounds(metadata: list[Any]) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            bounds["minimum"] = item.ge
        elif isinstance(item, annotated_types.Gt):
            bounds["minimum"], bounds["exclusive_minimum"] = item.gt, True
        elif isinstance(item, annotated_types.Le):
            bounds["maximum"] = item.le
        elif isinstance(item, annotated_types.Lt):
            bounds["maximum"], bounds["exclusive_maximum"] = item.lt, True
    return bounds


def _range_text(bounds: dict[str, Any]) -> str:
    parts = []
    if "minimum" in bounds:
        parts.append(f"{'>' if bounds.get('exclusive_minimum') else '>='} {bounds['minimum']}")
    if "maximum" in bounds:
        parts.append(f"{'<' if bounds.get('exclusive_maximum') else '<='} {bounds['maximum']}")
    return " and ".join(parts)


def _field_rules(spec: EntitySpec, name: str, info: FieldInfo, *, threshold: float) -> list[Rule]:
    base, metadata, optional = _unwrap(info.annotation)
    metadata = [*info.metadata, *metadata]
    nested = get_origin(base) in _NESTED
    entity = spec.name
    strict = 1.0 if name == spec.key else threshold
    rules: list[Rule] = []
    if not optional and (not nested or info.is_required()):
        rules.append(
            Completeness(
                id=f"{entity}.{name}.complete",
                entity=entity,
                column=name,
                description=f"{name} is present" + (" (not blank)" if base is str else ""),
                threshold=strict,
            )
        )
    if nested:
        return rules
    bounds = _bounds(metadata)
    if bounds:
        rules.append(
            Range(
                id=f"{entity}.{name}.range",
                entity=entity,
                column=name,
                description=f"{name} is {_range_text(bounds)}",
                threshold=threshold,
                **bounds,
            )
        )
    if isinstance(base, type) and issubclass(base, Enum):
        values = tuple(str(member.value) for member in base)
        rules.append(
            AcceptedValues(
                id=f"{entity}.{name}.accepted",
                entity=entity,
                column=name,
                values=values,
                description=f"{name} is one of {', '.join(values)}",
                threshold=threshold,
            )
        )
    pattern = next((item.pattern for item in metadata if getattr(item, "pattern", None)), None)
    if pattern is not None:
        rules.append(
            Pattern(
                id=f"{entity}.{name}.pattern",
                entity=entity,
                column=name,
                regex=pattern,
                description=f"{name} matches {pattern}",
                threshold=strict,
            )
        )
    return rules


def model_rules(spec: EntitySpec, *, threshold: float) -> tuple[Rule, ...]:
    """Every rule the model implies; ``threshold`` applies to non-key field rules.

    The key's rules, uniqueness and referential integrity must hold for every row (1.0).
    """
    entity = spec.name
    rules: list[Rule] = []
    for name, info in spec.model.model_fields.items():
        rules += _field_rules(spec, name, info, threshold=threshold)
    rules += [
        Expression(
            id=f"{entity}.{field}.rule",
            entity=entity,
            predicate=predicate,
            description=f"{field}: {message}",
            threshold=threshold,
        )
        for field, (predicate, message) in spec.model.sql_rules.items()
    ]
    rules.append(
        Uniqueness(
            id=f"{entity}.{spec.key}.unique",
            entity=entity,
            column=spec.key,
            description=f"{spec.key} is unique across batches (later copies fail)",
        )
    )
    rules += [
        ReferentialIntegrity(
            id=f"{entity}.{foreign_key.field}.references",
            entity=entity,
            column=foreign_key.field,
            references=foreign_key.entity,
            description=f"{foreign_key.field} is a loaded {foreign_key.entity} key",
        )
        for foreign_key in spec.foreign_keys
    ]
    return tuple(rules)


__all__ = ["model_rules"]
