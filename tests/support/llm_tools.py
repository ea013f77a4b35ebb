"""Tool specs the LLM tests share: a weather lookup and a venue ranking."""

from foundation.llm import ToolSpec

WEATHER = ToolSpec(
    "get_weather",
    "Current weather conditions and temperature for a city",
    {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "Name of the city"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city"],
    },
)
TOP_VENUES = ToolSpec(
    "top_venues",
    "Most popular concert venues ranked by popularity score",
    {
        "type": "object",
        "properties": {
            "limit": {"type": "integer", "minimum": 1, "maximum": 50},
            "year": {"type": "integer", "minimum": 1900, "maximum": 2100},
            "genre": {"type": "string", "enum": ["rock", "pop", "jazz", "hip_hop"]},
        },
    },
)

__all__ = ["TOP_VENUES", "WEATHER"]
