"""``GET /api/persona``: who the twin is, for the page header."""

from __future__ import annotations

from fastapi import APIRouter

from twin_chat.api.deps import TwinServiceDep
from twin_chat.api.schemas import PersonaOutput

router = APIRouter(tags=["persona"])


@router.get("/persona", summary="The persona's name and headline, and whether it runs offline")
def persona(twin: TwinServiceDep) -> PersonaOutput:
    """503 when the persona text is not in the memory bucket."""
    card = twin.persona_card()
    return PersonaOutput(name=card.name, headline=card.headline, offline=card.offline)


__all__ = ["router"]
