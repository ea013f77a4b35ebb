"""One router per resource: chat, history, persona."""

from twin_chat.api.routes.chat import router as chat_router
from twin_chat.api.routes.history import router as history_router
from twin_chat.api.routes.persona import router as persona_router

__all__ = ["chat_router", "history_router", "persona_router"]
