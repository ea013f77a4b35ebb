"""Loading the persona: header, passages, a PDF profile, the style guide, reload on change."""

from __future__ import annotations

from pathlib import Path

import pytest

from foundation.objectstore import LocalObjectStore
from tests.unit.twin_chat.pdf import text_pdf
from twin_chat.persona import (
    PersonaLoader,
    PersonaNotConfiguredError,
    build_persona,
    parse_header,
    sample_files,
    split_passages,
)

PERSONA = """Name: Ada Testperson
Headline: Lighthouse engineer

# Background
I grew up next to a lighthouse on a rocky coast.

# Hobbies
I knit scarves for lighthouse keepers.
I also collect old lenses.
"""


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "bucket")


@pytest.fixture
def loader(store: LocalObjectStore) -> PersonaLoader:
    return PersonaLoader(store, bucket="twin-memory")


def test_header_gives_name_and_headline_and_the_rest_is_the_body() -> None:
    header = parse_header(PERSONA)
    assert (header.name, header.headline) == ("Ada Testperson", "Lighthouse engineer")
    assert header.body.lstrip().startswith("# Background")


def test_without_header_fields_the_first_line_is_the_name() -> None:
    header = parse_header("# Bo Example\n\nI build boats.\n")
    assert header.name == "Bo Example"
    assert header.headline == ""
    assert "I build boats." in header.body
    assert "Bo Example" not in header.body


def test_passages_are_paragraphs_under_their_headings() -> None:
    passages = split_passages(parse_header(PERSONA).body, "me.txt")
    assert [(p.section, p.text) for p in passages] == [
        ("Background", "I grew up next to a lighthouse on a rocky coast."),
        ("Hobbies", "I knit scarves for lighthouse keepers. I also collect old lenses."),
    ]


def test_a_long_paragraph_is_cut_into_sentence_groups() -> None:
    paragraph = " ".join(f"Sentence number {i} has exactly seven words." for i in range(40))
    passages = split_passages(paragraph, "me.txt")
    assert len(passages) > 1
    assert all(len(p.text.split()) <= 80 for p in passages)
    assert " ".join(p.text for p in passages) == paragraph


def test_sample_persona_is_rich_and_says_it_is_fictional() -> None:
    persona = build_persona(sample_files()["me.txt"].read_text())
    assert persona.name == "Juniper Okonkwo-Hale"
    assert len(persona.passages) >= 25
    for topic in ("background", "career", "projects", "skills", "opinions", "hobbies", "contact"):
        assert topic in persona.topics()
    assert any("fictional" in p.text for p in persona.passages)
    assert len(sample_files()["me.txt"].read_text().split()) >= 1200


def test_missing_persona_text_names_the_key_and_the_bucket(loader: PersonaLoader) -> None:
    with pytest.raises(PersonaNotConfiguredError) as caught:
        loader.load()
    assert caught.value.detail == "persona not configured: upload me.txt to twin-memory"
    assert caught.value.status == 503


def test_pdf_profile_adds_passages_the_retriever_can_find(
    store: LocalObjectStore, loader: PersonaLoader
) -> None:
    store.put("me.txt", PERSONA.encode())
    pdf = text_pdf(
        [
            "Experience",
            "Senior Engineer, Fjordline Robotics (2014-2016)",
            "Designed ballast systems for survey drones.",
            "Certifications",
            "Commercial diver, HSE Part IV",
        ]
    )
    store.put("linkedin.pdf", pdf, content_type="application/pdf")
    persona = loader.load()
    from_pdf = [p for p in persona.passages if p.source == "linkedin.pdf"]
    assert [p.section for p in from_pdf] == ["Experience", "Certifications"]
    best = persona.index.search("What did you do at Fjordline Robotics?")[0]
    assert best.passage.source == "linkedin.pdf"
    assert "ballast systems" in best.passage.text


def test_unreadable_pdf_is_a_warning_and_the_text_still_loads(
    store: LocalObjectStore, loader: PersonaLoader
) -> None:
    store.put("me.txt", PERSONA.encode())
    store.put("linkedin.pdf", b"%PDF-1.4 this is not really a pdf")
    persona = loader.load()
    assert persona.name == "Ada Testperson"
    assert any("linkedin.pdf could not be read" in warning for warning in persona.warnings)
    assert "linkedin.pdf could not be read" in loader.check().detail


def test_persona_is_cached_until_an_object_changes(
    store: LocalObjectStore, loader: PersonaLoader
) -> None:
    store.put("me.txt", PERSONA.encode())
    first = loader.load()
    assert loader.load() is first  # unchanged etags: no rebuild

    store.put("me.txt", PERSONA.replace("Ada Testperson", "Ada Renamed").encode())
    assert loader.load().name == "Ada Renamed"

    store.put("style.md", b"- Speak in short sentences.")
    restyled = loader.load()
    assert restyled.style == "- Speak in short sentences."

    store.delete("style.md")
    assert loader.load().style == ""


def test_persona_removed_after_loading_is_reported_again(
    store: LocalObjectStore, loader: PersonaLoader
) -> None:
    store.put("me.txt", PERSONA.encode())
    loader.load()
    store.delete("me.txt")
    with pytest.raises(PersonaNotConfiguredError):
        loader.load()
    assert not loader.check().ok
