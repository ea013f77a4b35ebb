"""Reading server-sent events back, as a browser's EventSource parser would."""

from __future__ import annotations

import json
from typing import Any


def parse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """``(event, data)`` for each event of an SSE body whose data lines are JSON."""
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        name, data = "message", []
        for line in block.split("\n"):
            field, _, value = line.partition(": ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        events.append((name, json.loads("\n".join(data))))
    return events
