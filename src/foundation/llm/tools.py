"""Tools and the tool-calling loop shared by every chat model.

The loop asks the model, runs the tools it calls, hands the results back, and
repeats until the model answers. A tool that fails, is unknown, or gets input
that breaks its schema becomes an error result the model can read and react
to; it never ends the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic_core import to_jsonable_python

from foundation.llm.base import ChatModel
from foundation.llm.exceptions import ToolLoopError
from foundation.llm.messages import (
    ChatRequest,
    ChatResponse,
    Message,
    StopReason,
    StreamCollector,
    TextDelta,
    ToolResultBlock,
    ToolSpec,
    ToolUseBlock,
    Usage,
)

# Between the texts of two model turns in one answer.
TURN_SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class Tool:
    """A tool spec and the function that runs it; the handler gets the validated input."""

    spec: ToolSpec
    handler: Callable[[dict[str, Any]], Any]

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True, slots=True)
class ToolCallRecord:
    """One tool call made during a loop: its JSON-able output, or why it failed."""

    name: str
    input: dict[str, Any]
    output: Any = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ToolLoopResult:
    """``answer`` is the text of every model turn in the loop, joined by a blank line;
    ``messages`` is the whole conversation including the tool rounds."""

    answer: str
    messages: tuple[Message, ...]
    tool_calls: tuple[ToolCallRecord, ...]
    stop_reason: StopReason
    usage: Usage


LoopEvent = TextDelta | ToolCallRecord | ToolLoopResult


def run_tool_loop(
    model: ChatModel, request: ChatRequest, tools: Sequence[Tool], *, max_rounds: int = 5
) -> ToolLoopResult:
    """Converse until the model answers without asking for tools.

    The request's tools are replaced by ``tools``. The model may ask for tools in
    at most ``max_rounds`` turns; asking again after that raises ToolLoopError.
    """
    rounds = _loop(model, request, tools, max_rounds, streaming=False)
    while True:
        try:
            next(rounds)
        except StopIteration as finished:
            result: ToolLoopResult = finished.value
            return result


def stream_tool_loop(
    model: ChatModel, request: ChatRequest, tools: Sequence[Tool], *, max_rounds: int = 5
) -> Iterator[LoopEvent]:
    """Like :func:`run_tool_loop`, streamed: text deltas as the model writes them, a
    :class:`ToolCallRecord` after each tool runs, and the :class:`ToolLoopResult` last.

    The text deltas add up to the result's ``answer``.
    """
    result = yield from _loop(model, request, tools, max_rounds, streaming=True)
    yield result


def validate_tool_input(schema: dict[str, Any], value: Any, path: str = "input") -> list[str]:
    """Problems with ``value`` against a JSON Schema's types, required properties, enums
    and bounds (the subset tool schemas use), each naming the offending field."""
    expected = schema.get("type")
    types = [expected] if isinstance(expected, str) else list(expected or [])
    checks = [_TYPE_CHECKS[name] for name in types if name in _TYPE_CHECKS]
    if checks and not any(check(value) for check in checks):
        return [f"{path}: expected {' or '.join(types)}, got {type(value).__name__}"]
    problems: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        problems.extend(_bound_problems(schema, value, path))
    if isinstance(value, dict):
        problems.extend(_object_problems(schema, value, path))
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            problems.extend(validate_tool_input(schema["items"], item, f"{path}[{index}]"))
    return problems


_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


def _bound_problems(schema: dict[str, Any], value: float, path: str) -> list[str]:
    problems = []
    if "minimum" in schema and value < schema["minimum"]:
        problems.append(f"{path}: {value} is below the minimum {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        problems.append(f"{path}: {value} is above the maximum {schema['maximum']}")
    return problems


def _object_problems(schema: dict[str, Any], value: dict[str, Any], path: str) -> list[str]:
    properties: dict[str, Any] = schema.get("properties", {})
    problems = [
        f"{path}.{name}: required property is missing"
        for name in schema.get("required", [])
        if name not in value
    ]
    for name, item in value.items():
        if name in properties:
            problems.extend(validate_tool_input(properties[name], item, f"{path}.{name}"))
        elif schema.get("additionalProperties") is False:
            problems.append(f"{path}.{name}: unknown property")
    return problems


def _loop(
    model: ChatModel,
    request: ChatRequest,
    tools: Sequence[Tool],
    max_rounds: int,
    *,
    streaming: bool,
) -> Generator[TextDelta | ToolCallRecord, None, ToolLoopResult]:
    if max_rounds < 0:
        raise ValueError(f"max_rounds must be at least 0, not {max_rounds}")
    registry = {tool.name: tool for tool in tools}
    request = replace(request, tools=tuple(tool.spec for tool in tools))
    messages = list(request.messages)
    records: list[ToolCallRecord] = []
    texts: list[str] = []
    usage = Usage()
    calls: tuple[ToolUseBlock, ...] = ()
    for round_number in range(max_rounds + 1):
        turn = replace(request, messages=tuple(messages))
        if streaming:
            response = yield from _streamed_turn(model, turn, after_text=bool(texts))
        else:
            response = model.converse(turn)
        messages.append(response.message)
        usage += response.usage
        if response.message.text:
            texts.append(response.message.text)
        calls = response.message.tool_uses
        if not calls:
            answer = TURN_SEPARATOR.join(texts)
            return ToolLoopResult(
                answer, tuple(messages), tuple(records), response.stop_reason, usage
            )
        if round_number == max_rounds:
            break
        results = []
        for call in calls:
            record, result = _run_tool(registry, call)
            records.append(record)
            results.append(result)
            yield record
        messages.append(Message("user", tuple(results)))
    asked = ", ".join(call.name for call in calls)
    raise ToolLoopError(
        f"model {model.name!r} still asked for tools ({asked}) after "
        f"max_rounds={max_rounds} tool rounds without answering"
    )


def _streamed_turn(
    model: ChatModel, request: ChatRequest, *, after_text: bool
) -> Generator[TextDelta, None, ChatResponse]:
    collector = StreamCollector()
    separated = not after_text
    for event in model.stream(request):
        collector.add(event)
        if isinstance(event, TextDelta) and event.text:
            if not separated:
                separated = True
                yield TextDelta(TURN_SEPARATOR)
            yield event
    return collector.response()


def _run_tool(
    registry: dict[str, Tool], call: ToolUseBlock
) -> tuple[ToolCallRecord, ToolResultBlock]:
    tool = registry.get(call.name)
    if tool is None:
        available = ", ".join(registry) or "none"
        return _failed(call, f"unknown tool {call.name!r}; available tools: {available}")
    problems = validate_tool_input(tool.spec.input_schema, call.input)
    if problems:
        return _failed(call, f"invalid input: {'; '.join(problems)}")
    try:
        output = to_jsonable_python(tool.handler(dict(call.input)))
    except Exception as exc:  # the model is told about any failure of a tool
        return _failed(call, f"{type(exc).__name__}: {exc}")
    return ToolCallRecord(call.name, call.input, output), ToolResultBlock(call.id, output)


def _failed(call: ToolUseBlock, error: str) -> tuple[ToolCallRecord, ToolResultBlock]:
    record = ToolCallRecord(call.name, call.input, error=error)
    return record, ToolResultBlock(call.id, error, is_error=True)


__all__ = [
    "TURN_SEPARATOR",
    "LoopEvent",
    "Tool",
    "ToolCallRecord",
    "ToolLoopResult",
    "run_tool_loop",
    "stream_tool_loop",
    "validate_tool_input",
]
