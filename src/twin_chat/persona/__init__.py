"""The persona: who the twin is, read from the memory bucket and indexed for retrieval.

:class:`PersonaLoader` reads ``me.txt`` (required), an optional PDF profile
(parsed with pypdf) and a style guide, caches the result by the objects'
etags and rebuilds it when one changes. :class:`PassageIndex` ranks the
persona's passages for a question with BM25 and says how much of the question
they cover. The fictional sample persona ships in ``sample/``.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from twin_chat.persona.exceptions import PersonaNotConfiguredError
from twin_chat.persona.loader import PersonaKeys, PersonaLoader, build_persona
from twin_chat.persona.model import Persona, render_passages
from twin_chat.persona.parsing import Passage, parse_header, pdf_text, split_passages
from twin_chat.persona.retrieval import Match, PassageIndex


def sample_files() -> dict[str, Traversable]:
    """The shipped sample persona's files by name: ``me.txt`` and ``style.md``."""
    folder = files("twin_chat.persona") / "sample"
    return {name: folder / name for name in ("me.txt", "style.md")}


__all__ = [
    "Match",
    "Passage",
    "PassageIndex",
    "Persona",
    "PersonaKeys",
    "PersonaLoader",
    "PersonaNotConfiguredError",
    "build_persona",
    "parse_header",
    "pdf_text",
    "render_passages",
    "sample_files",
    "split_passages",
]
