"""The twin itself: prompts from the persona, answers through the LLM port, stored turns.

:class:`TwinService` validates a message, builds the model request from the
persona, the running summary and the recent turns (:mod:`.prompt`), calls any
provider of :class:`foundation.llm.ChatModel` within a deadline
(:mod:`.deadline`), and stores the exchange. :class:`PersonaPlanner` is the
offline provider's brain: first-person answers from the best persona passage,
an honest "I don't know" otherwise.
"""

from __future__ import annotations

from twin_chat.chat.exceptions import InvalidMessageError, TwinBusyError, TwinUnavailableError
from twin_chat.chat.planner import OFFLINE_NOTICE, PersonaPlanner
from twin_chat.chat.prompt import build_request, system_prompt
from twin_chat.chat.service import (
    SERVICE_NAME,
    Done,
    Failed,
    ModelFactory,
    PersonaCard,
    PreparedTurn,
    Reply,
    StreamOutcome,
    Token,
    TwinService,
    validate_message,
)

__all__ = [
    "OFFLINE_NOTICE",
    "SERVICE_NAME",
    "Done",
    "Failed",
    "InvalidMessageError",
    "ModelFactory",
    "PersonaCard",
    "PersonaPlanner",
    "PreparedTurn",
    "Reply",
    "StreamOutcome",
    "Token",
    "TwinBusyError",
    "TwinService",
    "TwinUnavailableError",
    "build_request",
    "system_prompt",
    "validate_message",
]
