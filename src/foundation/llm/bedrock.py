"""Amazon Bedrock adapter: the Converse and ConverseStream APIs of ``bedrock-runtime``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from foundation.errors import AppError
from foundation.llm.base import ChatModel, decode_tool_input
from foundation.llm.exceptions import LlmRateLimitedError, LlmRequestError, LlmUnavailableError
from foundation.llm.messages import (
    Block,
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

# One retry for throttling and 5xx answers; a stalled attempt still ends at the read timeout.
MAX_ATTEMPTS = 1  # a retry would wait out the read timeout twice, past a 30 s Lambda
CONNECT_TIMEOUT_SECONDS = 3.0
_RATE_LIMIT_CODES = frozenset({"throttling", "toomanyrequests", "servicequotaexceeded"})
_STOP_REASONS: dict[str, StopReason] = {
    "tool_use": "tool_use",
    "max_tokens": "max_tokens",
    "model_context_window_exceeded": "max_tokens",
}
_MALFORMED_STOPS = frozenset({"malformed_model_output", "malformed_tool_use"})


class BedrockChatModel(ChatModel):
    """A Bedrock model (``model_id`` or an inference profile id) through Converse.

    The client answers within ``timeout_seconds`` per attempt: it reads with that
    timeout and does not retry, so a stalled call fails inside a 30 s Lambda.
    """

    backend: ClassVar[str] = "bedrock"

    def __init__(
        self,
        model_id: str,
        *,
        client: Any = None,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
        timeout_seconds: float = 25.0,
    ) -> None:
        self.name = model_id
        if client is None:
            import boto3  # noqa: PLC0415 - boto3 is an optional extra
            from botocore.config import Config  # noqa: PLC0415

            config = Config(
                connect_timeout=min(CONNECT_TIMEOUT_SECONDS, timeout_seconds),
                read_timeout=timeout_seconds,
                retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
            )
            client = boto3.client(
                "bedrock-runtime", region_name=region, endpoint_url=endpoint_url, config=config
            )
        self._client = client

    def converse(self, request: ChatRequest) -> ChatResponse:
        with _translated_errors(self.name):
            raw = self._client.converse(**self._arguments(request))
        blocks = [_from_bedrock_block(item) for item in raw["output"]["message"]["content"]]
        message = Message("assistant", tuple(block for block in blocks if block is not None))
        return ChatResponse(message, _stop_reason(raw["stopReason"]), _usage(raw["usage"]))

    def stream(self, request: ChatRequest) -> Iterator[StreamEvent]:
        with _translated_errors(self.name):
            raw = self._client.converse_stream(**self._arguments(request))
            yield from _stream_events(raw["stream"])

    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "modelId": self.name,
            "messages": [_to_bedrock_message(message) for message in request.messages],
            "inferenceConfig": {
                "maxTokens": request.max_tokens,
                "temperature": request.temperature,
            },
        }
        if request.system:
            arguments["system"] = [{"text": request.system}]
        if request.tools:
            arguments["toolConfig"] = {
                "tools": [
                    {
                        "toolSpec": {
                            "name": tool.name,
                            "inputSchema": {"json": tool.input_schema},
                            **({"description": tool.description} if tool.description else {}),
                        }
                    }
                    for tool in request.tools
                ]
            }
        return arguments


def _to_bedrock_message(message: Message) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    for block in message.content:
        if isinstance(block, TextBlock):
            if block.text:  # Bedrock rejects blank text blocks
                content.append({"text": block.text})
        elif isinstance(block, ToolUseBlock):
            content.append(
                {"toolUse": {"toolUseId": block.id, "name": block.name, "input": block.input}}
            )
        else:
            result: dict[str, Any] = {
                "toolUseId": block.tool_use_id,
                "content": [
                    {"json": block.content}
                    if isinstance(block.content, dict)
                    else {"text": block.text}
                ],
            }
            if block.is_error:
                result["status"] = "error"
            content.append({"toolResult": result})
    return {"role": message.role, "content": content}


def _from_bedrock_block(item: dict[str, Any]) -> Block | None:
    if "text" in item:
        return TextBlock(item["text"])
    if "toolUse" in item:
        use = item["toolUse"]
        return ToolUseBlock(use["toolUseId"], use["name"], dict(use.get("input") or {}))
    return None  # reasoning, citations and other blocks are not part of the port


def _stop_reason(value: str) -> StopReason:
    if value in _MALFORMED_STOPS:
        raise LlmUnavailableError(f"bedrock stopped with {value}: the model's output was unusable")
    return _STOP_REASONS.get(value, "end_turn")


def _usage(raw: dict[str, Any]) -> Usage:
    return Usage(int(raw.get("inputTokens", 0)), int(raw.get("outputTokens", 0)))


def _stream_events(raw_events: Iterable[dict[str, Any]]) -> Iterator[StreamEvent]:
    """ConverseStream events as port events; a tool call is emitted when its block stops."""
    tools: dict[int, tuple[str, str, list[str]]] = {}
    stop: StopReason | None = None
    usage = Usage()
    for event in raw_events:
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            use = start.get("start", {}).get("toolUse")
            if use:
                tools[start["contentBlockIndex"]] = (use["toolUseId"], use["name"], [])
        elif "contentBlockDelta" in event:
            delta = event["contentBlockDelta"]
            if delta["delta"].get("text"):
                yield TextDelta(delta["delta"]["text"])
            elif "toolUse" in delta["delta"] and delta["contentBlockIndex"] in tools:
                tools[delta["contentBlockIndex"]][2].append(delta["delta"]["toolUse"]["input"])
        elif "contentBlockStop" in event:
            finished = tools.pop(event["contentBlockStop"]["contentBlockIndex"], None)
            if finished is not None:
                tool_id, name, parts = finished
                arguments = decode_tool_input("".join(parts), tool_name=name, provider="bedrock")
                yield ToolUseEvent(ToolUseBlock(tool_id, name, arguments))
        elif "messageStop" in event:
            stop = _stop_reason(event["messageStop"]["stopReason"])
        elif "metadata" in event:
            usage = _usage(event["metadata"].get("usage", {}))
    if stop is None:
        raise LlmUnavailableError("bedrock's stream ended before its messageStop event")
    yield MessageStop(stop, usage)


@contextmanager
def _translated_errors(model_id: str) -> Iterator[None]:
    from botocore.exceptions import (  # noqa: PLC0415 - botocore comes with the optional boto3
        BotoCoreError,
        ClientError,
        ParamValidationError,
    )

    try:
        yield
    except ClientError as exc:
        raise _client_error(dict(exc.response), model_id) from exc
    except ParamValidationError as exc:
        raise LlmRequestError(f"bedrock request is invalid: {exc}") from exc
    except BotoCoreError as exc:
        raise LlmUnavailableError(f"bedrock model {model_id!r} did not answer: {exc}") from exc


def _client_error(response: dict[str, Any], model_id: str) -> AppError:
    error = response.get("Error", {})
    code = str(error.get("Code", ""))
    message = error.get("Message") or code
    # Errors inside a stream arrive with lower-camel codes ("throttlingException").
    kind = code.lower().removesuffix("exception")
    if kind in _RATE_LIMIT_CODES:
        headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        retry_after = str(headers.get("retry-after", ""))
        seconds = int(retry_after) if retry_after.isdigit() else 1
        return LlmRateLimitedError(
            f"bedrock throttled model {model_id!r}: {message}", retry_after_seconds=seconds
        )
    if kind == "validation":
        return LlmRequestError(f"bedrock rejected the request for {model_id!r}: {message}")
    return LlmUnavailableError(f"bedrock model {model_id!r} failed ({code}): {message}")


__all__ = ["BedrockChatModel"]
