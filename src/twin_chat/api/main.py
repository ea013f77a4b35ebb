"""Builds the twin's app: the service from settings, the routes, CORS and the static page.

Routes (under ``/twin`` in the local portal, at the root of the HTTP API on AWS):
``GET /api/health``, ``POST /api/chat``, ``POST /api/chat/stream``,
``GET|DELETE /api/chat/history/{session_id}``, ``GET /api/persona``, and the
static front end at ``/``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from foundation.adapters import Adapters
from foundation.llm import ChatModel
from foundation.llm.offline import Planner
from foundation.objectstore import ObjectStore
from foundation.settings import Settings
from foundation.web import create_app as create_web_app
from foundation.web.health import health_router
from twin_chat.api.routes import chat_router, history_router, persona_router
from twin_chat.chat import SERVICE_NAME, TwinService
from twin_chat.memory import ConversationStore
from twin_chat.persona import PersonaKeys, PersonaLoader
from twin_chat.settings import TwinSettings, load_twin_settings

STATIC_DIR = Path(__file__).resolve().parent.parent / "web" / "static"


def build_service(
    settings: Settings,
    twin: TwinSettings | None = None,
    *,
    chat_model: ChatModel | None = None,
    memory_store: ObjectStore | None = None,
) -> TwinService:
    """The twin service on the adapters the settings choose.

    ``chat_model`` and ``memory_store`` replace the configured ones (tests, benchmarks).
    The LLM provider's API key is read from the twin's own secret.
    """
    twin = twin or load_twin_settings()
    adapters = Adapters(settings.model_copy(update={"llm_api_key_secret": twin.llm_api_key_secret}))
    store = memory_store or adapters.object_store(twin.memory_bucket)

    def model_for(planner: Planner | None) -> ChatModel:
        return chat_model if chat_model is not None else adapters.chat_model(planner=planner)

    offline = (chat_model.backend if chat_model else settings.llm_backend) == "offline"
    return TwinService(
        settings=twin,
        personas=PersonaLoader(
            store,
            bucket=twin.memory_bucket,
            keys=PersonaKeys(twin.persona_key, twin.persona_pdf_key, twin.style_key),
        ),
        conversations=ConversationStore(
            store, recent_turns=twin.recent_turns, max_turns=twin.max_stored_turns
        ),
        model_for=model_for,
        timeout_seconds=settings.llm_timeout_seconds,
        offline=offline,
    )


def create_app(
    settings: Settings, twin: TwinSettings | None = None, *, service: TwinService | None = None
) -> FastAPI:
    """The Digital Twin Chat app; ``twin`` defaults to ``SKYLINE_TWIN_*`` from the environment."""
    twin = twin or load_twin_settings()
    service = service or build_service(settings, twin)
    app = create_web_app(
        title="Digital Twin Chat",
        service=SERVICE_NAME,
        description="Talk to an AI twin of a person, with memory and streaming replies.",
        max_request_bytes=twin.max_request_bytes,
        dependencies=service.health_dependencies,
    )
    app.state.twin_service = service
    # Outermost, so error responses carry CORS headers too and the page can read them.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=twin.cors_origins,
        allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
        allow_headers=["content-type", "x-request-id"],
        expose_headers=["x-request-id", "retry-after"],
        max_age=600,
    )
    app.include_router(
        health_router(service.health_dependencies, service=SERVICE_NAME), prefix="/api"
    )
    for router in (chat_router, history_router, persona_router):
        app.include_router(router, prefix="/api")
    # Last: the page answers every path no route claimed. An empty folder serves nothing.
    app.mount("/", StaticFiles(directory=STATIC_DIR, html=True, check_dir=False), name="static")
    return app


__all__ = ["STATIC_DIR", "build_service", "create_app"]
