"""Provider-neutral chat values: messages, content blocks, tool specs, responses, stream events.

Every provider adapter maps these to and from its wire format, so application
code never sees a provider's shapes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from foundation.llm.exceptions import LlmRequestError, LlmUnavailableError

Role = Literal["user", "assistant"]
StopReason = Literal["end_turn", "tool_use", "max_tokens"]

# Bedrock and OpenAI both restrict tool names to this pattern.
_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
# A word and the whitespace after it: joined back together they give the text unchanged.
_WORD_CHUNK = re.compile(r"\s*\S+\s*|\s+")


@dataclass(frozen=True, slots=True)
class TextBlock:
    text: str


@dataclass(frozen=True, slots=True)
class ToolUseBlock:
    """The model asks to run tool ``name`` with ``input``; ``id`` pairs it with its result."""

    id: str
    name: str
    input: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ToolResultBlock:
    """What a tool returned (any JSON-able value), or the error message when ``is_error``."""

    tool_use_id: str
    content: Any
    is_error: bool = False

    @property
    def text(self) -> str:
        """The content as text: strings as they are, anything else as compact JSON."""
        if isinstance(self.content, str):
            return self.content
        return json.dumps(self.content, ensure_ascii=False, separators=(",", ":"))


Block = TextBlock | ToolUseBlock | ToolResultBlock


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: tuple[Block, ...]

    def __post_init__(self) -> None:
        if self.role not in ("user", "assistant"):
            raise LlmRequestError(f"message role must be 'user' or 'assistant', not {self.role!r}")

    @classmethod
    def user(cls, text: str) -> Message:
        return cls("user", (TextBlock(text),))

    @classmethod
    def assistant(cls, text: str) -> Message:
        return cls("assistant", (TextBlock(text),))

    @property
    def text(self) -> str:
        return "".join(block.text for block in self.content if isinstance(block, TextBlock))

    @property
    def tool_uses(self) -> tuple[ToolUseBlock, ...]:
        return tuple(block for block in self.content if isinstance(block, ToolUseBlock))

    @property
    def tool_results(self) -> tuple[ToolResultBlock, ...]:
        return tuple(block for block in self.content if isinstance(block, ToolResultBlock))


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool the model may call; ``input_schema`` is a JSON Schema of type object."""

    name: str
    description: str
    input_schema: dict[str, Any] = field(default_factory=lambda: {"type": "object"})

    def __post_init__(self) -> None:
        if not _TOOL_NAME.fullmatch(self.name):
            raise ValueError(f"tool name {self.name!r} must match [a-zA-Z0-9_-]{{1,64}}")
        if self.input_schema.get("type") != "object":
            raise ValueError(f"input_schema of tool {self.name!r} must have type 'object'")


@dataclass(frozen=True, slots=True)
class ChatRequest:
    messages: tuple[Message, ...]
    system: str | None = None
    tools: tuple[ToolSpec, ...] = ()
    max_tokens: int = 1024
    temperature: float = 0.2

    def __post_init__(self) -> None:
        if not self.messages:
            raise LlmRequestError("messages: a chat request needs at least one message")
        if self.messages[0].role != "user":
            raise LlmRequestError("messages[0].role: the conversation must start with a user turn")
        if self.max_tokens < 1:
            raise LlmRequestError(f"max_tokens must be at least 1, not {self.max_tokens}")
        if not 0.0 <= self.temperature <= 1.0:
            raise LlmRequestError(f"temperature must be between 0 and 1, not {self.temperature}")
        names = [tool.name for tool in self.tools]
        if len(set(names)) != len(names):
            raise LlmRequestError(f"tools: tool names must be unique, got {names}")


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens
        )


@dataclass(frozen=True, slots=True)
class ChatResponse:
    message: Message
    stop_reason: StopReason
    usage: Usage


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ToolUseEvent:
    """A complete tool call, emitted once its whole input has arrived."""

    block: ToolUseBlock


@dataclass(frozen=True, slots=True)
class MessageStop:
    """Always the last event of a stream."""

    stop_reason: StopReason
    usage: Usage


StreamEvent = TextDelta | ToolUseEvent | MessageStop


def word_chunks(text: str) -> list[str]:
    """``text`` cut into words, each with the whitespace after it; the chunks join back to it."""
    return _WORD_CHUNK.findall(text)


def response_events(response: ChatResponse) -> Iterator[StreamEvent]:
    """Replay a complete response as stream events, text in word-sized chunks."""
    for block in response.message.content:
        if isinstance(block, TextBlock):
            for chunk in word_chunks(block.text):
                yield TextDelta(chunk)
        elif isinstance(block, ToolUseBlock):
            yield ToolUseEvent(block)
    yield MessageStop(response.stop_reason, response.usage)


class StreamCollector:
    """Assembles stream events into the :class:`ChatResponse` they describe."""

    def __init__(self) -> None:
        self._blocks: list[Block] = []
        self._text: list[str] = []
        self._stop: MessageStop | None = None

    def add(self, event: StreamEvent) -> None:
        if isinstance(event, TextDelta):
            self._text.append(event.text)
        elif isinstance(event, ToolUseEvent):
            self._flush_text()
            self._blocks.append(event.block)
        else:
            self._stop = event

    def response(self) -> ChatResponse:
        if self._stop is None:
            raise LlmUnavailableError("the model's stream ended before its stop event")
        self._flush_text()
        message = Message("assistant", tuple(self._blocks))
        return ChatResponse(message, self._stop.stop_reason, self._stop.usage)

    def _flush_text(self) -> None:
        if self._text:
            self._blocks.append(TextBlock("".join(self._text)))
            self._text = []


def collect_stream(events: Iterable[StreamEvent]) -> ChatResponse:
    """The response a whole stream adds up to."""
    collector = StreamCollector()
    for event in events:
        collector.add(event)
    return collector.response()


__all__ = [
    "Block",
    "ChatRequest",
    "ChatResponse",
    "Message",
    "MessageStop",
    "Role",
    "StopReason",
    "StreamCollector",
    "StreamEvent",
    "TextBlock",
    "TextDelta",
    "ToolResultBlock",
    "ToolSpec",
    "ToolUseBlock",
    "ToolUseEvent",
    "Usage",
    "collect_stream",
    "response_events",
    "word_chunks",
]
