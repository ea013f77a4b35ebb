"""The persona as the twin uses it: who it is, what it has written, how it talks."""

from __future__ import annotations

from dataclasses import dataclass, field

from twin_chat.persona.parsing import Passage
from twin_chat.persona.retrieval import PassageIndex

# Sections that describe the persona file rather than a topic a visitor can ask about.
_NOT_TOPICS = ("about",)


@dataclass(frozen=True, slots=True)
class Persona:
    """A loaded persona; ``version`` holds the etags of the objects it was read from
    (None for an optional object that is absent) and decides when to reload."""

    name: str
    headline: str
    passages: tuple[Passage, ...]
    style: str = ""
    version: tuple[str | None, ...] = ()
    warnings: tuple[str, ...] = ()
    index: PassageIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", PassageIndex(self.passages))

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name

    def topics(self, limit: int = 12) -> list[str]:
        """Section names a visitor can ask about, in the order they are written."""
        names = dict.fromkeys(
            passage.section[:1].lower() + passage.section[1:]
            for passage in self.passages
            if passage.section and not passage.section.lower().startswith(_NOT_TOPICS)
        )
        return list(names)[:limit]

    def text(self) -> str:
        """Every passage under its section heading, as one document for a model's prompt."""
        return render_passages(self.passages)


def render_passages(passages: tuple[Passage, ...] | list[Passage]) -> str:
    """Passages grouped under their headings, in the order given."""
    lines: list[str] = []
    heading: tuple[str, str] | None = None
    for passage in passages:
        if (passage.source, passage.section) != heading:
            heading = (passage.source, passage.section)
            title = passage.section or "General"
            lines.append(
                f"\n## {title} ({passage.source})" if lines else f"## {title} ({passage.source})"
            )
        lines.append(passage.text)
    return "\n".join(lines)


__all__ = ["Persona", "render_passages"]
