"""The duplicate report: exact duplicates found in SQL, fuzzy ones from the names.

Exact, in the warehouse (portable SQL):

- ``same_key``: a key loaded more than once (a batch delivered twice, or an
  event replayed), every entity. One member per (key, batch). At most
  ``max_groups`` keys per entity are listed (the uniqueness rule counts them all).
- ``same_content``: different keys whose latest versions agree on every
  scalar field (artists and venues, the entities people create by hand).

Fuzzy, over the names pulled as Arrow (see :mod:`concert.quality.matching`
for why this part runs in Python): ``similar_name`` groups keys whose names
normalise to the same words or differ by a typo in one word, venues only
within the same city and country. Keys already reported as ``same_content``
together are not paired again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pyarrow as pa

from concert.domain import ENTITIES
from concert.domain.schema import arrow_schema
from concert.quality.catalog import NAME_MATCHES
from concert.quality.matching import NameMatch, connected_groups, similar_pairs
from concert.quality.rules import raw_table
from foundation.warehouse import Warehouse

#: Called as ``progress(step, done, total)``, for progress bars.
Progress = Callable[[str, int, int], None]
#: Keys listed per entity and reason, so one re-delivered batch cannot flood the report.
DEFAULT_MAX_GROUPS = 1_000


class DuplicateKind(StrEnum):
    EXACT = "exact"
    FUZZY = "fuzzy"


class DuplicateReason(StrEnum):
    SAME_KEY = "same_key"
    SAME_CONTENT = "same_content"
    SIMILAR_NAME = "similar_name"


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Rows that are (probably) one record; ``keys``, ``names`` and ``batch_ids`` list
    the members side by side. ``score`` is 1 for exact groups and the weakest
    pair's name similarity (0-1) for fuzzy ones."""

    entity: str
    kind: DuplicateKind
    reason: DuplicateReason
    keys: tuple[str, ...]
    names: tuple[str | None, ...]
    batch_ids: tuple[str, ...]
    score: float


def content_columns(entity: str) -> tuple[str, ...]:
    """The scalar fields besides the key: what two records must share to be the same content."""
    spec = ENTITIES[entity]
    schema = arrow_schema(spec, lineage=False)
    return tuple(
        field.name
        for field in schema
        if field.name != spec.key
        and not (pa.types.is_list(field.type) or pa.types.is_map(field.type))
    )


def _latest(entity: str, columns: Iterable[str]) -> str:
    """Each key's latest version, as staging keeps it."""
    key = ENTITIES[entity].key
    selected = ", ".join(dict.fromkeys([key, *columns, "_batch_id"]))
    return (
        f"SELECT {selected}, row_number() OVER "  # noqa: S608 - names come from the models, never from input
        f"(PARTITION BY {key} ORDER BY _ingested_at DESC, _batch_id DESC) AS version_rank "
        f"FROM {raw_table(entity)} WHERE {key} IS NOT NULL"
    )


def _name_column(entity: str) -> str | None:
    match = NAME_MATCHES.get(entity)
    return match.column if match else None


def same_key_sql(entity: str, max_groups: int = DEFAULT_MAX_GROUPS) -> str:
    key = ENTITIES[entity].key
    name = _name_column(entity)
    member_name = f"max(t.{name})" if name else "CAST(NULL AS VARCHAR)"
    return f"""WITH repeated AS (
    SELECT {key} AS member_key
    FROM {raw_table(entity)}
    WHERE {key} IS NOT NULL
    GROUP BY {key}
    HAVING count(*) > 1
    ORDER BY {key}
    LIMIT {int(max_groups)}
)
SELECT repeated.member_key, {member_name} AS member_name, t._batch_id AS batch_id
FROM {raw_table(entity)} AS t
JOIN repeated ON t.{key} = repeated.member_key
GROUP BY repeated.member_key, t._batch_id
ORDER BY repeated.member_key, t._batch_id"""  # noqa: S608 - names come from the models, never from input


def same_content_sql(entity: str) -> str:
    key = ENTITIES[entity].key
    name = _name_column(entity) or key
    content = ", ".join(content_columns(entity))
    return f"""WITH versions AS (
    {_latest(entity, content_columns(entity))}
),
grouped AS (
    SELECT
        {key} AS member_key,
        {name} AS member_name,
        _batch_id AS batch_id,
        count(*) OVER (PARTITION BY {content}) AS group_size,
        dense_rank() OVER (ORDER BY {content}) AS group_number
    FROM versions
    WHERE version_rank = 1
)
SELECT group_number, member_key, member_name, batch_id
FROM grouped
WHERE group_size > 1
ORDER BY group_number, member_key"""  # noqa: S608 - names come from the models, never from input


def names_sql(entity: str, match: NameMatch) -> str:
    key = ENTITIES[entity].key
    within = "".join(f", {column}" for column in match.within)
    return f"""SELECT
    {key} AS member_key, {match.column} AS member_name, _batch_id AS batch_id{within}
FROM ({_latest(entity, (match.column, *match.within))}) AS versions
WHERE version_rank = 1 AND {match.column} IS NOT NULL
ORDER BY member_key"""  # noqa: S608 - names come from the models, never from input


def _group(
    entity: str,
    kind: DuplicateKind,
    reason: DuplicateReason,
    rows: list[dict[str, Any]],
    score: float,
) -> DuplicateGroup:
    return DuplicateGroup(
        entity=entity,
        kind=kind,
        reason=reason,
        keys=tuple(str(row["member_key"]) for row in rows),
        names=tuple(row["member_name"] for row in rows),
        batch_ids=tuple(str(row["batch_id"]) for row in rows),
        score=score,
    )


def _grouped_by(rows: list[dict[str, Any]], column: str) -> list[list[dict[str, Any]]]:
    groups: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row[column], []).append(row)
    return list(groups.values())


def _same_key(warehouse: Warehouse, entity: str, max_groups: int) -> list[DuplicateGroup]:
    rows = warehouse.query(same_key_sql(entity, max_groups)).to_pylist()
    return [
        _group(entity, DuplicateKind.EXACT, DuplicateReason.SAME_KEY, members, 1.0)
        for members in _grouped_by(rows, "member_key")
    ]


def _same_content(warehouse: Warehouse, entity: str, max_groups: int) -> list[DuplicateGroup]:
    rows = warehouse.query(same_content_sql(entity)).to_pylist()
    return [
        _group(entity, DuplicateKind.EXACT, DuplicateReason.SAME_CONTENT, members, 1.0)
        for members in _grouped_by(rows, "group_number")
    ][:max_groups]


def _similar_names(
    warehouse: Warehouse,
    entity: str,
    match: NameMatch,
    exact: list[DuplicateGroup],
    max_groups: int,
) -> list[DuplicateGroup]:
    rows = warehouse.query(names_sql(entity, match)).to_pylist()
    pairs = similar_pairs(
        [str(row["member_name"]) for row in rows],
        [[str(row[column] or "") for column in match.within] for row in rows],
    )
    exact_group = {key: number for number, group in enumerate(exact) for key in group.keys}

    def reported(left: int, right: int) -> bool:
        group = exact_group.get(rows[left]["member_key"])
        return group is not None and group == exact_group.get(rows[right]["member_key"])

    kept = {pair: score for pair, score in pairs.items() if not reported(*pair)}
    return [
        _group(
            entity,
            DuplicateKind.FUZZY,
            DuplicateReason.SIMILAR_NAME,
            [rows[index] for index in members],
            round(score, 4),
        )
        for members, score in connected_groups(kept)
    ][:max_groups]


def find_duplicates(
    warehouse: Warehouse,
    entities: Iterable[str] | None = None,
    *,
    max_groups: int = DEFAULT_MAX_GROUPS,
    progress: Progress | None = None,
) -> list[DuplicateGroup]:
    """The duplicate report for ``entities`` (every entity when None) whose raw table exists."""
    tables = {name.lower() for name in warehouse.list_tables()}
    chosen = list(entities if entities is not None else ENTITIES)
    groups: list[DuplicateGroup] = []
    for done, entity in enumerate(chosen, 1):
        if raw_table(entity) in tables:
            groups += _entity_duplicates(warehouse, entity, max_groups)
        if progress is not None:
            progress("duplicates", done, len(chosen))
    return groups


def _entity_duplicates(warehouse: Warehouse, entity: str, max_groups: int) -> list[DuplicateGroup]:
    groups = _same_key(warehouse, entity, max_groups)
    match = NAME_MATCHES.get(entity)
    if match is not None:
        exact = _same_content(warehouse, entity, max_groups)
        groups += exact
        groups += _similar_names(warehouse, entity, match, exact, max_groups)
    return groups


def report_sql(entity: str) -> list[str]:
    """Every query the report runs for ``entity`` (for the Redshift translation check)."""
    match = NAME_MATCHES.get(entity)
    if match is None:
        return [same_key_sql(entity)]
    return [same_key_sql(entity), same_content_sql(entity), names_sql(entity, match)]


__all__ = [
    "DEFAULT_MAX_GROUPS",
    "DuplicateGroup",
    "DuplicateKind",
    "DuplicateReason",
    "Progress",
    "content_columns",
    "find_duplicates",
    "names_sql",
    "report_sql",
    "same_content_sql",
    "same_key_sql",
]
