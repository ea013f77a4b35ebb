"""The offline engine and its lexical planner, and the tool loop's handling of bad calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from foundation.llm import (
    ChatRequest,
    LexicalPlanner,
    LlmRequestError,
    Message,
    MessageStop,
    OfflineChatModel,
    PlannedCall,
    TextDelta,
    Tool,
    ToolLoopError,
    ToolSpec,
    collect_stream,
    run_tool_loop,
)
from foundation.llm.tools import validate_tool_input
from tests.support.llm_tools import TOP_VENUES, WEATHER

ARTIST_CONCERTS = ToolSpec(
    "artist_concerts",
    "Upcoming concerts of an artist",
    {
        "type": "object",
        "properties": {
            "artist": {"type": "string", "description": "Artist name"},
            "city": {"type": "string", "description": "City where the concert happens"},
            "from_date": {"type": "string", "format": "date"},
        },
        "required": ["artist"],
    },
)
FIND_VENUES = ToolSpec(
    "find_venues",
    "Find venues by ticket price and capacity",
    {
        "type": "object",
        "properties": {"capacity": {"type": "integer"}, "price": {"type": "number"}},
    },
)
ALL_TOOLS = (WEATHER, TOP_VENUES, ARTIST_CONCERTS, FIND_VENUES)


def ask(text: str, tools: Sequence[ToolSpec] = ALL_TOOLS, **options: Any) -> ChatRequest:
    return ChatRequest((Message.user(text),), tools=tuple(tools), **options)


def planned(text: str, tools: Sequence[ToolSpec] = ALL_TOOLS) -> list[PlannedCall]:
    return LexicalPlanner().plan(ask(text, tools))


@dataclass
class ScriptedPlanner:
    """A stand-in for a domain planner: fixed calls for every round, fixed answer."""

    calls: list[PlannedCall]
    rounds: int = 1
    seen: list[ChatRequest] = field(default_factory=list)

    def plan(self, request: ChatRequest) -> list[PlannedCall]:
        self.seen.append(request)
        finished_rounds = sum(1 for message in request.messages if message.tool_results)
        return self.calls if finished_rounds < self.rounds else []

    def compose(self, request: ChatRequest) -> str:
        results = request.messages[-1].tool_results
        return f"composed from {len(results)} results"


def weather_handler(arguments: dict[str, Any]) -> dict[str, Any]:
    if arguments["city"] == "Atlantis":
        raise LookupError("no weather station in Atlantis")
    return {"city": arguments["city"], "temperature_c": 18, "conditions": "sunny"}


# --- determinism ----------------------------------------------------------------------------


def test_same_request_gives_the_same_response_and_tool_use_ids() -> None:
    request = ask('What is the weather in "Paris"?')

    first = OfflineChatModel().converse(request)
    second = OfflineChatModel().converse(request)

    assert first == second
    assert first.stop_reason == "tool_use"
    assert first.message.tool_uses[0].id.startswith("tooluse_")


def test_different_requests_get_different_tool_use_ids() -> None:
    paris = OfflineChatModel().converse(ask('What is the weather in "Paris"?'))
    rome = OfflineChatModel().converse(ask('What is the weather in "Rome"?'))

    assert paris.message.tool_uses[0].id != rome.message.tool_uses[0].id


# --- choosing a tool and filling its arguments ----------------------------------------------


def test_picks_the_tool_whose_words_match_and_fills_enum_and_numbers() -> None:
    calls = planned("Show me the top 5 venues for hip hop in 2024")

    assert calls == [PlannedCall("top_venues", {"genre": "hip_hop", "limit": 5, "year": 2024})]


def test_fills_strings_from_quotes_and_capitalised_phrases_and_dates() -> None:
    quoted = planned("Upcoming concerts for 'Coldplay' from 2025-06-01")
    capitalised = planned("Show concerts by Adele's band in New York City")

    assert quoted == [
        PlannedCall("artist_concerts", {"artist": "Coldplay", "from_date": "2025-06-01"})
    ]
    assert capitalised == [
        PlannedCall("artist_concerts", {"artist": "Adele", "city": "New York City"})
    ]


def test_words_that_name_the_tool_are_not_taken_as_values() -> None:
    assert planned("Weather in Paris please") == [PlannedCall("get_weather", {"city": "Paris"})]


def test_numbers_go_to_the_property_named_next_to_them() -> None:
    calls = planned("find venues where ticket price is below 80 and capacity is above 5000")

    assert calls == [PlannedCall("find_venues", {"price": 80, "capacity": 5000})]


def test_number_outside_the_schema_bounds_is_left_out() -> None:
    assert planned("top 500 venues") == [PlannedCall("top_venues", {})]


def test_enum_value_with_underscore_matches_words_in_the_message() -> None:
    assert planned("most popular hip-hop venues") == [
        PlannedCall("top_venues", {"genre": "hip_hop"})
    ]


def test_asks_for_a_missing_required_argument_instead_of_calling() -> None:
    model = OfflineChatModel()

    response = model.converse(ask("what's the weather like today?"))

    assert response.stop_reason == "end_turn"
    assert response.message.tool_uses == ()
    assert "the city (Name of the city)" in response.message.text
    assert "get weather" in response.message.text


def test_honest_fallback_lists_capabilities_and_how_to_configure_a_model() -> None:
    response = OfflineChatModel().converse(ask("tell me a joke"))

    text = response.message.text
    assert response.message.tool_uses == ()
    assert "offline" in text
    for tool in ALL_TOOLS:
        assert tool.description in text
    assert "SKYLINE_LLM_BACKEND=bedrock" in text
    assert "SKYLINE_LLM_BACKEND=openai" in text


def test_fallback_without_tools_says_it_cannot_look_anything_up() -> None:
    text = OfflineChatModel().converse(ask("hello", tools=())).message.text

    assert "no tools" in text
    assert "SKYLINE_LLM_BACKEND" in text


# --- answers and streaming ------------------------------------------------------------------


def test_tool_results_are_rendered_as_readable_bullets() -> None:
    venues = [{"name": f"Venue {n}", "score": 0.912} for n in range(12)]
    tools = [Tool(TOP_VENUES, lambda arguments: venues)]

    result = run_tool_loop(OfflineChatModel(), ask("top 12 venues", ()), tools)

    lines = result.answer.splitlines()
    assert lines[0] == "Top venues (limit: 12):"
    assert lines[1] == "- name: Venue 0, score: 0.91"
    assert lines[-1] == "- and 2 more"
    assert len(lines) == 12


def test_streaming_concatenates_to_the_same_text_as_converse() -> None:
    model = OfflineChatModel()
    request = ask("tell me a joke")

    events = list(model.stream(request))

    deltas = [event for event in events if isinstance(event, TextDelta)]
    assert len(deltas) > 10
    assert "".join(delta.text for delta in deltas) == model.converse(request).message.text
    assert isinstance(events[-1], MessageStop)
    assert collect_stream(events) == model.converse(request)


def test_usage_counts_words() -> None:
    response = OfflineChatModel().converse(ask("hello", tools=()))

    assert response.usage.input_tokens == 1
    assert response.usage.output_tokens == len(response.message.text.split())


# --- the tool loop with bad calls -----------------------------------------------------------


def test_tool_error_is_reported_in_the_answer_not_raised() -> None:
    result = run_tool_loop(
        OfflineChatModel(), ask("weather in 'Atlantis'", ()), [Tool(WEATHER, weather_handler)]
    )

    (record,) = result.tool_calls
    assert record.error == "LookupError: no weather station in Atlantis"
    assert record.output is None
    assert result.messages[2].tool_results[0].is_error
    assert "failed: LookupError: no weather station in Atlantis" in result.answer


def test_unknown_tool_and_invalid_input_become_error_results() -> None:
    planner = ScriptedPlanner(
        [PlannedCall("no_such_tool", {}), PlannedCall("get_weather", {"city": 42, "wind": 1})]
    )
    weather = ToolSpec(
        "get_weather",
        WEATHER.description,
        {**WEATHER.input_schema, "additionalProperties": False},
    )

    result = run_tool_loop(
        OfflineChatModel(planner), ask("anything", ()), [Tool(weather, weather_handler)]
    )

    unknown, invalid = result.tool_calls
    assert unknown.error == "unknown tool 'no_such_tool'; available tools: get_weather"
    assert invalid.error is not None
    assert "input.city: expected string, got int" in invalid.error
    assert "input.wind: unknown property" in invalid.error
    assert all(block.is_error for block in result.messages[2].tool_results)
    assert result.answer == "composed from 2 results"


def test_exceeding_max_rounds_raises_tool_loop_error() -> None:
    handled: list[dict[str, Any]] = []
    planner = ScriptedPlanner([PlannedCall("get_weather", {"city": "Paris"})], rounds=100)

    def handler(arguments: dict[str, Any]) -> str:
        handled.append(arguments)
        return "sunny"

    with pytest.raises(ToolLoopError, match="max_rounds=2") as raised:
        run_tool_loop(
            OfflineChatModel(planner), ask("anything", ()), [Tool(WEATHER, handler)], max_rounds=2
        )

    assert len(handled) == 2
    assert len(planner.seen) == 3
    assert raised.value.status == 503


def test_custom_planner_sees_tool_results_and_gets_deterministic_ids() -> None:
    planner = ScriptedPlanner([PlannedCall("get_weather", {"city": "Paris"})])

    first = run_tool_loop(OfflineChatModel(planner), ask("x", ()), [Tool(WEATHER, weather_handler)])
    second = run_tool_loop(
        OfflineChatModel(planner), ask("x", ()), [Tool(WEATHER, weather_handler)]
    )

    assert first.messages == second.messages
    final_request = planner.seen[1]
    assert final_request.messages[-1].tool_results[0].content["temperature_c"] == 18
    assert first.answer == "composed from 1 results"


# --- request and schema validation ----------------------------------------------------------


def test_request_without_messages_is_rejected_naming_the_field() -> None:
    with pytest.raises(LlmRequestError, match="messages"):
        ChatRequest(())


def test_tool_name_outside_the_provider_pattern_is_rejected() -> None:
    with pytest.raises(ValueError, match="tool name 'get weather'"):
        ToolSpec("get weather", "Weather")


def test_validate_tool_input_names_each_bad_field() -> None:
    problems = validate_tool_input(
        TOP_VENUES.input_schema, {"limit": 0, "year": "2024", "genre": "metal"}
    )

    assert problems == [
        "input.limit: 0 is below the minimum 1",
        "input.year: expected integer, got str",
        "input.genre: 'metal' is not one of ['rock', 'pop', 'jazz', 'hip_hop']",
    ]
