"""Persona files to passages: the header, headings, paragraphs, and text from PDFs.

A passage is one paragraph under the heading it sits below, the unit the
retriever ranks and the offline twin quotes. Headings are Markdown ``#`` lines,
lines that end with a colon, or short capitalised lines without punctuation
(the shape of section titles in a LinkedIn PDF export).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from twin_chat.text import sentences

# Paragraphs longer than this are cut into sentence groups of at most _CHUNK_WORDS.
MAX_PASSAGE_WORDS = 120
_CHUNK_WORDS = 80
_HEADER_FIELD = re.compile(r"^(name|headline)\s*:\s*(.+)$", re.IGNORECASE)
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$")
_COLON_HEADING = re.compile(r"^([A-Z][^.!?:]{0,60}):$")
_SHORT_HEADING_WORDS = 4
_BULLET = re.compile(r"^[-*\u2022\u00b7]\s+")


@dataclass(frozen=True, slots=True)
class Passage:
    """A paragraph of the persona, the heading above it, and the object it came from."""

    section: str
    text: str
    source: str


@dataclass(frozen=True, slots=True)
class PersonaHeader:
    name: str
    headline: str
    body: str


def parse_header(text: str) -> PersonaHeader:
    """The name and headline of a persona text, and the text that follows them.

    ``Name:`` and ``Headline:`` lines at the top win; otherwise the first line
    is the name (a leading ``#`` removed) and there is no headline.
    """
    lines = text.splitlines()
    fields: dict[str, str] = {}
    start = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped and not fields:
            continue
        match = _HEADER_FIELD.match(stripped)
        if not match:
            start = index
            break
        fields[match.group(1).lower()] = match.group(2).strip()
        start = index + 1
    body = "\n".join(lines[start:])
    name = fields.get("name")
    if name is None:
        first = next((line.strip() for line in lines if line.strip()), "")
        heading = _MARKDOWN_HEADING.match(first)
        name = heading.group(1) if heading else first
        body = "\n".join(lines).split(first, 1)[1] if first else ""
    return PersonaHeader(name=name[:120], headline=fields.get("headline", "")[:200], body=body)


def _heading(line: str) -> str | None:
    for pattern in (_MARKDOWN_HEADING, _COLON_HEADING):
        match = pattern.match(line)
        if match:
            return match.group(1).strip()
    words = line.split()
    if (
        len(words) <= _SHORT_HEADING_WORDS
        and line[0].isupper()
        and line[-1] not in ".!?,;:)"
        and not any(char.isdigit() for char in line)
    ):
        return line
    return None


def _chunks(paragraph: str) -> list[str]:
    if len(paragraph.split()) <= MAX_PASSAGE_WORDS:
        return [paragraph]
    chunks: list[str] = []
    current: list[str] = []
    for sentence in sentences(paragraph):
        if current and len(" ".join([*current, sentence]).split()) > _CHUNK_WORDS:
            chunks.append(" ".join(current))
            current = []
        current.append(sentence)
    if current:
        chunks.append(" ".join(current))
    return chunks


def split_passages(text: str, source: str) -> list[Passage]:
    """Paragraphs of ``text`` (blank lines and headings separate them) with their headings.

    Lines of one paragraph are joined, bullet lines kept apart with "; " so a
    list reads as one passage. Long paragraphs become several passages.
    """
    passages: list[Passage] = []
    section = ""
    lines: list[str] = []

    def flush() -> None:
        if lines:
            paragraph = " ".join(lines)
            passages.extend(Passage(section, chunk, source) for chunk in _chunks(paragraph))
            lines.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        heading = _heading(line) if not _BULLET.match(line) else None
        if heading is not None:
            flush()
            section = heading
            continue
        if _BULLET.match(line):
            item = _BULLET.sub("", line)
            line = f"{item};" if not item.endswith((".", ";", "!", "?")) else item
        lines.append(line)
    flush()
    return passages


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF, pages separated by a blank line."""
    from pypdf import PdfReader  # noqa: PLC0415 - only needed when a PDF is present

    reader = PdfReader(io.BytesIO(data))
    return "\n\n".join((page.extract_text() or "").strip() for page in reader.pages)


__all__ = [
    "MAX_PASSAGE_WORDS",
    "Passage",
    "PersonaHeader",
    "parse_header",
    "pdf_text",
    "split_passages",
]
