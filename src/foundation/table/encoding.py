"""How values cross every adapter's boundary the same way: numbers, cursors, size errors."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from foundation.table.exceptions import InvalidQueryError

# DynamoDB's item size limit; the local adapter enforces it on the JSON text.
MAX_ITEM_BYTES = 400 * 1024


def number_from_text(text: str) -> int | float:
    """A stored number as int when integral (``"3.0"``, ``"1E+2"``), else the exact float."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return float(text)  # NaN and Infinity never pass validation; kept for safety
    if value == value.to_integral_value():
        return int(value)
    return float(text)


def encode_cursor(position: Any) -> str:
    """An opaque, URL-safe cursor for a JSON-serializable resume position."""
    text = json.dumps(position, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    """The position inside ``cursor``; raises InvalidQueryError if it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InvalidQueryError("cursor", "not a cursor returned by query()", cursor) from exc


def largest_attribute(item: Mapping[str, Any]) -> str:
    """The attribute to blame when an item is too large: the one with the longest value."""
    return max(item, key=lambda name: len(json.dumps(item[name], default=str)), default="")


__all__ = [
    "MAX_ITEM_BYTES",
    "decode_cursor",
    "encode_cursor",
    "largest_attribute",
    "number_from_text",
]
