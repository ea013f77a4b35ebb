"""The chat model port: one request in, one assistant turn out, whole or streamed."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any, ClassVar

from foundation.health import HealthStatus, timed_check
from foundation.llm.exceptions import LlmUnavailableError
from foundation.llm.messages import (
    ChatRequest,
    ChatResponse,
    Message,
    StreamEvent,
    response_events,
)


class ChatModel(ABC):
    """A chat model that can call tools.

    ``backend`` names the adapter (``offline``, ``bedrock``, ``openai``); ``name``
    names the model it talks to. A response is one assistant turn: text, tool
    calls, or both. Running the tools is the caller's job (see
    :func:`foundation.llm.tools.run_tool_loop`).
    """

    backend: ClassVar[str]
    name: str

    @abstractmethod
    def converse(self, request: ChatRequest) -> ChatResponse:
        """Answer the conversation with one assistant turn.

        ``stop_reason`` is ``tool_use`` when the turn asks for tools, ``max_tokens``
        when the answer was cut at ``request.max_tokens``, otherwise ``end_turn``.
        Raises LlmRateLimitedError when throttled, LlmUnavailableError when the
        provider fails or does not answer in time, LlmRequestError when the
        provider rejects the request.
        """

    def stream(self, request: ChatRequest) -> Iterator[StreamEvent]:
        """Answer like :meth:`converse`, as events: text deltas as they are generated,
        each tool call once complete, and a final :class:`MessageStop`.

        Collected with :func:`foundation.llm.messages.collect_stream`, the events add
        up to the response ``converse`` gives. Errors are raised while iterating.
        This default replays ``converse``; providers with native streaming override it.
        """
        yield from response_events(self.converse(request))

    def check(self) -> HealthStatus:
        """Probe the provider with the cheapest call that proves the model answers:
        by default a one-token ``ping`` through :meth:`converse`."""

        def probe() -> str:
            self.converse(ChatRequest((Message.user("ping"),), max_tokens=1))
            return f"model {self.name} answers"

        return timed_check("llm", self.backend, probe)


def decode_tool_input(
    raw: str | dict[str, Any], *, tool_name: str, provider: str
) -> dict[str, Any]:
    """A tool call's arguments as a dict, from the JSON text (or object) a provider sent."""
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as exc:
        raise LlmUnavailableError(
            f"{provider} returned arguments for tool {tool_name!r} that are not JSON: {exc}"
        ) from exc
    if not isinstance(value, dict):
        raise LlmUnavailableError(
            f"{provider} returned arguments for tool {tool_name!r} that are not a JSON object"
        )
    return value


__all__ = ["ChatModel", "decode_tool_input"]
