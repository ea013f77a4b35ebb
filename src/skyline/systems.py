"""The systems this server can host, and whether each one is built yet.

A system is built when its module exposes ``create_app(settings) -> FastAPI``;
the portal mounts it under ``/<slug>`` and links to its UI and API docs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI

from foundation.settings import Settings

AppFactory = Callable[[Settings], FastAPI]


@dataclass(frozen=True, slots=True)
class SystemEntry:
    slug: str
    name: str
    summary: str
    app_module: str
    ui_path: str = "/"

    def load_factory(self) -> AppFactory | None:
        """The system's app factory, or None while the system is not built."""
        try:
            module = importlib.import_module(self.app_module)
        except ModuleNotFoundError as exc:
            # Only the system's own absence means "not built"; a missing dependency is a real error.
            if exc.name and self.app_module.startswith(exc.name):
                return None
            raise
        factory: AppFactory = module.create_app
        return factory


SYSTEMS: tuple[SystemEntry, ...] = (
    SystemEntry(
        slug="concert",
        name="Concert Data Platform",
        summary=(
            "Ingests artists, venues, concerts and ticket sales from APIs, files and a live "
            "stream; checks data quality; builds a warehouse; forecasts ticket sales, ranks "
            "venues, recommends concerts and answers questions through a chatbot."
        ),
        app_module="concert.api.main",
        ui_path="/docs",  # the dashboard arrives with its own issue; the API is usable now
    ),
    SystemEntry(
        slug="twin",
        name="Digital Twin Chat",
        summary=(
            "Talk to an AI twin of a person described by persona files, with persistent "
            "conversation memory and streaming replies."
        ),
        app_module="twin_chat.api.main",
    ),
    SystemEntry(
        slug="omnitrack",
        name="OmniTrack",
        summary=(
            "A supply-chain digital twin: simulate disruption scenarios, get alerts, share "
            "scenarios in a marketplace and track sustainability, with authenticated users "
            "and live updates."
        ),
        app_module="omnitrack.api.main",
    ),
)


__all__ = ["SYSTEMS", "AppFactory", "SystemEntry"]
