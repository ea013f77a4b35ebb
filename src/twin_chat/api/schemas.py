"""Request and response bodies of the twin's API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from twin_chat.memory import SESSION_ID_PATTERN


class ChatInput(BaseModel):
    message: str = Field(description="1 to 4000 characters after trimming (the configured limit)")
    session_id: str | None = Field(
        default=None,
        pattern=SESSION_ID_PATTERN,
        description="Continue (or start) this session; a new UUID4 is issued when absent",
    )


class ChatOutput(BaseModel):
    response: str
    session_id: str
    timestamp: str = Field(description="When the answer was written, ISO-8601 UTC")


class HistoryMessageOutput(BaseModel):
    role: Literal["user", "assistant"]
    content: str
    timestamp: str
    unanswered: bool = Field(
        default=False, description="A question whose answer failed; sending it again retries it"
    )


class HistoryOutput(BaseModel):
    session_id: str
    messages: list[HistoryMessageOutput]
    summary: str | None = Field(description="Summary of turns the model no longer sees verbatim")


class PersonaOutput(BaseModel):
    name: str
    headline: str
    offline: bool = Field(description="True when answers come from the offline engine")


__all__ = ["ChatInput", "ChatOutput", "HistoryMessageOutput", "HistoryOutput", "PersonaOutput"]
