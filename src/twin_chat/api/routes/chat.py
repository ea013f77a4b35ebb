"""``POST /api/chat`` and its streaming twin ``POST /api/chat/stream``."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from twin_chat.api.deps import TwinServiceDep
from twin_chat.api.schemas import ChatInput, ChatOutput
from twin_chat.api.sse import HEADERS, MEDIA_TYPE, problem_document, sse_event
from twin_chat.chat import Done, PreparedTurn, Token, TwinService

router = APIRouter(tags=["chat"])


@router.post("/chat", summary="Send a message and get the twin's whole answer")
def chat(body: ChatInput, twin: TwinServiceDep) -> ChatOutput:
    """Answer ``message`` in the session (a new one when ``session_id`` is absent; a
    well-formed id without a conversation starts one). The question and the answer are
    stored together. 503/429 with Retry-After when the language model fails or is busy:
    the question is then kept in the history and sending it again retries it."""
    reply = twin.chat(body.message, body.session_id)
    return ChatOutput(
        response=reply.response, session_id=reply.session_id, timestamp=reply.timestamp
    )


@router.post(
    "/chat/stream",
    summary="Send a message and receive the answer as server-sent events",
    response_class=StreamingResponse,
    responses={200: {"content": {MEDIA_TYPE: {}}, "description": "session, token..., done"}},
)
def chat_stream(body: ChatInput, twin: TwinServiceDep, request: Request) -> StreamingResponse:
    """Events: ``session`` {session_id}, then ``token`` {text} as the answer is written,
    then ``done`` {response, session_id, timestamp}; or ``error`` with a problem document.
    Invalid input and a missing persona are refused before the stream starts."""
    turn = twin.prepare(body.message, body.session_id)
    return StreamingResponse(
        _events(twin, turn, request.url.path), media_type=MEDIA_TYPE, headers=HEADERS
    )


def _events(twin: TwinService, turn: PreparedTurn, path: str) -> Iterator[str]:
    yield sse_event("session", {"session_id": turn.session_id})
    for outcome in twin.stream(turn):
        if isinstance(outcome, Token):
            yield sse_event("token", {"text": outcome.text})
        elif isinstance(outcome, Done):
            reply = outcome.reply
            yield sse_event(
                "done",
                {
                    "response": reply.response,
                    "session_id": reply.session_id,
                    "timestamp": reply.timestamp,
                },
            )
        else:
            yield sse_event("error", problem_document(outcome.error, path))


__all__ = ["router"]
