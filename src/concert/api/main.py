"""The Concert Data Platform's app: ingestion, data quality and warehouse routes.

Locally the portal mounts it at ``/concert``; on AWS the same app runs in
Lambda behind API Gateway (``foundation.web.lambda_handler``).
"""

from __future__ import annotations

from fastapi import FastAPI

from concert.api.routes import ingest, quality, warehouse
from concert.settings import ConcertSettings
from foundation.adapters import Adapters
from foundation.health import Checkable
from foundation.settings import Settings
from foundation.web import create_app as create_service_app


def create_app(settings: Settings, concert: ConcertSettings | None = None) -> FastAPI:
    concert = concert or ConcertSettings()
    adapters = Adapters(settings)

    def dependencies() -> list[tuple[str, Checkable]]:
        return [
            ("raw zone", adapters.object_store(concert.raw_bucket)),
            ("processed zone", adapters.object_store(concert.processed_bucket)),
            ("warehouse", adapters.warehouse(concert.warehouse)),
            ("events stream", adapters.event_stream(concert.events_stream)),
        ]

    app = create_service_app(
        title="Concert Data Platform",
        service="concert",
        description="Ingest concert data, check its quality and query the warehouse.",
        max_request_bytes=settings.max_request_bytes,
        dependencies=dependencies,
        # Uploads stream to disk and enforce ConcertSettings.max_upload_bytes themselves.
        body_limit_overrides={"/api/ingest": None},
    )
    app.state.adapters = adapters
    app.state.concert_settings = concert
    for module in (ingest, quality, warehouse):
        app.include_router(module.router)
    return app


__all__ = ["create_app"]
