"""The one way every service builds its FastAPI app, so they all behave alike.

Each app gets problem+json errors, request ids, access logs and metrics, a
request body limit and a ``/health`` route that checks its real dependencies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI

from foundation.web.health import DependencyList, health_router
from foundation.web.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from foundation.web.problems import install_problem_handlers


def create_app(
    *,
    title: str,
    service: str,
    description: str = "",
    version: str = "0.1.0",
    max_request_bytes: int = 10 * 1024 * 1024,
    dependencies: DependencyList | None = None,
    body_limit_overrides: Mapping[str, int | None] | None = None,
    **fastapi_options: Any,
) -> FastAPI:
    """Build an app; ``body_limit_overrides`` gives path prefixes their own body limit
    (``None``: no limit at this layer, for prefixes where a mounted app enforces its own)."""
    app = FastAPI(title=title, description=description, version=version, **fastapi_options)
    install_problem_handlers(app)
    # Added last runs first: the request id must exist before the size check can answer.
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=max_request_bytes, overrides=body_limit_overrides
    )
    app.add_middleware(RequestContextMiddleware, service=service)
    app.include_router(health_router(dependencies or (lambda: []), service=service))
    return app


__all__ = ["create_app"]
