"""Which passage of the persona answers a question: BM25 with a coverage test.

Ranking is Okapi BM25 over each passage's words, its heading counted twice.
A question's words are widened by a small thesaurus of the things visitors ask
a person about ("job" finds "career", "hobbies" finds "free time"), and by a
few phrasings that carry no content words ("where are you from").

BM25 scores are not comparable across questions, so whether the persona
answers at all is decided by *coverage*: the share of the question's concepts,
weighted by how rare they are, that the passage contains. A word the persona
never uses weighs the most, so "what is your blood type" covers nothing even
if "type" occurs somewhere.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from twin_chat.persona.parsing import Passage
from twin_chat.text import stem, terms

K1 = 1.5
B = 0.75
HEADING_WEIGHT = 2
SYNONYM_WEIGHT = 0.5

_THESAURUS = (
    "job work career profession occupation employer company role",
    "grow childhood hometown raise born origin",
    "hobby pastime fun leisure free spare",
    "contact reach email touch message",
    "study education university degree school college graduate",
    "skill expertise strength good",
    "live based located home",
    "opinion view believe think",
    "project build",
    "family partner married wife husband kid child parent sibling",
    "pet cat dog animal",
    "book read novel author",
    "music instrument orchestra band song",
    "food cook recipe eat dish meal",
    "travel trip visit place",
    "sport exercise swim fitness run",
    "ai artificial intelligence machine",
    "language speak",
    "program code software develop",
    "team colleague staff",
    "meeting agenda",
)

# Phrasings whose meaning is not in their words, as the words that carry it.
_PHRASES = (
    (re.compile(r"\bwhere\b.*\bfrom\b", re.IGNORECASE), "hometown"),
    (re.compile(r"\bwhat do you do\b(?!\s+(for|in|on|at|when))", re.IGNORECASE), "job"),
    (re.compile(r"\bfor fun\b|\b(free|spare) time\b|\bweekends?\b", re.IGNORECASE), "hobby"),
    (re.compile(r"\bget in touch\b|\breach you\b", re.IGNORECASE), "contact"),
    (re.compile(r"\bworking on\b", re.IGNORECASE), "current project"),
)


def _synonym_table() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for line in _THESAURUS:
        group = {stem(word) for word in line.split()}
        for term in group:
            table.setdefault(term, set()).update(group)
    return {term: frozenset(group) for term, group in table.items()}


SYNONYMS = _synonym_table()


@dataclass(frozen=True, slots=True)
class Concept:
    """One content word of a question and the words that mean the same to a visitor."""

    term: str
    synonyms: frozenset[str]

    @property
    def members(self) -> frozenset[str]:
        return self.synonyms | {self.term}


@dataclass(frozen=True, slots=True)
class Match:
    """A passage, its BM25 score for the question, and the share of the question it covers."""

    passage: Passage
    score: float
    coverage: float
    position: int


def concepts(question: str) -> list[Concept]:
    """The question's concepts, each content word once, phrasings expanded."""
    text = question + "".join(
        f" {extra}" for pattern, extra in _PHRASES if pattern.search(question)
    )
    unique = dict.fromkeys(terms(text))
    return [Concept(term, SYNONYMS.get(term, frozenset()) - {term}) for term in unique]


class PassageIndex:
    """An immutable BM25 index over passages; build once per persona version."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = tuple(passages)
        self._documents: list[Counter[str]] = [
            Counter(terms(passage.section) * HEADING_WEIGHT + terms(passage.text))
            for passage in self.passages
        ]
        self._lengths = [sum(document.values()) for document in self._documents]
        self._average_length = (sum(self._lengths) / len(self._lengths)) if self._lengths else 0.0
        self._frequency: Counter[str] = Counter(
            term for document in self._documents for term in document
        )

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency; highest for a word no passage uses."""
        count = len(self._documents)
        seen = self._frequency[term]
        return math.log(1 + (count - seen + 0.5) / (seen + 0.5))

    def _weight(self, concept: Concept) -> float:
        """How much a concept matters to coverage: its most common known form's rarity."""
        known = [self.idf(term) for term in concept.members if self._frequency[term]]
        return min(known) if known else self.idf(concept.term)

    def search(self, question: str, limit: int = 5) -> list[Match]:
        """Passages that share a concept with the question, best first: by coverage,
        then by BM25 score, then in the order they are written."""
        wanted = concepts(question)
        if not wanted or not self._documents:
            return []
        weights = [self._weight(concept) for concept in wanted]
        total = sum(weights)
        matches = []
        for position, (passage, document, length) in enumerate(
            zip(self.passages, self._documents, self._lengths, strict=True)
        ):
            covered = sum(
                weight
                for concept, weight in zip(wanted, weights, strict=True)
                if any(document[term] for term in concept.members)
            )
            if covered:
                score = self._bm25(wanted, document, length)
                matches.append(Match(passage, score, covered / total, position))
        matches.sort(key=lambda match: (-round(match.coverage, 6), -match.score, match.position))
        return matches[:limit]

    def _bm25(self, wanted: list[Concept], document: Counter[str], length: int) -> float:
        norm = K1 * (1 - B + B * length / self._average_length)
        score = 0.0
        for concept in wanted:
            for term in concept.members:
                frequency = document[term]
                if frequency:
                    weight = 1.0 if term == concept.term else SYNONYM_WEIGHT
                    score += weight * self.idf(term) * frequency * (K1 + 1) / (frequency + norm)
        return score


__all__ = ["SYNONYMS", "Concept", "Match", "PassageIndex", "concepts"]
