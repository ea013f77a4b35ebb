"""Load the persona from the memory bucket, and again whenever one of its objects changes.

Each :meth:`PersonaLoader.load` asks the store for the etags of the persona's
objects (HEAD requests, no bodies) and rebuilds the persona only when they
differ from the cached copy's, so an upload takes effect on the next request
without a restart, and an unchanged persona costs three HEADs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from foundation.health import HealthStatus, timed_check
from foundation.objectstore import ObjectNotFoundError, ObjectStore, StoredObject
from foundation.observability import get_logger
from twin_chat.persona.exceptions import PersonaNotConfiguredError
from twin_chat.persona.model import Persona
from twin_chat.persona.parsing import Passage, parse_header, pdf_text, split_passages


@dataclass(frozen=True, slots=True)
class PersonaKeys:
    """Where the persona's objects live: the text (required), a PDF profile and a style guide."""

    persona: str = "me.txt"
    pdf: str = "linkedin.pdf"
    style: str = "style.md"

    def all(self) -> tuple[str, str, str]:
        return (self.persona, self.pdf, self.style)


def _decode(data: bytes) -> str:
    return data.decode("utf-8-sig", errors="replace")


def build_persona(
    text: str,
    *,
    source: str = "me.txt",
    pdf: tuple[str, bytes] | None = None,
    style: str = "",
    version: tuple[str | None, ...] = (),
) -> Persona:
    """A persona from the text of its objects; an unreadable PDF becomes a warning."""
    header = parse_header(text)
    passages: list[Passage] = split_passages(header.body, source)
    warnings: list[str] = []
    if pdf is not None:
        key, data = pdf
        try:
            passages += split_passages(pdf_text(data), key)
        # pypdf raises many exception types on damaged files; the persona text still works.
        except Exception as exc:
            warnings.append(f"{key} could not be read as a PDF ({type(exc).__name__}: {exc})")
    if not passages:
        warnings.append(f"{source} has no text besides its name")
    return Persona(
        name=header.name or "the persona",
        headline=header.headline,
        passages=tuple(passages),
        style=style.strip(),
        version=version,
        warnings=tuple(warnings),
    )


class PersonaLoader:
    """Reads and caches the persona; thread-safe, one per app."""

    def __init__(self, store: ObjectStore, *, bucket: str, keys: PersonaKeys | None = None) -> None:
        self.store = store
        self.bucket = bucket
        self.keys = keys or PersonaKeys()
        self._cached: Persona | None = None
        self._lock = threading.Lock()
        self._logger = get_logger("digital-twin-chat")

    def load(self) -> Persona:
        """The current persona; PersonaNotConfiguredError when the persona text is absent."""
        version = tuple(self._etag(key) for key in self.keys.all())
        if version[0] is None:
            raise PersonaNotConfiguredError(self.bucket, self.keys.persona)
        with self._lock:
            cached = self._cached
        if cached is not None and cached.version == version:
            return cached
        persona = self._read()
        with self._lock:
            self._cached = persona
        self._logger.info(
            "persona loaded",
            extra={"passages": len(persona.passages), "warnings": list(persona.warnings)},
        )
        return persona

    def _etag(self, key: str) -> str | None:
        try:
            return self.store.head(key).etag
        except ObjectNotFoundError:
            return None

    def _get(self, key: str) -> StoredObject | None:
        try:
            return self.store.get(key)
        except ObjectNotFoundError:
            return None

    def _read(self) -> Persona:
        text, pdf, style = (self._get(key) for key in self.keys.all())
        if text is None:
            raise PersonaNotConfiguredError(self.bucket, self.keys.persona)
        # The version is that of the bodies read, so a change during the read reloads next time.
        version = tuple(None if item is None else item.info.etag for item in (text, pdf, style))
        return build_persona(
            _decode(text.body),
            source=self.keys.persona,
            pdf=None if pdf is None else (self.keys.pdf, pdf.body),
            style="" if style is None else _decode(style.body),
            version=version,
        )

    def check(self) -> HealthStatus:
        """Whether the persona is in the bucket and readable, with any warnings."""

        def probe() -> str:
            persona = self.load()
            detail = f"{persona.name}: {len(persona.passages)} passages"
            if persona.warnings:
                detail += f" ({'; '.join(persona.warnings)})"
            return detail

        return timed_check("persona", self.store.backend, probe)


__all__ = ["PersonaKeys", "PersonaLoader", "build_persona"]
