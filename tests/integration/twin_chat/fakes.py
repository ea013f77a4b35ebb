"""Chat models that fail, hang or record on demand, behind the real LLM port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import ClassVar

from foundation.llm import (
    ChatModel,
    ChatRequest,
    ChatResponse,
    Message,
    MessageStop,
    StreamEvent,
    TextDelta,
    Usage,
)


class ScriptedModel(ChatModel):
    """Answers "Answer <n>." unless told to raise ``error``, to ``hang``, or to fail mid-stream.

    A hanging call waits for ``release`` (set it when the test ends so no worker is left waiting).
    """

    backend: ClassVar[str] = "scripted"

    def __init__(self) -> None:
        self.name = "scripted"
        self.error: Exception | None = None
        self.hang = False
        self.fail_after_tokens: int | None = None
        self.release = threading.Event()
        self.requests: list[ChatRequest] = []
        self._lock = threading.Lock()

    def _reply(self, request: ChatRequest) -> str:
        with self._lock:
            self.requests.append(request)
            return f"Answer {len(self.requests)}. I say this in my own words."

    def converse(self, request: ChatRequest) -> ChatResponse:
        if self.hang:
            self.release.wait(10)
        if self.error is not None:
            raise self.error
        return ChatResponse(Message.assistant(self._reply(request)), "end_turn", Usage(1, 1))

    def stream(self, request: ChatRequest) -> Iterator[StreamEvent]:
        if self.fail_after_tokens is None:
            yield from super().stream(request)
            return
        for index in range(self.fail_after_tokens):
            yield TextDelta(f"part{index} ")
        if self.hang:
            self.release.wait(10)
        if self.error is not None:
            raise self.error
        yield MessageStop("end_turn", Usage())
