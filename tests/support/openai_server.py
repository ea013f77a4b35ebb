"""A real HTTP server on a free loopback port that answers like an OpenAI-compatible endpoint.

Each request to ``/v1/chat/completions`` (or any other POST path) takes the next
scripted reply. A :class:`Completion` is rendered in OpenAI's documented shape:
a ``chat.completion`` object, or ``chat.completion.chunk`` server-sent events
ending in ``data: [DONE]`` when the request asked to stream. ``GET /v1/models``
lists :attr:`ScriptedServer.models`.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

STALL_LIMIT_SECONDS = 10.0


@dataclass(frozen=True)
class Completion:
    """One assistant turn: text and/or tool calls given as (id, name, arguments)."""

    text: str = ""
    tool_calls: tuple[tuple[str, str, dict[str, Any]], ...] = ()
    finish_reason: str | None = None
    usage: tuple[int, int] = (21, 9)

    @property
    def finish(self) -> str:
        return self.finish_reason or ("tool_calls" if self.tool_calls else "stop")


@dataclass(frozen=True)
class HttpError:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Stall:
    """Accept the request and send nothing until the server stops."""


@dataclass(frozen=True)
class RawStream:
    """Send these server-sent-event ``data:`` payloads as they are."""

    data: tuple[str, ...]


Reply = Completion | HttpError | Stall | RawStream


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


def completion_json(reply: Completion, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
            for call_id, name, arguments in reply.tool_calls
        ]
    prompt, completion = reply.usage
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": reply.finish}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def completion_chunks(reply: Completion, model: str, *, include_usage: bool) -> list[str]:
    """The ``data:`` payloads of a streamed completion: text in two-word pieces, each
    tool call's arguments split in two fragments, then finish, usage and ``[DONE]``."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-scripted",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    chunks = [chunk({"role": "assistant", "content": ""})]
    words = reply.text.split(" ")
    for start in range(0, len(words) if reply.text else 0, 2):
        piece = " ".join(words[start : start + 2]) + (" " if start + 2 < len(words) else "")
        chunks.append(chunk({"content": piece}))
    for index, (call_id, name, arguments) in enumerate(reply.tool_calls):
        encoded = json.dumps(arguments)
        head = {"index": index, "id": call_id, "type": "function"}
        chunks.append(
            chunk({"tool_calls": [{**head, "function": {"name": name, "arguments": ""}}]})
        )
        for fragment in (encoded[: len(encoded) // 2], encoded[len(encoded) // 2 :]):
            chunks.append(
                chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
            )
    chunks.append(chunk({}, reply.finish))
    payloads = [json.dumps(item) for item in chunks]
    if include_usage:
        prompt, completion = reply.usage
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        payloads.append(json.dumps({**chunk({}), "choices": [], "usage": usage}))
    return [*payloads, "[DONE]"]


class ScriptedServer:
    """Runs uvicorn in a background thread; stop it with :meth:`stop` (or use ``with``)."""

    def __init__(self, models: tuple[str, ...] = ("llama3.1",)) -> None:
        self.models = models
        self.replies: deque[Reply] = deque()
        self.requests: list[Received] = []
        self._stopping = threading.Event()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        app = Starlette(
            routes=[
                Route("/v1/models", self._list_models, methods=["GET"]),
                Route("/{path:path}", self._answer, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def reset(self) -> None:
        self.replies.clear()
        self.requests.clear()

    def start(self) -> ScriptedServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the scripted server did not start within 10 s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def _list_models(self, request: Request) -> Response:
        self.requests.append(Received("GET", request.url.path, dict(request.headers), None))
        return JSONResponse(
            {"object": "list", "data": [{"id": m, "object": "model"} for m in self.models]}
        )

    async def _answer(self, request: Request) -> Response:
        raw = await request.body()
        body: dict[str, Any] = json.loads(raw) if raw else {}
        self.requests.append(Received("POST", request.url.path, dict(request.headers), body))
        if not self.replies:
            return JSONResponse({"error": {"message": "no scripted reply left"}}, status_code=500)
        reply = self.replies.popleft()
        if isinstance(reply, HttpError):
            return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)
        if isinstance(reply, Stall):
            await self._stall()
            return Response(status_code=504)
        model = str(body.get("model", "scripted"))
        if isinstance(reply, RawStream):
            return _sse(list(reply.data))
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return _sse(completion_chunks(reply, model, include_usage=include_usage))
        return JSONResponse(completion_json(reply, model))

    async def _stall(self) -> None:
        await asyncio.to_thread(self._stopping.wait, STALL_LIMIT_SECONDS)


def _sse(payloads: list[str]) -> StreamingResponse:
    async def events() -> AsyncIterator[str]:
        for payload in payloads:
            yield f"data: {payload}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


def running_server(models: tuple[str, ...] = ("llama3.1",)) -> Iterator[ScriptedServer]:
    """For a pytest fixture: a started server, stopped afterwards."""
    with ScriptedServer(models) as server:
        yield server
