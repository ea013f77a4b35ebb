"""Contract of the LLM port: every chat model runs the same tool loop the same way.

The offline engine decides with its lexical planner. Bedrock is a real boto3
``bedrock-runtime`` client: Converse is stubbed with botocore's Stubber (which
validates our requests and the documented responses against the service
model); ConverseStream returns documented event dicts from a recording client
that validates its parameters the same way. The OpenAI-compatible model talks
HTTP to a real local server answering in OpenAI's documented shapes.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EventStreamError
from botocore.stub import Stubber
from botocore.validate import validate_parameters

from foundation.errors import AppError
from foundation.llm import (
    BedrockChatModel,
    ChatModel,
    ChatRequest,
    LlmRateLimitedError,
    LlmRequestError,
    LlmUnavailableError,
    Message,
    MessageStop,
    OfflineChatModel,
    OpenAiCompatibleChatModel,
    TextDelta,
    Tool,
    ToolCallRecord,
    ToolLoopResult,
    ToolUseBlock,
    ToolUseEvent,
    collect_stream,
    run_tool_loop,
    stream_tool_loop,
)
from tests.support.llm_tools import TOP_VENUES, WEATHER
from tests.support.openai_server import (
    Completion,
    HttpError,
    RawStream,
    ScriptedServer,
    Stall,
    running_server,
)

WEATHER_QUESTION = 'What is the weather in "Paris" in celsius?'
WEATHER_CALL = ToolUseBlock(
    "tooluse_weather_1", "get_weather", {"city": "Paris", "unit": "celsius"}
)
PARIS_WEATHER = {"city": "Paris", "temperature_c": 18, "conditions": "sunny"}
SHORT_TIMEOUT = 0.2


@dataclass(frozen=True)
class Turn:
    """A scripted assistant turn, rendered in each provider's own shapes."""

    text: str = ""
    tool_calls: tuple[ToolUseBlock, ...] = ()
    stop: str = "end_turn"
    usage: tuple[int, int] = (21, 9)


TOOL_TURN = Turn(tool_calls=(WEATHER_CALL,), stop="tool_use")
ANSWER_TURN = Turn(text="It is 18 degrees and sunny in Paris right now.")


@dataclass
class WeatherService:
    calls: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, arguments: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(arguments)
        if arguments["city"] == "Atlantis":
            raise LookupError("no weather station in Atlantis")
        return {**PARIS_WEATHER, "city": arguments["city"]}


def weather_tools(service: WeatherService) -> list[Tool]:
    return [Tool(WEATHER, service), Tool(TOP_VENUES, lambda arguments: [])]


def ask(text: str, **options: Any) -> ChatRequest:
    return ChatRequest((Message.user(text),), system="You answer concert questions.", **options)


# --- provider shapes ------------------------------------------------------------------------


def bedrock_response(turn: Turn) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"text": turn.text}] if turn.text else []
    content += [
        {"toolUse": {"toolUseId": use.id, "name": use.name, "input": use.input}}
        for use in turn.tool_calls
    ]
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": turn.stop,
        "usage": {
            "inputTokens": turn.usage[0],
            "outputTokens": turn.usage[1],
            "totalTokens": sum(turn.usage),
        },
        "metrics": {"latencyMs": 120},
    }


def bedrock_stream(turn: Turn) -> list[dict[str, Any]]:
    """ConverseStream events as boto3 yields them: text deltas, then each tool use as a
    start event, its input JSON in two fragments and a stop event."""
    events: list[dict[str, Any]] = [{"messageStart": {"role": "assistant"}}]
    index = 0
    if turn.text:
        words = turn.text.split(" ")
        for position, word in enumerate(words):
            piece = word + (" " if position < len(words) - 1 else "")
            events.append({"contentBlockDelta": {"delta": {"text": piece}, "contentBlockIndex": 0}})
        events.append({"contentBlockStop": {"contentBlockIndex": 0}})
        index = 1
    for offset, use in enumerate(turn.tool_calls, start=index):
        start = {"toolUse": {"toolUseId": use.id, "name": use.name}}
        events.append({"contentBlockStart": {"start": start, "contentBlockIndex": offset}})
        encoded = json.dumps(use.input)
        for fragment in (encoded[: len(encoded) // 2], encoded[len(encoded) // 2 :]):
            delta = {"toolUse": {"input": fragment}}
            events.append({"contentBlockDelta": {"delta": delta, "contentBlockIndex": offset}})
        events.append({"contentBlockStop": {"contentBlockIndex": offset}})
    events.append({"messageStop": {"stopReason": turn.stop}})
    usage = {"inputTokens": turn.usage[0], "outputTokens": turn.usage[1]}
    usage["totalTokens"] = sum(turn.usage)
    events.append({"metadata": {"usage": usage, "metrics": {"latencyMs": 120}}})
    return events


def openai_completion(turn: Turn) -> Completion:
    finish = {"end_turn": "stop", "tool_use": "tool_calls", "max_tokens": "length"}[turn.stop]
    calls = tuple((use.id, use.name, use.input) for use in turn.tool_calls)
    return Completion(turn.text, calls, finish, turn.usage)


def client_error(code: str, message: str, status: int, operation: str) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


class RecordingBedrockClient:
    """A real bedrock-runtime client (Converse stubbed by the caller's Stubber) whose
    ConverseStream validates its parameters and replays scripted event lists."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.streams: deque[list[Any] | Exception] = deque()
        self.sent: list[dict[str, Any]] = []

    def converse(self, **params: Any) -> Any:
        self.sent.append(params)
        return self._client.converse(**params)

    def converse_stream(self, **params: Any) -> dict[str, Any]:
        model = self._client.meta.service_model.operation_model("ConverseStream")
        validate_parameters(params, model.input_shape)
        self.sent.append(params)
        scripted = self.streams.popleft()
        if isinstance(scripted, Exception):
            raise scripted
        return {"stream": _replay(scripted)}


def _replay(events: list[Any]) -> Iterator[dict[str, Any]]:
    for event in events:
        if isinstance(event, Exception):
            raise event
        yield event


# --- harnesses: one per provider ------------------------------------------------------------


class OfflineHarness:
    backend = "offline"

    def __init__(self) -> None:
        self.model: ChatModel = OfflineChatModel()

    def script(self, *turns: Turn) -> None:
        """The offline engine is not scripted: its planner answers the same questions."""


class BedrockHarness:
    backend = "bedrock"

    def __init__(self, server: ScriptedServer) -> None:
        self.server = server
        real = boto3.client("bedrock-runtime", region_name="us-east-1")
        self.stubber = Stubber(real)
        self.stubber.activate()
        self.client = RecordingBedrockClient(real)
        self.model: ChatModel = BedrockChatModel("anthropic.claude-3-haiku", client=self.client)

    def script(self, *turns: Turn) -> None:
        for turn in turns:
            self.stubber.add_response("converse", bedrock_response(turn))
            self.client.streams.append(bedrock_stream(turn))

    def failing(self, kind: str) -> ChatModel:
        if kind == "timeout":
            self.server.script(Stall(), Stall())  # the client retries once
            return BedrockChatModel(
                "anthropic.claude-3-haiku",
                endpoint_url=self.server.url,
                timeout_seconds=SHORT_TIMEOUT,
            )
        code, status = {
            "throttled": ("ThrottlingException", 429),
            "unavailable": ("ServiceUnavailableException", 503),
            "rejected": ("ValidationException", 400),
        }[kind]
        message = "Input is too long for requested model." if kind == "rejected" else "Try later"
        self.stubber.add_client_error("converse", code, message, status)
        self.client.streams.append(client_error(code, message, status, "ConverseStream"))
        return self.model


class OpenAiHarness:
    backend = "openai"

    def __init__(self, server: ScriptedServer) -> None:
        self.server = server
        self.model: ChatModel = self.connect()

    def connect(self, timeout_seconds: float = 5.0) -> OpenAiCompatibleChatModel:
        return OpenAiCompatibleChatModel(
            base_url=f"{self.server.url}/v1",
            model="llama3.1",
            api_key="test-key",
            timeout_seconds=timeout_seconds,
        )

    def script(self, *turns: Turn) -> None:
        self.server.script(*(openai_completion(turn) for turn in turns))

    def failing(self, kind: str) -> ChatModel:
        if kind == "timeout":
            self.server.script(Stall())
            return self.connect(SHORT_TIMEOUT)
        status = {"throttled": 429, "unavailable": 503, "rejected": 400}[kind]
        message = "Input is too long for requested model." if kind == "rejected" else "Try later"
        self.server.script(HttpError(status, {"error": {"message": message, "type": "x"}}))
        return self.model


Harness = OfflineHarness | BedrockHarness | OpenAiHarness


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    yield from running_server()


@pytest.fixture
def scripted_server(server: ScriptedServer) -> Iterator[ScriptedServer]:
    server.reset()
    yield server
    server.reset()


@pytest.fixture(params=["offline", "bedrock", "openai"])
def harness(
    request: pytest.FixtureRequest, aws_env: None, scripted_server: ScriptedServer
) -> Iterator[Harness]:
    factories: dict[str, Callable[[], Harness]] = {
        "offline": OfflineHarness,
        "bedrock": lambda: BedrockHarness(scripted_server),
        "openai": lambda: OpenAiHarness(scripted_server),
    }
    yield factories[request.param]()


@pytest.fixture(params=["bedrock", "openai"])
def remote(
    request: pytest.FixtureRequest, aws_env: None, scripted_server: ScriptedServer
) -> BedrockHarness | OpenAiHarness:
    if request.param == "bedrock":
        return BedrockHarness(scripted_server)
    return OpenAiHarness(scripted_server)


# --- the contract ---------------------------------------------------------------------------


def test_tool_loop_calls_the_tool_then_answers_with_its_result(harness: Harness) -> None:
    harness.script(TOOL_TURN, ANSWER_TURN)
    service = WeatherService()

    result = run_tool_loop(harness.model, ask(WEATHER_QUESTION), weather_tools(service))

    assert service.calls == [{"city": "Paris", "unit": "celsius"}]
    assert result.tool_calls == (
        ToolCallRecord("get_weather", {"city": "Paris", "unit": "celsius"}, PARIS_WEATHER),
    )
    assert [message.role for message in result.messages] == [
        "user",
        "assistant",
        "user",
        "assistant",
    ]
    (use,) = result.messages[1].tool_uses
    (tool_result,) = result.messages[2].tool_results
    assert tool_result.tool_use_id == use.id
    assert tool_result.content == PARIS_WEATHER
    assert not tool_result.is_error
    assert "18" in result.answer
    assert "sunny" in result.answer
    assert result.answer == result.messages[-1].text
    assert result.stop_reason == "end_turn"
    assert result.usage.input_tokens > 0
    assert result.usage.output_tokens > 0


def test_streamed_tool_loop_yields_the_answer_in_pieces_matching_converse(harness: Harness) -> None:
    harness.script(TOOL_TURN, ANSWER_TURN, TOOL_TURN, ANSWER_TURN)
    tools = weather_tools(WeatherService())
    expected = run_tool_loop(harness.model, ask(WEATHER_QUESTION), tools)

    events = list(stream_tool_loop(harness.model, ask(WEATHER_QUESTION), tools))

    deltas = [event.text for event in events if isinstance(event, TextDelta)]
    records = [event for event in events if isinstance(event, ToolCallRecord)]
    result = events[-1]
    assert isinstance(result, ToolLoopResult)
    assert len(deltas) > 1
    assert "".join(deltas) == result.answer == expected.answer
    assert tuple(records) == result.tool_calls == expected.tool_calls
    assert events.index(records[0]) < events.index(
        next(e for e in events if isinstance(e, TextDelta))
    )
    assert result.messages == expected.messages


def test_model_answers_directly_when_no_tool_fits(harness: Harness) -> None:
    harness.script(Turn(text="Hello! I can tell you the weather or the top venues."))
    service = WeatherService()

    result = run_tool_loop(harness.model, ask("hello there"), weather_tools(service))

    assert service.calls == []
    assert result.tool_calls == ()
    assert len(result.messages) == 2
    assert result.answer.strip()
    assert result.stop_reason == "end_turn"


def test_stream_events_add_up_to_the_converse_response(harness: Harness) -> None:
    harness.script(TOOL_TURN, TOOL_TURN)
    request = ask(WEATHER_QUESTION, tools=(WEATHER, TOP_VENUES))

    response = harness.model.converse(request)
    events = list(harness.model.stream(request))

    assert response.stop_reason == "tool_use"
    assert response.message.tool_uses[0].input == {"city": "Paris", "unit": "celsius"}
    assert [type(event) for event in events] == [ToolUseEvent, MessageStop]
    assert collect_stream(events) == response


def test_answer_cut_at_max_tokens_reports_max_tokens(harness: Harness) -> None:
    harness.script(*[Turn(text="Hello, I can tell", stop="max_tokens", usage=(12, 4))] * 2)
    request = ask("hello there", max_tokens=4)

    response = harness.model.converse(request)
    streamed = collect_stream(harness.model.stream(request))

    assert response.stop_reason == streamed.stop_reason == "max_tokens"
    assert response.message.text == streamed.message.text
    assert 0 < response.usage.output_tokens <= 4


def test_check_reports_the_model_healthy(harness: Harness) -> None:
    harness.script(Turn(text="pong", stop="max_tokens", usage=(1, 1)))

    status = harness.model.check()

    assert status.ok, status.detail
    assert status.backend == harness.backend


# --- provider failures map to the port's errors ---------------------------------------------


def call(model: ChatModel, mode: str) -> None:
    request = ask(WEATHER_QUESTION, tools=(WEATHER,))
    if mode == "stream":
        list(model.stream(request))
    else:
        model.converse(request)


@pytest.mark.parametrize("mode", ["converse", "stream"])
@pytest.mark.parametrize(
    ("kind", "error", "status"),
    [
        ("throttled", LlmRateLimitedError, 429),
        ("unavailable", LlmUnavailableError, 503),
        ("rejected", LlmRequestError, 400),
        ("timeout", LlmUnavailableError, 503),
    ],
)
def test_provider_failure_maps_to_port_error(
    remote: BedrockHarness | OpenAiHarness,
    mode: str,
    kind: str,
    error: type[AppError],
    status: int,
) -> None:
    model = remote.failing(kind)

    with pytest.raises(error) as raised:
        call(model, mode)

    assert raised.value.status == status
    assert "llama3.1" in raised.value.detail or "claude" in raised.value.detail
    if kind == "rejected":
        assert "Input is too long" in raised.value.detail


# --- Bedrock specifics ----------------------------------------------------------------------


@pytest.fixture
def bedrock(aws_env: None, scripted_server: ScriptedServer) -> BedrockHarness:
    return BedrockHarness(scripted_server)


def test_bedrock_sends_tools_and_results_in_converse_shapes(bedrock: BedrockHarness) -> None:
    atlantis = ToolUseBlock("tooluse_2", "get_weather", {"city": "Atlantis"})
    bedrock.script(Turn(tool_calls=(WEATHER_CALL, atlantis), stop="tool_use"), ANSWER_TURN)

    result = run_tool_loop(bedrock.model, ask(WEATHER_QUESTION), weather_tools(WeatherService()))

    first, second = bedrock.client.sent
    assert first["system"] == [{"text": "You answer concert questions."}]
    assert first["inferenceConfig"] == {"maxTokens": 1024, "temperature": 0.2}
    assert first["toolConfig"]["tools"][0] == {
        "toolSpec": {
            "name": "get_weather",
            "description": WEATHER.description,
            "inputSchema": {"json": WEATHER.input_schema},
        }
    }
    assert second["messages"][1]["content"][0] == {
        "toolUse": {
            "toolUseId": "tooluse_weather_1",
            "name": "get_weather",
            "input": WEATHER_CALL.input,
        }
    }
    ok, failed = second["messages"][2]["content"]
    assert ok == {
        "toolResult": {"toolUseId": "tooluse_weather_1", "content": [{"json": PARIS_WEATHER}]}
    }
    assert failed["toolResult"]["status"] == "error"
    assert "no weather station in Atlantis" in failed["toolResult"]["content"][0]["text"]
    assert result.tool_calls[1].error is not None
    bedrock.stubber.assert_no_pending_responses()


def test_bedrock_error_inside_the_stream_maps_to_rate_limited(bedrock: BedrockHarness) -> None:
    throttled = EventStreamError(
        {"Error": {"Code": "throttlingException", "Message": "Too many tokens"}}, "ConverseStream"
    )
    first_word = {"contentBlockDelta": {"delta": {"text": "It "}, "contentBlockIndex": 0}}
    bedrock.client.streams.append([{"messageStart": {"role": "assistant"}}, first_word, throttled])

    events = bedrock.model.stream(ask(WEATHER_QUESTION))

    assert next(events) == TextDelta("It ")
    with pytest.raises(LlmRateLimitedError, match="Too many tokens"):
        next(events)


def test_bedrock_malformed_tool_use_is_unavailable(bedrock: BedrockHarness) -> None:
    bedrock.script(Turn(text="oops", stop="malformed_tool_use"))

    with pytest.raises(LlmUnavailableError, match="malformed_tool_use"):
        bedrock.model.converse(ask(WEATHER_QUESTION))


# --- OpenAI-compatible specifics ------------------------------------------------------------


@pytest.fixture
def openai(scripted_server: ScriptedServer) -> Iterator[OpenAiHarness]:
    harness = OpenAiHarness(scripted_server)
    yield harness
    assert isinstance(harness.model, OpenAiCompatibleChatModel)
    harness.model.close()


def test_openai_sends_tools_and_results_in_chat_completion_shapes(openai: OpenAiHarness) -> None:
    atlantis = ToolUseBlock("call_2", "get_weather", {"city": "Atlantis"})
    openai.script(Turn(tool_calls=(WEATHER_CALL, atlantis), stop="tool_use"), ANSWER_TURN)

    run_tool_loop(openai.model, ask(WEATHER_QUESTION), weather_tools(WeatherService()))

    first, second = (received.body for received in openai.server.requests)
    assert openai.server.requests[0].path == "/v1/chat/completions"
    assert openai.server.requests[0].headers["authorization"] == "Bearer test-key"
    assert first["model"] == "llama3.1"
    assert first["messages"] == [
        {"role": "system", "content": "You answer concert questions."},
        {"role": "user", "content": WEATHER_QUESTION},
    ]
    assert first["tools"][0] == {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": WEATHER.description,
            "parameters": WEATHER.input_schema,
        },
    }
    assistant, paris, failed = second["messages"][2:]
    assert assistant["tool_calls"][0]["function"] == {
        "name": "get_weather",
        "arguments": json.dumps(WEATHER_CALL.input),
    }
    assert paris == {
        "role": "tool",
        "tool_call_id": "tooluse_weather_1",
        "content": json.dumps(PARIS_WEATHER, separators=(",", ":")),
    }
    assert failed["tool_call_id"] == "call_2"
    assert failed["content"].startswith("error: ")
    assert "no weather station in Atlantis" in failed["content"]


def test_openai_stream_asks_for_usage_and_reports_it(openai: OpenAiHarness) -> None:
    openai.script(ANSWER_TURN)

    response = collect_stream(openai.model.stream(ask("hello there")))

    body = openai.server.requests[0].body
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert response.message.text == ANSWER_TURN.text
    assert (response.usage.input_tokens, response.usage.output_tokens) == ANSWER_TURN.usage


def test_openai_rate_limit_honours_retry_after(openai: OpenAiHarness) -> None:
    openai.server.script(
        HttpError(429, {"error": {"message": "Rate limit reached"}}, {"Retry-After": "7"})
    )

    with pytest.raises(LlmRateLimitedError, match="Rate limit reached") as raised:
        openai.model.converse(ask("hello there"))

    assert raised.value.retry_after_seconds == 7


def test_openai_tool_calls_count_even_when_finish_reason_says_stop(openai: OpenAiHarness) -> None:
    openai.script(Turn(tool_calls=(WEATHER_CALL,), stop="end_turn"))

    response = openai.model.converse(ask(WEATHER_QUESTION, tools=(WEATHER,)))

    assert response.stop_reason == "tool_use"
    assert response.message.tool_uses == (WEATHER_CALL,)


def test_openai_error_chunk_mid_stream_is_unavailable(openai: OpenAiHarness) -> None:
    first = {"choices": [{"index": 0, "delta": {"content": "It "}, "finish_reason": None}]}
    failure = {"error": {"message": "model crashed while generating"}}
    openai.server.script(RawStream((json.dumps(first), json.dumps(failure))))

    events = openai.model.stream(ask("hello there"))

    assert next(events) == TextDelta("It ")
    with pytest.raises(LlmUnavailableError, match="model crashed while generating"):
        next(events)


def test_openai_unreachable_endpoint_is_unavailable() -> None:
    model = OpenAiCompatibleChatModel(base_url="http://127.0.0.1:9/v1", model="llama3.1")

    with pytest.raises(LlmUnavailableError, match="unreachable"):
        model.converse(ask("hello there"))
    assert not model.check().ok


def test_openai_check_fails_when_the_model_is_not_served(scripted_server: ScriptedServer) -> None:
    model = OpenAiCompatibleChatModel(base_url=f"{scripted_server.url}/v1", model="mistral")

    status = model.check()

    assert not status.ok
    assert "'mistral' is not served" in status.detail
    assert "llama3.1" in status.detail
