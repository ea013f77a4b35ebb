"""Demo data for the twin: the fictional sample persona, uploaded once to the memory bucket."""

from __future__ import annotations

from foundation.adapters import Adapters
from foundation.objectstore import PreconditionFailedError
from foundation.settings import Settings
from twin_chat.persona import sample_files
from twin_chat.settings import TwinSettings, load_twin_settings

_CONTENT_TYPES = {"me.txt": "text/plain; charset=utf-8", "style.md": "text/markdown; charset=utf-8"}


def prepare_demo(settings: Settings, twin: TwinSettings | None = None) -> None:
    """Upload the sample persona (text and style guide) unless a persona is already there.

    Idempotent, and never overwrites: if ``me.txt`` exists, whoever put it there
    also decides the style guide, so nothing is uploaded at all.
    """
    twin = twin or load_twin_settings()
    store = Adapters(settings).object_store(twin.memory_bucket)
    if store.exists(twin.persona_key):
        return
    files = sample_files()
    # The style guide first: the persona text's presence is what marks the demo as prepared.
    for key, name in ((twin.style_key, "style.md"), (twin.persona_key, "me.txt")):
        try:
            store.put(
                key,
                files[name].read_bytes(),
                content_type=_CONTENT_TYPES[name],
                if_none_match=True,
            )
        except PreconditionFailedError:
            continue  # written by a concurrent prepare, or by the owner: keep theirs


__all__ = ["prepare_demo"]
