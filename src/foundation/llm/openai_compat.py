"""Adapter for any OpenAI-compatible Chat Completions endpoint (OpenAI, Ollama, vLLM, ...)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx

from foundation.errors import AppError
from foundation.health import HealthStatus, timed_check
from foundation.llm.base import ChatModel, decode_tool_input
from foundation.llm.exceptions import LlmRateLimitedError, LlmRequestError, LlmUnavailableError
from foundation.llm.messages import (
    ChatRequest,
    ChatResponse,
    Message,
    MessageStop,
    StopReason,
    StreamEvent,
    TextBlock,
    TextDelta,
    ToolUseBlock,
    ToolUseEvent,
    Usage,
)

CONNECT_TIMEOUT_SECONDS = 5.0
_FINISH_REASONS: dict[str, StopReason] = {"tool_calls": "tool_use", "length": "max_tokens"}
# A wrong key, a forbidden model or an unknown model is our configuration, not the caller's input.
_CONFIGURATION_STATUSES = frozenset({401, 403, 404})


class OpenAiCompatibleChatModel(ChatModel):
    """A model behind ``{base_url}/chat/completions``, e.g. ``http://127.0.0.1:11434/v1``.

    Each call must answer within ``timeout_seconds`` (between chunks when streaming);
    nothing is retried here, so a throttled call surfaces as LlmRateLimitedError.
    """

    backend: ClassVar[str] = "openai"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_seconds: float = 25.0,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.name = model
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._owns_client = http_client is None
        self._client = http_client or httpx.Client(
            timeout=httpx.Timeout(
                timeout_seconds, connect=min(CONNECT_TIMEOUT_SECONDS, timeout_seconds)
            )
        )

    def converse(self, request: ChatRequest) -> ChatResponse:
        with self._translated_errors():
            response = self._client.post(
                f"{self._base_url}/chat/completions",
                json=self._body(request, stream=False),
                headers=self._headers,
            )
            _raise_for_status(response, self.name)
            payload = _json(response.content)
        try:
            choice = payload["choices"][0]
            message = choice["message"]
            text = message.get("content") or ""
            uses = [
                _tool_use(
                    call.get("id"), call["function"]["name"], call["function"].get("arguments")
                )
                for call in message.get("tool_calls") or []
            ]
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise LlmUnavailableError(
                f"the endpoint's answer for {self.name!r} lacks {exc}: not a chat completion"
            ) from exc
        blocks = ([TextBlock(text)] if text else []) + uses
        stop = _stop_reason(choice.get("finish_reason"), has_tool_calls=bool(uses))
        return ChatResponse(Message("assistant", tuple(blocks)), stop, _usage(payload.get("usage")))

    def stream(self, request: ChatRequest) -> Iterator[StreamEvent]:
        body = self._body(request, stream=True)
        with (
            self._translated_errors(),
            self._client.stream(
                "POST", f"{self._base_url}/chat/completions", json=body, headers=self._headers
            ) as response,
        ):
            if response.is_error:
                response.read()
                _raise_for_status(response, self.name)
            yield from _stream_events(response.iter_lines(), self.name)

    def check(self) -> HealthStatus:
        """Lists the endpoint's models (no tokens spent) and looks for this one."""

        def probe() -> str:
            with self._translated_errors():
                response = self._client.get(f"{self._base_url}/models", headers=self._headers)
                _raise_for_status(response, self.name)
                payload = _json(response.content)
            served = [str(item.get("id")) for item in payload.get("data") or []]
            if served and self.name not in served and f"{self.name}:latest" not in served:
                raise LlmUnavailableError(
                    f"model {self.name!r} is not served here; served: {', '.join(served[:10])}"
                )
            return f"model {self.name} is served"

        return timed_check("llm", self.backend, probe)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    def _body(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        messages: list[dict[str, Any]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        for message in request.messages:
            messages.extend(_to_openai_messages(message))
        body: dict[str, Any] = {
            "model": self.name,
            "messages": messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if request.tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.input_schema,
                    },
                }
                for tool in request.tools
            ]
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    @contextmanager
    def _translated_errors(self) -> Iterator[None]:
        try:
            yield
        except httpx.TimeoutException as exc:
            raise LlmUnavailableError(
                f"{self._base_url} did not answer for model {self.name!r} in time "
                f"({type(exc).__name__})"
            ) from exc
        except httpx.HTTPError as exc:
            raise LlmUnavailableError(
                f"{self._base_url} is unreachable for model {self.name!r}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc


def _to_openai_messages(message: Message) -> list[dict[str, Any]]:
    """One of ours may become several of theirs: tool results are separate ``tool`` messages."""
    if message.role == "assistant":
        converted: dict[str, Any] = {"role": "assistant", "content": message.text or None}
        if message.tool_uses:
            converted["tool_calls"] = [
                {
                    "id": use.id,
                    "type": "function",
                    "function": {"name": use.name, "arguments": json.dumps(use.input)},
                }
                for use in message.tool_uses
            ]
        return [converted]
    messages: list[dict[str, Any]] = [
        {
            "role": "tool",
            "tool_call_id": result.tool_use_id,
            "content": f"error: {result.text}" if result.is_error else result.text,
        }
        for result in message.tool_results
    ]
    if message.text:
        messages.append({"role": "user", "content": message.text})
    return messages


def _tool_use(call_id: Any, name: str, arguments: Any) -> ToolUseBlock:
    decoded = decode_tool_input(arguments or "", tool_name=name, provider="openai")
    return ToolUseBlock(str(call_id or f"call_{name}"), name, decoded)


def _stop_reason(finish_reason: Any, *, has_tool_calls: bool) -> StopReason:
    # Some servers (older Ollama) say "stop" even when the turn calls tools.
    if has_tool_calls:
        return "tool_use"
    return _FINISH_REASONS.get(str(finish_reason), "end_turn")


def _usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    return Usage(int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0))


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except json.JSONDecodeError as exc:
        raise LlmUnavailableError(
            f"the endpoint answered with something that is not JSON: {exc}"
        ) from exc


def _stream_events(lines: Iterable[str], model: str) -> Iterator[StreamEvent]:
    """Server-sent ``data:`` chunks as port events; tool calls are assembled by index
    from their argument fragments and emitted when the stream ends."""
    calls: dict[int, dict[str, Any]] = {}
    finish_reason: Any = None
    usage = Usage()
    for line in lines:
        if not line.startswith("data:"):
            continue  # blank separators, comments, event names
        data = line.removeprefix("data:").strip()
        if data == "[DONE]":
            break
        chunk = _json(data.encode())
        if "error" in chunk:
            raise LlmUnavailableError(f"model {model!r} failed mid-stream: {_error_message(chunk)}")
        if chunk.get("usage"):
            usage = _usage(chunk["usage"])
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("content"):
                yield TextDelta(delta["content"])
            for fragment in delta.get("tool_calls") or []:
                call = calls.setdefault(
                    fragment.get("index", 0), {"id": None, "name": "", "arguments": ""}
                )
                function = fragment.get("function") or {}
                call["id"] = fragment.get("id") or call["id"]
                call["name"] += function.get("name") or ""
                call["arguments"] += function.get("arguments") or ""
            finish_reason = choice.get("finish_reason") or finish_reason
    for index in sorted(calls):
        call = calls[index]
        yield ToolUseEvent(_tool_use(call["id"], call["name"], call["arguments"]))
    yield MessageStop(_stop_reason(finish_reason, has_tool_calls=bool(calls)), usage)


def _raise_for_status(response: httpx.Response, model: str) -> None:
    if not response.is_error:
        return
    status = response.status_code
    message = _error_message(response.content)
    detail = f"the endpoint answered {status} for model {model!r}: {message}"
    error: AppError
    if status == 429:
        error = LlmRateLimitedError(detail, retry_after_seconds=_retry_after(response.headers))
    elif status >= 500 or status in _CONFIGURATION_STATUSES:
        error = LlmUnavailableError(detail)
    else:
        error = LlmRequestError(detail)
    raise error


def _error_message(body: bytes | dict[str, Any]) -> str:
    """The provider's own words: OpenAI's ``error.message``, Ollama's ``error``, or the text."""
    payload: Any = body
    if isinstance(body, bytes):
        try:
            payload = json.loads(body)
        except json.JSONDecodeError:
            return body.decode(errors="replace").strip()[:500] or "no message"
    if isinstance(payload, dict):
        error = payload.get("error", payload.get("detail", payload.get("message")))
        if isinstance(error, dict):
            error = error.get("message", error)
        if error:
            return str(error)
    return json.dumps(payload)[:500]


def _retry_after(headers: httpx.Headers) -> int:
    value = headers.get("retry-after", "").strip()
    if not value:
        return 1
    try:
        return max(1, math.ceil(float(value)))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 1
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(1, math.ceil((moment - datetime.now(UTC)).total_seconds()))


__all__ = ["OpenAiCompatibleChatModel"]
