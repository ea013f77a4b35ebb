"""The ``/health`` route: checks the app's real dependencies, 503 when one fails."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from foundation.health import Checkable, run_checks

DependencyList = Callable[[], Sequence[tuple[str, Checkable]]]


def health_router(dependencies: DependencyList, *, service: str) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health", summary="Check this service and the dependencies it relies on")
    async def health() -> JSONResponse:
        """Report each dependency's backend, reachability and latency; 503 if any is down."""
        results = await run_in_threadpool(lambda: run_checks(dependencies()))
        healthy = all(result.ok for result in results)
        body = {
            "service": service,
            "status": "ok" if healthy else "degraded",
            "checks": [asdict(result) for result in results],
        }
        return JSONResponse(body, status_code=200 if healthy else 503)

    return router


__all__ = ["DependencyList", "health_router"]
