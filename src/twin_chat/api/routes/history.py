"""``GET`` and ``DELETE /api/chat/history/{session_id}``: see a conversation, or forget it."""

from __future__ import annotations

from fastapi import APIRouter, Response

from twin_chat.api.deps import SessionIdPath, TwinServiceDep
from twin_chat.api.schemas import HistoryMessageOutput, HistoryOutput

router = APIRouter(tags=["history"])


@router.get("/chat/history/{session_id}", summary="The stored conversation of a session")
def history(session_id: SessionIdPath, twin: TwinServiceDep) -> HistoryOutput:
    """Every stored message in order, and the summary of turns the model no longer sees
    verbatim. 404 when the session has no conversation (never started, or deleted)."""
    conversation = twin.history(session_id)
    return HistoryOutput(
        session_id=conversation.session_id,
        messages=[
            HistoryMessageOutput(
                role=message.role,
                content=message.content,
                timestamp=message.timestamp,
                unanswered=message.unanswered,
            )
            for message in conversation.messages()
        ],
        summary=conversation.summary.text() if conversation.summary else None,
    )


@router.delete(
    "/chat/history/{session_id}",
    status_code=204,
    response_class=Response,
    summary="Forget a session's conversation",
)
def forget(session_id: SessionIdPath, twin: TwinServiceDep) -> Response:
    """Delete the conversation (the visitor's right to forget). 204 also when it is
    already gone; the session id stays usable and starts afresh."""
    twin.forget(session_id)
    return Response(status_code=204)


__all__ = ["router"]
