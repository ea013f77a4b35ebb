"""Dependencies of the twin's routes, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from twin_chat.chat import TwinService
from twin_chat.memory import SESSION_ID_PATTERN


def get_twin_service(request: Request) -> TwinService:
    service: TwinService = request.app.state.twin_service
    return service


TwinServiceDep = Annotated[TwinService, Depends(get_twin_service)]
SessionIdPath = Annotated[
    str, Path(pattern=SESSION_ID_PATTERN, description="8 to 64 letters, digits or hyphens")
]

__all__ = ["SessionIdPath", "TwinServiceDep", "get_twin_service"]
