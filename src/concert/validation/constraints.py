"""SQL checks generated from the pydantic models, for validating millions of rows at once.

Each model field becomes a :class:`FieldSql`: an expression that parses the
field's raw text (a CSV cell, a JSON or XML value; lists and maps as JSON
text) into its typed value, the checks that value must pass, in pydantic's
order and with pydantic's wording, and the normalised output of accepted rows.
Parsing mirrors pydantic's lax mode on text: whitespace stripped from strings,
``+5``, ``5.0`` and ``1_000`` read as integers, ``inf`` and ``nan`` as floats,
datetimes only with a time zone (or as Unix seconds, which are UTC), dates also
as datetimes at midnight. The model's ``sql_rules`` become row checks that run
once every field passed, as model validators do.
``tests/unit/concert/validation`` proves that the SQL and ``ENTITIES[name].validate``
give the same verdict on the same records.

The SQL runs in DuckDB over a relation whose columns are all VARCHAR. Enum
checks are ``=``/``OR`` chains on purpose: DuckDB plans an ``IN`` list as a
hash join, which does not keep row order, and row numbers are positions.
"""

from __future__ import annotations

import importlib
import re
import types
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import AfterValidator
from pydantic.fields import FieldInfo

from concert.domain.models import ENTITIES, EntitySpec
from concert.validation.exceptions import UnsupportedFieldError

Kind = Literal["str", "int", "float", "datetime", "date", "enum", "list", "dict"]

# Unicode White_Space: what pydantic (Rust's str::trim) strips from strings.
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)
_WS = "[" + "".join(f"\\x{{{ord(char):x}}}" for char in WHITESPACE) + "]"
_DIGITS = "[0-9]+(_[0-9]+)*"
_INT_FAST = "-?[0-9]{1,18}"
_INT_LAX = f"{_WS}*[+-]?{_DIGITS}(\\.0+)?{_WS}*"
_FLOAT_FAST = "-?[0-9]{1,15}(\\.[0-9]{1,15})?"
_FLOAT_TEXT = "[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?"
_FLOAT_WORDS = "[+-]?(inf|infinity|nan)"
_FLOAT_WORD = f"(?i){_FLOAT_WORDS}"
_FLOAT_LAX = f"{_WS}*{_FLOAT_TEXT}{_WS}*"
_FLOAT_SPECIAL = f"(?i){_WS}*{_FLOAT_WORDS}{_WS}*"
# pydantic reads a float written with underscores by deleting them, when they are single and
# neither first nor last, and then allows no whitespace around the number ("1e1_0" and "i_nf"
# pass, " 1_5" and "1__5" do not). Integers follow Python's digit grouping instead.
_UNDERSCORED = "[^_]+(_[^_]+)*"
_YEAR = "(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_DATE = f"{_YEAR}-[0-9]{{2}}-[0-9]{{2}}"
_TIME = "([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]+)?)?"
_OFFSET = "[+-]([01][0-9]|2[0-3]):?[0-5][0-9]"
_DATETIME_FAST = f"{_DATE}[T ]{_TIME}(Z|{_OFFSET})"
_DATETIME_ZONED = f"{_DATE}[Tt _]{_TIME}([Zz]|{_OFFSET})"
_DATETIME_NAIVE = f"{_DATE}([Tt _]{_TIME})?"
_MIDNIGHT = f"({_DATE})[Tt _]00:00(:00(\\.0+)?)?([Zz]|{_OFFSET})?"
_EPOCH = "[+-]?[0-9]{1,17}(\\.[0-9]+)?"
_EPOCH_DAYS = "[+-]?[0-9]{1,12}(\\.0+)?"
# pydantic reads Unix times above 2e10 as milliseconds; both stop at year 9999.
_EPOCH_MS_ABOVE = 20_000_000_000
_LATEST_EPOCH = 253_402_300_799
_EARLIEST_EPOCH = -62_135_596_800
ZONE_EXAMPLE = "2025-06-01T20:00:00Z"
ZONE_REASON = f"must include a time zone (e.g. {ZONE_EXAMPLE})"


def sql_string(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _full_match(text: str, pattern: str) -> str:
    return f"regexp_full_match({text}, {sql_string(pattern)})"


def _pattern_passes(text: str, pattern: str) -> str:
    """pydantic searches for its pattern; an anchored one without '|' is a (faster) full match."""
    inner = pattern[1:-1]
    anchored = pattern.startswith("^") and pattern.endswith("$") and not inner.endswith("\\")
    if anchored and "|" not in pattern:
        return _full_match(text, inner)
    return f"regexp_matches({text}, {sql_string(pattern)})"


# The regex parser behind ``re``; read to prove a pattern cannot match whitespace.
_regex_parser: Any = importlib.import_module("re._parser")
_WHITESPACE_CODES = frozenset(map(ord, WHITESPACE))
_SAFE_CATEGORIES = {"CATEGORY_DIGIT", "CATEGORY_WORD"}


def _may_match_whitespace(items: Iterable[tuple[Any, Any]]) -> bool:
    """Whether any element of a parsed pattern can match a whitespace character."""
    # Unknown elements (NOT_LITERAL, ANY, NEGATE, back references...) are assumed to.
    return any(_ELEMENT_MAY_MATCH.get(str(op), lambda _: True)(arg) for op, arg in items)


_ELEMENT_MAY_MATCH: dict[str, Callable[[Any], bool]] = {
    "LITERAL": lambda code: code in _WHITESPACE_CODES,
    "RANGE": lambda bounds: any(bounds[0] <= code <= bounds[1] for code in _WHITESPACE_CODES),
    "IN": _may_match_whitespace,
    "CATEGORY": lambda category: str(category) not in _SAFE_CATEGORIES,
    "MAX_REPEAT": lambda repeat: _may_match_whitespace(repeat[2]),
    "MIN_REPEAT": lambda repeat: _may_match_whitespace(repeat[2]),
    "SUBPATTERN": lambda group: _may_match_whitespace(group[3]),
    "BRANCH": lambda branch: any(_may_match_whitespace(items) for items in branch[1]),
    "AT": lambda _: False,
}


def _whitespace_free(pattern: str) -> str | None:
    """The unanchored body of an anchored pattern that never matches whitespace, else None.

    A raw value matching such a body has nothing to strip, so one regex both
    decides the usual value and spares the stripping.
    """
    inner = pattern[1:-1]
    if not (pattern.startswith("^") and pattern.endswith("$")) or "|" in pattern:
        return None
    if inner.endswith("\\"):
        return None
    try:
        parsed = _regex_parser.parse(inner)
    except re.error:
        return None
    return None if _may_match_whitespace(parsed.data) else inner


def _trim(text: str) -> str:
    return f"trim({text}, {sql_string(WHITESPACE)})"


def _strip(text: str) -> str:
    """pydantic's stripping; the cheap edge test skips the costly trim for most values."""
    edges = sql_string(f"^{_WS}|{_WS}$")
    return f"CASE WHEN regexp_matches({text}, {edges}) THEN {_trim(text)} ELSE {text} END"


# -- reading the models --------------------------------------------------------------------------

_BOUND_CLASSES = {
    "ge": annotated_types.Ge,
    "gt": annotated_types.Gt,
    "le": annotated_types.Le,
    "lt": annotated_types.Lt,
    "min_length": annotated_types.MinLen,
    "max_length": annotated_types.MaxLen,
}
_SCALAR_KINDS: dict[Any, Kind] = {
    str: "str",
    int: "int",
    float: "float",
    datetime: "datetime",
    date: "date",
}


@dataclass(frozen=True, slots=True)
class Bounds:
    """Constraints read from ``Field(...)`` and ``annotated_types`` metadata."""

    ge: Any = None
    gt: Any = None
    le: Any = None
    lt: Any = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    validators: tuple[Callable[..., Any], ...] = ()

    def with_metadata(self, metadata: Sequence[Any]) -> Bounds:
        bounds = self
        for item in metadata:
            if isinstance(item, FieldInfo):
                bounds = bounds.with_metadata(item.metadata)
            elif isinstance(item, AfterValidator):
                bounds = replace(bounds, validators=(*bounds.validators, item.func))
            else:
                bounds = bounds._with_constraint(item)
        return bounds

    def _with_constraint(self, item: Any) -> Bounds:
        for name, kind in _BOUND_CLASSES.items():
            if isinstance(item, kind):
                return replace(self, **{name: getattr(item, name)})
        pattern = getattr(item, "pattern", None)
        if not isinstance(pattern, str):
            raise UnsupportedFieldError(f"no SQL for the constraint {item!r}")
        return replace(self, pattern=pattern)


@dataclass(frozen=True, slots=True)
class Shape:
    """The type of a field, list item, map key or map value, with its constraints."""

    kind: Kind
    bounds: Bounds = field(default_factory=Bounds)
    enum_values: tuple[str, ...] = ()
    item: Shape | None = None  # list items and map values
    key: Shape | None = None  # map keys


def shape_of(annotation: Any, metadata: Sequence[Any] = ()) -> tuple[Shape, bool]:
    """The shape of a field annotation and whether it is Optional."""
    optional = False
    bounds = Bounds().with_metadata(metadata)
    while True:
        if get_origin(annotation) in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                raise UnsupportedFieldError(f"no SQL for the union {annotation!r}")
            optional, annotation = True, members[0]
        elif hasattr(annotation, "__metadata__"):
            bounds = bounds.with_metadata(annotation.__metadata__)
            annotation = get_args(annotation)[0]
        else:
            break
    origin = get_origin(annotation)
    if origin is list:
        (item,) = get_args(annotation)
        return Shape("list", bounds, item=shape_of(item)[0]), optional
    if origin is dict:
        key, value = get_args(annotation)
        return Shape("dict", bounds, key=shape_of(key)[0], item=shape_of(value)[0]), optional
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return Shape("enum", bounds, enum_values=tuple(m.value for m in annotation)), optional
    kind = _SCALAR_KINDS.get(annotation)
    if kind is None:
        raise UnsupportedFieldError(f"no SQL for the type {annotation!r}")
    return Shape(kind, bounds), optional


# -- scalars -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Check:
    """A condition on the parsed value (never NULL once the value is not NULL) and the
    reason shown when it fails, a SQL expression (most reasons are literals)."""

    passes: str
    reason: str


def _validator_names(shape: Shape) -> set[str]:
    return {getattr(func, "__name__", "") for func in shape.bounds.validators}


def parse_scalar(shape: Shape, text: str) -> tuple[str, str]:
    """SQL that parses ``text`` (VARCHAR) into the shape's type, NULL when it cannot,
    and the reason shown then."""
    kind = shape.kind
    if kind == "str":
        return _strip(text), "Input should be a valid string"
    if kind == "enum":
        return text, "Input should be a valid string"
    if kind == "int":
        # Known divergence, kept on purpose: pydantic-core drops leading zeros and underscores
        # before reading the sign, so it takes "0-12" as -12 and "+0__7" as 7; the SQL refuses
        # such text rather than copy that quirk.
        lax = f"replace(regexp_replace({_trim(text)}, '\\.0+$', ''), '_', '')"
        return (
            f"CASE WHEN {_full_match(text, _INT_FAST)} THEN TRY_CAST({text} AS BIGINT) "
            f"WHEN {_full_match(text, _INT_LAX)} THEN TRY_CAST({lax} AS BIGINT) END",
            "Input should be a valid integer, unable to parse string as an integer",
        )
    if kind == "float":
        joined = f"replace({text}, '_', '')"
        return (
            f"CASE WHEN {_full_match(text, _FLOAT_FAST)} THEN TRY_CAST({text} AS DOUBLE) "
            f"WHEN NOT contains({text}, '_') THEN CASE "
            f"WHEN {_full_match(text, _FLOAT_LAX)} THEN TRY_CAST({_trim(text)} AS DOUBLE) "
            f"WHEN {_full_match(text, _FLOAT_SPECIAL)} THEN {_float_word(text)} END "
            f"WHEN {_full_match(text, _UNDERSCORED)} THEN CASE "
            f"WHEN {_full_match(joined, _FLOAT_TEXT)} THEN TRY_CAST({joined} AS DOUBLE) "
            f"WHEN {_full_match(joined, _FLOAT_WORD)} THEN {_float_word(joined)} END END",
            "Input should be a valid number, unable to parse string as a number",
        )
    if kind == "datetime":
        if "_utc" not in _validator_names(shape):
            raise UnsupportedFieldError("datetimes must require a time zone (UtcDatetime)")
        return _parse_datetime(text), f"Input should be a valid datetime, e.g. {ZONE_EXAMPLE}"
    if kind == "date":
        return _parse_date(text), "Input should be a valid date in the format YYYY-MM-DD"
    raise UnsupportedFieldError(f"{kind} is not a scalar")


def _float_word(text: str) -> str:
    """The value of text known to spell infinity or NaN (with a sign, any case, padded)."""
    return (
        f"CASE WHEN contains(lower({text}), 'nan') THEN 'NaN'::DOUBLE "
        f"WHEN contains({text}, '-') THEN '-inf'::DOUBLE ELSE 'inf'::DOUBLE END"
    )


def _epoch_seconds(text: str) -> str:
    number = f"TRY_CAST({text} AS DOUBLE)"
    return f"CASE WHEN abs({number}) > {_EPOCH_MS_ABOVE} THEN {number} / 1000 ELSE {number} END"


def _parse_datetime(text: str) -> str:
    seconds = _epoch_seconds(text)
    return (
        f"CASE WHEN {_full_match(text, _DATETIME_FAST)} THEN TRY_CAST({text} AS TIMESTAMPTZ) "
        f"WHEN {_full_match(text, _DATETIME_ZONED)} "
        f"THEN TRY_CAST(upper(replace({text}, '_', 'T')) AS TIMESTAMPTZ) "
        f"WHEN {_full_match(text, _EPOCH)} "
        f"AND {seconds} BETWEEN {_EARLIEST_EPOCH} AND {_LATEST_EPOCH} "
        f"THEN to_timestamp({seconds}) END"
    )


def _parse_date(text: str) -> str:
    midnight = sql_string(_MIDNIGHT)
    number = f"TRY_CAST({text} AS DOUBLE)"
    return (
        f"CASE WHEN {_full_match(text, _DATE)} THEN TRY_CAST({text} AS DATE) "
        f"WHEN regexp_full_match({text}, {midnight}) "
        f"THEN TRY_CAST(regexp_extract({text}, {midnight}, 1) AS DATE) "
        f"WHEN {_full_match(text, _EPOCH_DAYS)} AND {number} % 86400 = 0 "
        f"AND {number} BETWEEN {_EARLIEST_EPOCH} AND {_LATEST_EPOCH} "
        f"THEN CAST(to_timestamp({number}) AS DATE) END"
    )


def _literal(kind: Kind, bound: Any) -> str:
    if kind == "date":
        return f"DATE '{bound.isoformat()}'"
    if kind == "datetime":
        return f"TIMESTAMPTZ '{bound.isoformat()}'"
    return repr(float(bound)) if kind == "float" else str(int(bound))


def _range_checks(shape: Shape, value: str) -> list[Check]:
    # pydantic's order: le, lt, ge, gt. NaN fails every bound, as comparisons do in Python
    # (DuckDB sorts NaN above every number).
    nan_guard = f"NOT isnan({value}) AND " if shape.kind == "float" else ""
    checks = []
    for name, operator, words in (
        ("le", "<=", "less than or equal to"),
        ("lt", "<", "less than"),
        ("ge", ">=", "greater than or equal to"),
        ("gt", ">", "greater than"),
    ):
        bound = getattr(shape.bounds, name)
        if bound is not None:
            checks.append(
                Check(
                    f"{nan_guard}{value} {operator} {_literal(shape.kind, bound)}",
                    sql_string(f"Input should be {words} {bound}"),
                )
            )
    return checks


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _length_checks(shape: Shape, length: str, subject: str, noun: str) -> list[Check]:
    """Length bounds; containers quote their size as pydantic does ("..., not 11")."""
    container = noun == "item"
    after = " after validation" if container else ""
    checks = []
    for bound, operator, words in (
        (shape.bounds.min_length, ">=", "at least"),
        (shape.bounds.max_length, "<=", "at most"),
    ):
        if bound is None:
            continue
        reason = sql_string(f"{subject} should have {words} {_count(bound, noun)}{after}")
        if container:
            reason = f"{reason} || ', not ' || {length}"
        checks.append(Check(f"{length} {operator} {bound}", reason))
    return checks


def scalar_checks(shape: Shape, value: str) -> list[Check]:
    """The checks of a parsed scalar, in pydantic's order."""
    if shape.kind == "enum":
        allowed = " OR ".join(f"{value} = {sql_string(v)}" for v in shape.enum_values)
        names = [f"'{v}'" for v in shape.enum_values]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" or {names[-1]}"
        return [Check(f"({allowed})", sql_string(f"Input should be {listed}"))]
    if shape.kind == "str":
        checks = _length_checks(shape, f"length({value})", "String", "character")
        pattern = shape.bounds.pattern
        if pattern is not None:
            checks.append(
                Check(
                    _pattern_passes(value, pattern),
                    sql_string(f"String should match pattern '{pattern}'"),
                )
            )
        return checks
    return _range_checks(shape, value)


# -- lists and maps (JSON text) ------------------------------------------------------------------


def _each_item(item: Shape, texts: str, label: Callable[[str], str]) -> list[Check]:
    """Every element of ``texts`` (a VARCHAR[]) must parse as ``item`` and pass its checks;
    the reason names the first element that does not, as pydantic's error location does."""
    parse, type_reason = parse_scalar(item, "r")
    value = f"({parse})"
    item_checks = [Check(f"{value} IS NOT NULL", sql_string(type_reason))]
    item_checks += scalar_checks(item, value)
    checks = []
    for check in item_checks:
        first = (
            f"list_position(list_transform({texts}, lambda r: coalesce({check.passes}, false)), "
            "false)"
        )
        checks.append(Check(f"{first} IS NULL", f"{label(first)} || ': ' || {check.reason}"))
    return checks


def _json_of(raw: str, json_type: str) -> str:
    return (
        f"CASE WHEN json_type(TRY_CAST({raw} AS JSON)) = '{json_type}' "
        f"THEN TRY_CAST({raw} AS JSON) END"
    )


def _genre_names(items: str) -> tuple[str, list[Check]]:
    """Mirror of the models' genre normaliser: lower case, single spaces, no repeats."""
    spaces = sql_string(f"{_WS}+")
    cleaned = (
        f"list_transform({items}, lambda g: "
        f"lower(regexp_replace({_trim('g')}, {spaces}, ' ', 'g')))"
    )
    unique = f"list_filter({cleaned}, lambda g, i: list_position({cleaned}, g) = i)"
    return unique, [Check(f"NOT list_contains({cleaned}, '')", "'genre names must not be blank'")]


_LIST_NORMALISERS: dict[str, Callable[[str], tuple[str, list[Check]]]] = {
    "_normalise_genres": _genre_names,
}


def _list_sql(shape: Shape, raw: str, value: str) -> tuple[str, list[Check], str]:
    item = shape.item
    if item is None or item.kind not in ("str", "enum", "int", "float", "date"):
        raise UnsupportedFieldError("lists must hold strings, numbers or dates")
    texts = f"json_extract_string({value}, '$[*]')"
    checks = _length_checks(shape, f"json_array_length({value})", "List", "item")
    if item.kind in ("str", "enum"):
        # pydantic does not turn JSON numbers into strings.
        strings = (
            f"list_transform(json_extract({value}, '$[*]'), lambda e: json_type(e) = 'VARCHAR')"
        )
        first = f"list_position({strings}, false)"
        checks.append(
            Check(
                f"{first} IS NULL",
                f"'item ' || ({first} - 1) || ': Input should be a valid string'",
            )
        )
    checks += _each_item(item, texts, lambda first: f"'item ' || ({first} - 1)")
    output = f"list_transform({texts}, lambda r: {parse_scalar(item, 'r')[0]})"
    for name in sorted(_validator_names(shape)):
        normaliser = _LIST_NORMALISERS.get(name)
        if normaliser is None:
            raise UnsupportedFieldError(f"no SQL mirror of the validator {name}")
        output, extra = normaliser(output)
        checks += extra
    return _json_of(raw, "ARRAY"), checks, output


def _dict_sql(shape: Shape, raw: str, value: str) -> tuple[str, list[Check], str]:
    key, item = shape.key, shape.item
    if key is None or item is None or key.kind != "str" or item.kind in ("list", "dict"):
        raise UnsupportedFieldError("maps need string keys and scalar values")
    keys = f"json_keys({value})"
    values = f"json_extract_string({value}, '$.*')"
    checks = _each_item(key, keys, lambda first: f"'key ' || to_json({keys}[{first}])")
    checks += _each_item(item, values, lambda first: f"'value of ' || to_json({keys}[{first}])")
    clean_keys = f"list_transform({keys}, lambda r: {parse_scalar(key, 'r')[0]})"
    checks += _length_checks(shape, f"len(list_distinct({clean_keys}))", "Dictionary", "item")
    # Keys equal once stripped: the last one wins, as in a Python dict.
    entries = (
        f"list_filter(list_zip({clean_keys}, "
        f"list_transform({values}, lambda r: {parse_scalar(item, 'r')[0]})), "
        f"lambda e, i: NOT list_contains({clean_keys}[i + 1:], e[1]))"
    )
    return _json_of(raw, "OBJECT"), checks, f"map_from_entries({entries})"


# -- fields and entities -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldSql:
    """One field's SQL. Expressions read the raw text as ``"<name>__raw"`` and the
    parsed value as ``"<name>"`` (the columns of :meth:`EntitySql.parsed_columns`)."""

    name: str
    shape: Shape
    required: bool
    default: str  # SQL used when the raw value is absent ("NULL" for optional fields)
    parse: str
    type_reason: str  # SQL, shown when the raw value does not parse
    checks: tuple[Check, ...]
    output: str
    helpers: tuple[tuple[str, str], ...] = ()  # (column, SQL over the raw text) before parsing

    @property
    def raw(self) -> str:
        return sql_identifier(f"{self.name}__raw")

    @property
    def value(self) -> str:
        return sql_identifier(self.name)

    @property
    def ok_column(self) -> str:
        return sql_identifier(f"{self.name}__ok")

    def ok(self) -> str:
        """TRUE when the field passes, never NULL.

        A CASE chain rather than AND: DuckDB evaluates every operand of AND/OR
        in a projection, while CASE only evaluates a branch for the rows that
        reach it.
        """
        absent = "false" if self.required else "true"
        branches = [
            f"WHEN {self.raw} IS NULL THEN {absent}",
            f"WHEN {self.value} IS NULL THEN false",
        ]
        branches += [f"WHEN NOT coalesce({c.passes}, false) THEN false" for c in self.checks]
        return "CASE " + " ".join(branches) + " ELSE true END"

    def reason(self) -> str:
        """The first failure's reason, NULL when the field passes."""
        absent = "'Field required'" if self.required else "NULL"
        branches = [
            f"WHEN {self.raw} IS NULL THEN {absent}",
            f"WHEN {self.value} IS NULL THEN {self.type_reason}",
            *(f"WHEN NOT coalesce({c.passes}, false) THEN {c.reason}" for c in self.checks),
        ]
        return "CASE " + " ".join(branches) + " END"

    def accepted(self) -> str:
        """The normalised value of an accepted row."""
        if self.default == "NULL":
            return self.output
        return f"CASE WHEN {self.raw} IS NULL THEN {self.default} ELSE {self.output} END"


def _default_sql(shape: Shape, default: Any) -> str:
    if default is None:
        return "NULL"
    if isinstance(default, Enum):
        return sql_string(str(default.value))
    if shape.kind == "list" and default == []:
        return "CAST([] AS VARCHAR[])"
    if isinstance(default, str):
        return sql_string(default)
    if isinstance(default, int | float) and not isinstance(default, bool):
        return repr(default)
    raise UnsupportedFieldError(f"no SQL for the default {default!r}")


def field_sql(name: str, info: FieldInfo) -> FieldSql:
    shape, _ = shape_of(info.annotation, info.metadata)
    required = info.is_required()
    default = (
        "NULL" if required else _default_sql(shape, info.get_default(call_default_factory=True))
    )
    raw, value = sql_identifier(f"{name}__raw"), sql_identifier(name)
    if shape.kind == "list":
        parse, checks, output = _list_sql(shape, raw, value)
        type_reason = "'Input should be a valid list (a JSON array)'"
    elif shape.kind == "dict":
        parse, checks, output = _dict_sql(shape, raw, value)
        type_reason = "'Input should be a valid dictionary (a JSON object)'"
    else:
        parse, reason = parse_scalar(shape, raw)
        type_reason = sql_string(reason)
        checks = scalar_checks(shape, value)
        output = value
        body = _whitespace_free(shape.bounds.pattern or "") if shape.kind == "str" else None
        if body is not None:
            matched = sql_identifier(f"{name}__match")
            parse = f"CASE WHEN {matched} THEN {raw} ELSE {parse} END"
            checks = [
                Check(f"CASE WHEN {matched} THEN true ELSE {c.passes} END", c.reason)
                if "regexp" in c.passes
                else c
                for c in checks
            ]
            helpers = ((matched, _full_match(raw, body)),)
            return FieldSql(
                name, shape, required, default, parse, type_reason, tuple(checks), output, helpers
            )
        if shape.kind == "datetime":
            # pydantic parses a naive datetime, then the model refuses its missing zone.
            naive = _full_match(raw, _DATETIME_NAIVE)
            type_reason = f"CASE WHEN {naive} THEN {sql_string(ZONE_REASON)} ELSE {type_reason} END"
    return FieldSql(name, shape, required, default, parse, type_reason, tuple(checks), output)


@dataclass(frozen=True, slots=True)
class Rule:
    """A cross-field rule from the model's ``sql_rules``, reported on ``field``."""

    field: str
    passes: str
    reason: str


@dataclass(frozen=True, slots=True)
class EntitySql:
    """Everything the engine needs to validate one entity in SQL."""

    spec: EntitySpec
    fields: tuple[FieldSql, ...]
    rules: tuple[Rule, ...]

    def raw_columns(self) -> list[str]:
        """Select-list items renaming the input's columns to ``"<f>__raw"``."""
        return [f"{sql_identifier(f.name)} AS {f.raw}" for f in self.fields]

    def helper_columns(self) -> list[str]:
        """Select-list items computed from the raw text before parsing (may be empty)."""
        return [f"{expr} AS {column}" for f in self.fields for column, expr in f.helpers]

    def parsed_columns(self) -> list[str]:
        """Select-list items parsing each ``"<f>__raw"`` into ``"<f>"``."""
        return [f"{f.parse} AS {f.value}" for f in self.fields]

    def ok_columns(self) -> list[str]:
        """Select-list items deciding each field: ``"<f>__ok"``."""
        return [f"{f.ok()} AS {f.ok_column}" for f in self.fields]

    def fields_ok(self) -> str:
        return " AND ".join(f.ok() for f in self.fields)

    def ok(self) -> str:
        """TRUE for a valid row, over the ``ok_columns``: every field passes, then every rule.

        One boolean column per field, then their conjunction, runs twice as fast
        in DuckDB as one large expression.
        """
        fields = " AND ".join(f.ok_column for f in self.fields)
        if not self.rules:
            return fields
        rules = " AND ".join(f"coalesce({rule.passes}, false)" for rule in self.rules)
        return f"CASE WHEN {fields} THEN {rules} ELSE false END"

    def reasons(self) -> list[tuple[str, str]]:
        """(field, SQL reason or NULL) for every field, then every rule."""
        reasons = [(f.name, f.reason()) for f in self.fields]
        fields_ok = self.fields_ok()
        reasons += [
            (
                rule.field,
                f"CASE WHEN {fields_ok} AND NOT coalesce({rule.passes}, false) "
                f"THEN {sql_string(rule.reason)} END",
            )
            for rule in self.rules
        ]
        return reasons

    def accepted_columns(self) -> list[str]:
        return [f"{f.accepted()} AS {f.value}" for f in self.fields]


@cache
def entity_sql(name: str) -> EntitySql:
    """The generated SQL of an entity, built once per process."""
    spec = ENTITIES[name]
    fields = tuple(field_sql(n, info) for n, info in spec.model.model_fields.items())
    rules = tuple(
        Rule(field_name, condition, f"{field_name} {reason}")
        for field_name, (condition, reason) in spec.model.sql_rules.items()
    )
    return EntitySql(spec, fields, rules)


__all__ = [
    "WHITESPACE",
    "ZONE_REASON",
    "Bounds",
    "Check",
    "EntitySql",
    "FieldSql",
    "Rule",
    "Shape",
    "entity_sql",
    "field_sql",
    "parse_scalar",
    "scalar_checks",
    "shape_of",
    "sql_identifier",
    "sql_string",
]
