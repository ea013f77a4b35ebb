"""Plain-English text analysis shared by retrieval, the offline twin and summaries.

Words are lower-cased, stripped of possessives, mapped from irregular and
British forms to one spelling, and stemmed with a small suffix stripper, so
"grew up" meets "growing up" and "hobbies" meets "hobby". Pure Python, no
model, deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]\u201d]))\s+(?=[\"'(\[\u201c]?[A-Z0-9])")

_STOPWORD_TEXT = """
    a about above after again against all also am an and any anything are aren't as at be
    because been before being below between both but by can can't could couldn't did didn't do
    does doesn't doing don't down during each else even ever every few for from further get
    gets got had hasn't has have haven't having he he'd he's her here here's hers herself him
    himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just let
    let's like me more most much must my myself no nor not now of off on once only or other
    ought our ours ourselves out over own please quite rather really same say she she'd she's
    should shouldn't so some something such tell than thank thanks that that's the their theirs
    them themselves then there there's these they they'd they're they've thing things this those
    through to too under until up upon us very want was wasn't we we'd we're we've were weren't
    what what's whats when when's where where's which while who who's whom whose why why's will
    with won't would wouldn't yes yet you you'd you'll you're you've your yours yourself
    yourselves hi hello hey ok okay maybe kind sort bit little lot lots anyone someone everyone
    know describe explain share talk mention use used uses using go goes going
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# One spelling for irregular and British forms, before suffix stripping.
_CANONICAL = {
    "grew": "grow",
    "grown": "grow",
    "went": "go",
    "gone": "go",
    "built": "build",
    "taught": "teach",
    "thought": "think",
    "wrote": "write",
    "written": "write",
    "spoke": "speak",
    "spoken": "speak",
    "began": "begin",
    "begun": "begin",
    "led": "lead",
    "made": "make",
    "met": "meet",
    "felt": "feel",
    "kept": "keep",
    "brought": "bring",
    "bought": "buy",
    "ran": "run",
    "swam": "swim",
    "swum": "swim",
    "sang": "sing",
    "sung": "sing",
    "read": "read",
    "children": "child",
    "kids": "kid",
    "people": "person",
    "men": "man",
    "women": "woman",
    "favourite": "favorite",
    "favourites": "favorite",
    "colour": "color",
    "colours": "color",
    "behaviour": "behavior",
    "organise": "organize",
    "organised": "organize",
    "travelling": "travel",
    "travelled": "travel",
}

# (suffix, replacement), first match wins; the stem must keep at least three letters.
_SUFFIXES = (
    ("ational", "ate"),
    ("ation", "ate"),
    ("ness", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("sses", "ss"),
    ("ches", "ch"),
    ("shes", "sh"),
    ("xes", "x"),
    ("ing", ""),
    ("ed", ""),
    ("ly", ""),
    ("s", ""),
)
_NO_PLURAL = ("ss", "us", "is")
_UNDOUBLED = frozenset("bdgkmnprt")


def stem(word: str) -> str:
    """The comparison form of one lower-case word."""
    word = _CANONICAL.get(word, word)
    for suffix, replacement in _SUFFIXES:
        if not word.endswith(suffix) or len(word) - len(suffix) < 3:
            continue
        if suffix == "s" and word.endswith(_NO_PLURAL):
            break
        word = word[: -len(suffix)] + replacement
        # "swimming" -> "swimm" -> "swim", "planned" -> "plan"
        if suffix in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2] in _UNDOUBLED:
            word = word[:-1]
        break
    # "bake", "baking" and "baked" all end as "bak".
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def words(text: str) -> Iterator[str]:
    """Every word of ``text``, lower-cased, with possessive endings removed."""
    for match in _WORD.finditer(text):
        word = match.group().lower().replace("\u2019", "'")
        yield word.removesuffix("'s")


def content_words(text: str) -> Iterator[tuple[str, str]]:
    """``(stem, word)`` for each word that carries meaning (no stopwords, no single letters)."""
    for word in words(text):
        if len(word) > 1 and word not in STOPWORDS:
            yield stem(word), word


def terms(text: str) -> list[str]:
    """The stems of the content words of ``text``, in order, repeats kept."""
    return [term for term, _ in content_words(text)]


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences (a paragraph's lines joined first)."""
    flat = " ".join(text.split())
    return [part.strip() for part in _SENTENCE_END.split(flat) if part.strip()]


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return f"{cut}\u2026"


__all__ = ["STOPWORDS", "content_words", "sentences", "shorten", "stem", "terms", "words"]
