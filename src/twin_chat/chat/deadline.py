"""Model calls that end within a deadline, whatever the provider does.

Adapters have their own network time-outs, but those bound each read, not the
whole answer: a stream that trickles, or a call stuck before its first byte,
could outlive a 30 s Lambda. Here the call runs on a worker thread and the
caller waits at most ``seconds`` in total, then raises LlmUnavailableError.
A call abandoned this way finishes (or times out) on its worker in the
background; a stream is told to stop at its next event.
"""

from __future__ import annotations

import contextvars
import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError

from foundation.llm import (
    ChatModel,
    ChatRequest,
    ChatResponse,
    LlmUnavailableError,
    StreamEvent,
    TextDelta,
)

# Retry-After for a model that ran out of time: long enough for a blip to pass.
TIMEOUT_RETRY_AFTER_SECONDS = 5
_WORKERS = ThreadPoolExecutor(max_workers=64, thread_name_prefix="twin-llm")


def _timed_out(model: ChatModel, seconds: float) -> LlmUnavailableError:
    return LlmUnavailableError(
        f"the language model ({model.backend} {model.name}) did not answer within {seconds:g} s",
        retry_after_seconds=TIMEOUT_RETRY_AFTER_SECONDS,
    )


def converse_within(model: ChatModel, request: ChatRequest, seconds: float) -> ChatResponse:
    """``model.converse(request)``, or LlmUnavailableError after ``seconds``."""
    context = contextvars.copy_context()  # keeps the request id on the worker's log lines
    future = _WORKERS.submit(context.run, model.converse, request)
    try:
        return future.result(timeout=seconds)
    except FutureTimeoutError:
        future.cancel()
        raise _timed_out(model, seconds) from None


def stream_within(model: ChatModel, request: ChatRequest, seconds: float) -> Iterator[str]:
    """The text deltas of ``model.stream(request)``, or LlmUnavailableError once the whole
    stream has taken ``seconds``. Errors of the stream are raised as they are."""
    # Events, then None at the end, or the exception that ended the stream.
    events: queue.Queue[StreamEvent | BaseException | None] = queue.Queue()
    stop = threading.Event()

    def produce() -> None:
        try:
            for event in model.stream(request):
                if stop.is_set():
                    return
                events.put(event)
            events.put(None)
        except BaseException as exc:  # handed to the consumer, who raises it
            events.put(exc)

    _WORKERS.submit(contextvars.copy_context().run, produce)
    deadline = time.monotonic() + seconds
    try:
        while True:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise queue.Empty
                item = events.get(timeout=remaining)
            except queue.Empty:
                raise _timed_out(model, seconds) from None
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, TextDelta) and item.text:
                yield item.text
    finally:
        stop.set()


__all__ = ["TIMEOUT_RETRY_AFTER_SECONDS", "converse_within", "stream_within"]
