"""The offline chat engine: deterministic tool calling without a language model.

A :class:`Planner` decides which tools to call for the latest user turn and
writes the answer once their results are in. :class:`OfflineChatModel` wraps a
planner in the :class:`~foundation.llm.base.ChatModel` port, so it runs in the
same tool loop as a real model. The default :class:`LexicalPlanner` matches the
message to a tool by lexical overlap and fills the tool's arguments from the
message by schema; domain planners replace it with real intent handling.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Protocol

from foundation.llm.base import ChatModel
from foundation.llm.messages import (
    ChatRequest,
    ChatResponse,
    Message,
    StopReason,
    ToolResultBlock,
    ToolSpec,
    ToolUseBlock,
    Usage,
    word_chunks,
)
from foundation.llm.tools import validate_tool_input


@dataclass(frozen=True, slots=True)
class PlannedCall:
    """A tool call a planner wants made; the engine gives it a deterministic id."""

    name: str
    input: dict[str, Any]


class Planner(Protocol):
    def plan(self, request: ChatRequest) -> Sequence[PlannedCall]:
        """Tool calls to make now (after the latest user text or tool results); empty to answer."""
        ...

    def compose(self, request: ChatRequest) -> str:
        """The answer: from the latest turn's tool results, or direct when none were planned."""
        ...


class OfflineChatModel(ChatModel):
    """Deterministic chat model: the same request always gives the same response.

    Token usage counts words, the closest offline stand-in for tokens.
    """

    backend: ClassVar[str] = "offline"

    def __init__(self, planner: Planner | None = None) -> None:
        self.planner: Planner = planner if planner is not None else LexicalPlanner()
        self.name = f"offline-{type(self.planner).__name__}"

    def converse(self, request: ChatRequest) -> ChatResponse:
        input_tokens = _request_words(request)
        calls = list(self.planner.plan(request))
        if calls:
            digest = _request_digest(request)
            uses = tuple(
                ToolUseBlock(f"tooluse_{digest}_{index}", call.name, dict(call.input))
                for index, call in enumerate(calls)
            )
            output_words = sum(_count_words(json.dumps(use.input)) + 1 for use in uses)
            return ChatResponse(
                Message("assistant", uses), "tool_use", Usage(input_tokens, output_words)
            )
        chunks = word_chunks(self.planner.compose(request))
        stop: StopReason = "end_turn"
        if len(chunks) > request.max_tokens:
            chunks, stop = chunks[: request.max_tokens], "max_tokens"
        text = "".join(chunks).rstrip() if stop == "max_tokens" else "".join(chunks)
        return ChatResponse(Message.assistant(text), stop, Usage(input_tokens, len(chunks)))


def _request_digest(request: ChatRequest) -> str:
    canonical = json.dumps(asdict(request), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


def _count_words(text: str) -> int:
    return len(text.split())


def _request_words(request: ChatRequest) -> int:
    parts = [request.system or ""]
    for message in request.messages:
        parts.extend(
            f"{block.name} {json.dumps(block.input)}"
            if isinstance(block, ToolUseBlock)
            else block.text
            for block in message.content
        )
    parts.extend(f"{tool.name} {tool.description}" for tool in request.tools)
    return sum(_count_words(part) for part in parts)


# --- text analysis --------------------------------------------------------------------------

_STOPWORD_TEXT = """
    a about all also am an and any are as at be been but by can could did do does for from get
    give had has have he hello her hi his how i if in into is it its just know let like list
    many may me might more most much my need no not now of on or our out please s shall she show
    should so some tell than thanks that the their them then there these they this those to up
    us want was we were what when where which who whom whose why will with would yes you your
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_SUFFIXES = (("ies", "y"), ("ing", ""), ("ed", ""), ("ity", ""), ("s", ""))
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _stem(word: str) -> str:
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)] + replacement
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def _terms(text: str) -> list[str]:
    """Content words of ``text``, lower-cased and stemmed; snake_case and camelCase split."""
    words = (word.lower() for word in _WORD.findall(_CAMEL_BOUNDARY.sub(" ", text)))
    return [_stem(word) for word in words if len(word) > 1 and word not in _STOPWORDS]


def _humanise(name: str) -> str:
    return " ".join(_WORD.findall(_CAMEL_BOUNDARY.sub(" ", name))).lower()


def _properties(spec: ToolSpec) -> dict[str, dict[str, Any]]:
    properties: dict[str, dict[str, Any]] = spec.input_schema.get("properties", {})
    return properties


def _enum_values(prop: dict[str, Any]) -> list[Any]:
    items = prop.get("items")
    values = prop.get("enum") or (items.get("enum") if isinstance(items, dict) else None)
    return list(values or [])


def _intent_terms(spec: ToolSpec) -> list[str]:
    """Words that say what the tool is for: its name, description and enum values."""
    words = _terms(spec.name) * 2 + _terms(spec.description)
    for prop in _properties(spec).values():
        words += _terms(" ".join(str(value) for value in _enum_values(prop)))
    return words


def _tool_terms(spec: ToolSpec) -> list[str]:
    words = _intent_terms(spec)
    for name, prop in _properties(spec).items():
        words += _terms(name) + _terms(prop.get("description", ""))
    return words


# --- argument extraction --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A value found in the message, with the terms near it and their distance in words
    (to tell properties apart: "price under 80", "capacity above 5000")."""

    value: Any
    start: int
    nearby: tuple[tuple[float, str], ...]


_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|(?<!\w)'([^']+)'(?!\w)")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_NUMBER = re.compile(r"(?<![\w.])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w.]*\w)")
_APOSTROPHES = "'\u2019"
_PHRASE_WORD = re.compile(rf"[^\W_][\w{_APOSTROPHES}&.-]*")
_POSSESSIVE = re.compile(rf"[{_APOSTROPHES}]s$")
_TRAILING = f".-{_APOSTROPHES}"
_CONNECTORS = frozenset({"of", "the", "de", "la", "le", "du", "del", "da", "van", "von", "&"})
# A property is usually named just before its value ("limit 10"), a unit just after ("3 days").
_WORDS_BEFORE = 3
_WORDS_AFTER = 1
_AFTER_PENALTY = 0.5


def _mask(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Blank out ``spans`` keeping every other character at its position."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _nearby(text: str, start: int, end: int) -> tuple[tuple[float, str], ...]:
    before = _WORD.findall(text[:start])[-_WORDS_BEFORE:]
    after = _WORD.findall(text[end:])[:_WORDS_AFTER]
    words = [(float(len(before) - index), word) for index, word in enumerate(before)]
    words += [(index + 1 + _AFTER_PENALTY, word) for index, word in enumerate(after)]
    return tuple((distance, term) for distance, word in words for term in _terms(word))


class _MessageValues:
    """Every kind of value the lexical planner can read from one message."""

    def __init__(self, text: str, vocabulary: frozenset[str]) -> None:
        quoted = list(_QUOTED.finditer(text))
        unquoted = _mask(text, [match.span() for match in quoted])
        dates = list(_DATE.finditer(unquoted))
        plain = _mask(unquoted, [match.span() for match in dates])
        self.text = text
        self.quoted = [self._candidate(m, next(g for g in m.groups() if g)) for m in quoted]
        self.dates = [self._candidate(m, m.group()) for m in dates]
        self.numbers = [self._candidate(m, _number(m.group())) for m in _NUMBER.finditer(plain)]
        self.phrases = _capitalised_phrases(plain, vocabulary, self._nearby)
        # Punctuation blanked one character for one, so positions still index ``text``.
        self.lowered = re.sub(r"[\W_]", " ", text.lower())

    def _candidate(self, match: re.Match[str], value: Any) -> _Candidate:
        return _Candidate(value, match.start(), self._nearby(match.start(), match.end()))

    def _nearby(self, start: int, end: int) -> tuple[tuple[float, str], ...]:
        return _nearby(self.text, start, end)

    def enum_mentions(self, values: Sequence[Any]) -> list[_Candidate]:
        """Enum values the message names, as words (``sell_out`` matches "sell outs")."""
        found = []
        for value in values:
            words = re.sub(r"[\W_]", " ", str(value).lower()).split()
            pattern = r"(?<![^\W_])" + r"\s+".join(map(re.escape, words)) + r"(?:s|es)?(?![^\W_])"
            match = re.search(pattern, self.lowered) if words else None
            if match:
                found.append(_Candidate(value, match.start(), self._nearby(*match.span())))
        return sorted(found, key=lambda candidate: candidate.start)


def _number(text: str) -> int | float:
    value = float(text.replace(",", ""))
    return int(value) if value.is_integer() and "." not in text else value


def _capitalised_phrases(
    text: str,
    vocabulary: frozenset[str],
    nearby: Callable[[int, int], tuple[tuple[float, str], ...]],
) -> list[_Candidate]:
    """Runs of capitalised words ("Madison Square Garden"), trimmed of words that are
    stopwords or name the tool itself (so "Weather in Paris" yields only "Paris")."""
    phrases: list[list[re.Match[str]]] = [[]]
    previous_end = -1
    for match in _PHRASE_WORD.finditer(text):
        word, current = match.group(), phrases[-1]
        adjacent = bool(current) and text[previous_end : match.start()].isspace()
        if word[0].isupper():
            if adjacent:
                current.append(match)
            else:
                phrases.append([match])
        elif adjacent and word.lower() in _CONNECTORS:
            current.append(match)
        else:
            phrases.append([])
        previous_end = match.end()

    def noise(match: re.Match[str]) -> bool:
        word = _POSSESSIVE.sub("", match.group().rstrip(_TRAILING)).lower()
        return word in _STOPWORDS or word in _CONNECTORS or bool(set(_terms(word)) & vocabulary)

    candidates = []
    for phrase in phrases:
        words = list(phrase)
        while words and noise(words[0]):
            words.pop(0)
        while words and noise(words[-1]):
            words.pop()
        if words:
            start, end = words[0].start(), words[-1].end()
            value = _POSSESSIVE.sub("", text[start:end].rstrip(_TRAILING))
            candidates.append(_Candidate(value, start, nearby(start, end)))
    return candidates


def _assign(
    props: Sequence[tuple[str, dict[str, Any]]],
    candidates: Sequence[_Candidate],
    general: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Give each property a candidate its schema accepts: first the pairs where the
    property is named near the value, nearest first; then the rest in order.

    A property is named by its name, or by words of its description that are not
    ``general`` (words describing the whole tool say nothing about one property).
    """
    near = []
    for p, (name, prop) in enumerate(props):
        keys = set(_terms(name)) | (set(_terms(prop.get("description", ""))) - general)
        for c, candidate in enumerate(candidates):
            distances = [distance for distance, term in candidate.nearby if term in keys]
            if distances:
                near.append((min(distances), p, c))
    in_order = [(p, c) for p in range(len(props)) for c in range(len(candidates))]
    chosen: dict[int, int] = {}
    for p, c in [(p, c) for _, p, c in sorted(near)] + in_order:
        fits = not validate_tool_input(props[p][1], candidates[c].value)
        if p not in chosen and c not in chosen.values() and fits:
            chosen[p] = c
    return {props[p][0]: candidates[c].value for p, c in chosen.items()}


def _fill_arguments(spec: ToolSpec, values: _MessageValues) -> dict[str, Any]:
    """The tool's arguments, each property from the kind of value its schema allows."""
    required = set(spec.input_schema.get("required", []))
    props = sorted(_properties(spec).items(), key=lambda item: item[0] not in required)
    enums = [(name, prop) for name, prop in props if prop.get("enum")]
    lists = [(name, prop) for name, prop in props if prop.get("type") == "array"]
    dates = [(n, p) for n, p in props if p.get("type") == "string" and p.get("format") == "date"]
    numbers = [(n, p) for n, p in props if p.get("type") in ("integer", "number")]
    strings = [
        (n, p)
        for n, p in props
        if p.get("type") == "string" and not p.get("enum") and p.get("format") is None
    ]
    general = frozenset(_terms(spec.name) + _terms(spec.description))
    arguments: dict[str, Any] = {}
    for name, prop in lists:
        mentioned = [c.value for c in values.enum_mentions(_enum_values(prop))]
        if mentioned and not validate_tool_input(prop, mentioned):
            arguments[name] = mentioned
    for name, prop in enums:
        arguments.update(_assign([(name, prop)], values.enum_mentions(prop["enum"])))
    arguments.update(_assign(dates, values.dates, general))
    arguments.update(_assign(numbers, values.numbers, general))
    arguments.update(_assign(strings, values.quoted + values.phrases, general))
    return arguments


# --- the lexical planner --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Ask:
    """The best tool fits, but the message lacks required arguments."""

    spec: ToolSpec
    missing: tuple[str, ...]


class LexicalPlanner:
    """Calls the tool whose name, description and properties best overlap the message.

    Tools are ranked by TF-IDF cosine similarity between the latest user message
    and each tool's words; the best one is called when its score reaches
    ``threshold``. Arguments come from the message by schema: enum values it
    names, numbers for numeric properties, ISO dates for ``format: date``, and
    quoted or capitalised phrases for strings. Missing optional arguments are
    left out; a missing required one makes the planner ask for it instead.
    """

    def __init__(self, *, threshold: float = 0.2) -> None:
        self.threshold = threshold

    def rank(self, text: str, tools: Sequence[ToolSpec]) -> list[tuple[float, ToolSpec]]:
        """Tools with their similarity to ``text``, best first (ties keep the given order)."""
        documents = [Counter(_tool_terms(tool)) for tool in tools]
        frequency = Counter(term for document in documents for term in document)
        count = len(documents)

        def vector(terms: Counter[str]) -> dict[str, float]:
            # A word no tool uses weighs like one every tool uses: it says nothing either way.
            return {
                term: (1 + math.log(n))
                * (math.log((1 + count) / (1 + (frequency[term] or count))) + 1)
                for term, n in terms.items()
            }

        query = vector(Counter(_terms(_mask(text, [m.span() for m in _QUOTED.finditer(text)]))))
        scored = [
            (_cosine(query, vector(document)), tool)
            for document, tool in zip(documents, tools, strict=True)
        ]
        return sorted(scored, key=lambda pair: -pair[0])

    def plan(self, request: ChatRequest) -> list[PlannedCall]:
        decision = self._decide(request)
        return [decision] if isinstance(decision, PlannedCall) else []

    def compose(self, request: ChatRequest) -> str:
        if request.messages[-1].tool_results:
            return render_tool_results(request)
        decision = self._decide(request)
        if isinstance(decision, _Ask):
            return _ask_for(decision)
        return describe_capabilities(request.tools)

    def _decide(self, request: ChatRequest) -> PlannedCall | _Ask | None:
        latest = request.messages[-1]
        if latest.role != "user" or latest.tool_results or not request.tools:
            return None
        score, spec = self.rank(latest.text, request.tools)[0]
        if score < self.threshold:
            return None
        vocabulary = frozenset(_intent_terms(spec))
        arguments = _fill_arguments(spec, _MessageValues(latest.text, vocabulary))
        required = spec.input_schema.get("required", [])
        missing = tuple(name for name in required if name not in arguments)
        return _Ask(spec, missing) if missing else PlannedCall(spec.name, arguments)


def _cosine(left: dict[str, float], right: dict[str, float]) -> float:
    dot = sum(weight * right.get(term, 0.0) for term, weight in left.items())
    norms = math.sqrt(sum(w * w for w in left.values())) * math.sqrt(
        sum(w * w for w in right.values())
    )
    return dot / norms if norms else 0.0


def _ask_for(ask: _Ask) -> str:
    props = _properties(ask.spec)
    needed = []
    for name in ask.missing:
        description = props.get(name, {}).get("description")
        needed.append(f"the {_humanise(name)}" + (f" ({description})" if description else ""))
    pronoun = "it" if len(needed) == 1 else "them"
    tool = f'"{_humanise(ask.spec.name)}" ({ask.spec.description})'
    return (
        f"I can look that up with {tool}, but I need {' and '.join(needed)}. "
        f"Please include {pronoun} in your message: names in quotes or capitalised, "
        "numbers as digits."
    )


# --- rendering answers ----------------------------------------------------------------------

_MAX_ITEMS = 10
BACKEND_HINT = (
    "To chat with a language model instead, set SKYLINE_LLM_BACKEND=bedrock (Amazon Bedrock) "
    "or SKYLINE_LLM_BACKEND=openai (an OpenAI-compatible endpoint such as Ollama, vLLM or OpenAI)."
)


def describe_capabilities(tools: Sequence[ToolSpec]) -> str:
    """The honest fallback answer: what the offline engine is and what it can do."""
    intro = (
        "I'm the offline assistant: no language model is configured, so I answer by matching "
        "your message to one of my tools, and I could not match this one."
    )
    if tools:
        abilities = "\n".join(f"- {tool.description}" for tool in tools)
        body = f"Here is what I can do:\n{abilities}"
    else:
        body = "I have no tools in this conversation, so I cannot look anything up."
    return f"{intro}\n{body}\n{BACKEND_HINT}"


def render_tool_results(request: ChatRequest) -> str:
    """The tool results of the latest turn as short readable text, one section per call."""
    calls = {use.id: use for message in request.messages for use in message.tool_uses}
    return "\n\n".join(
        _render_result(result, calls.get(result.tool_use_id))
        for result in request.messages[-1].tool_results
    )


def _render_result(result: ToolResultBlock, call: ToolUseBlock | None) -> str:
    title = "The tool"
    if call is not None:
        arguments = ", ".join(f"{_humanise(k)}: {_inline(v)}" for k, v in call.input.items())
        title = _humanise(call.name).capitalize() + (f" ({arguments})" if arguments else "")
    if result.is_error:
        return f"{title} failed: {result.text}"
    body = render_value(result.content)
    return f"{title}:\n{body}" if body.startswith("- ") else f"{title}: {body}"


def render_value(value: Any) -> str:
    """A JSON-able value as text: scalars inline, dicts and lists as short bullet lists."""
    if isinstance(value, dict | list) and not value:
        return "no results"
    if isinstance(value, dict):
        return "\n".join(f"- {_humanise(str(k))}: {_inline(v)}" for k, v in value.items())
    if isinstance(value, list):
        lines = [f"- {_inline(item)}" for item in value[:_MAX_ITEMS]]
        if len(value) > _MAX_ITEMS:
            lines.append(f"- and {len(value) - _MAX_ITEMS} more")
        return "\n".join(lines)
    return _inline(value)


def _inline(value: Any, nested: bool = False) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.2f}".rstrip("0")
    if isinstance(value, dict):
        text = ", ".join(f"{_humanise(str(k))}: {_inline(v, True)}" for k, v in value.items())
        return f"({text})" if nested else text
    if isinstance(value, list):
        text = ", ".join(_inline(item, True) for item in value[:_MAX_ITEMS])
        more = f" and {len(value) - _MAX_ITEMS} more" if len(value) > _MAX_ITEMS else ""
        return f"[{text}{more}]" if nested else text + more
    return str(value)


__all__ = [
    "BACKEND_HINT",
    "LexicalPlanner",
    "OfflineChatModel",
    "PlannedCall",
    "Planner",
    "describe_capabilities",
    "render_tool_results",
    "render_value",
]
