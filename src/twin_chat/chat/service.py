"""The twin's use cases: answer a message (whole or streamed), show and forget a conversation.

Storage per exchange: ONE conditional write, after the answer exists, holding
the question and the answer together. When the model fails (error, throttling,
time-out) the question is kept instead, by one conditional write of an
unanswered turn, and the caller gets 503/429 with Retry-After; sending the
same message again replaces that turn with the answered exchange. A streamed
answer is stored whole when the stream ends; a stream abandoned by the client
stores nothing.

A well-formed session id that has no conversation starts one: the page keeps
its id in the browser, and after a DELETE it simply continues with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from foundation.errors import DependencyUnavailableError, RateLimitedError
from foundation.health import Checkable, HealthStatus
from foundation.llm import ChatModel, ChatRequest, LlmUnavailableError
from foundation.llm.offline import Planner
from foundation.observability import get_logger
from twin_chat.chat.deadline import converse_within, stream_within
from twin_chat.chat.exceptions import InvalidMessageError, TwinBusyError, TwinUnavailableError
from twin_chat.chat.planner import PersonaPlanner
from twin_chat.chat.prompt import build_request
from twin_chat.memory import (
    Conversation,
    ConversationContext,
    ConversationStore,
    Utterance,
    new_session_id,
    validate_session_id,
)
from twin_chat.persona import Persona, PersonaLoader
from twin_chat.settings import TwinSettings

SERVICE_NAME = "digital-twin-chat"

# Builds the chat model for a request; the planner is used by the offline engine only.
ModelFactory = Callable[[Planner | None], ChatModel]


def utc_now() -> str:
    """The current time as ISO-8601 UTC with milliseconds, e.g. 2025-01-31T09:15:00.123Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def validate_message(message: str, max_chars: int) -> str:
    """The message trimmed, if it has 1 to ``max_chars`` characters; else InvalidMessageError."""
    text = message.strip()
    if not text:
        raise InvalidMessageError("message must not be empty or only whitespace")
    if len(text) > max_chars:
        raise InvalidMessageError(
            f"message must be at most {max_chars} characters after trimming, got {len(text)}"
        )
    if "\x00" in text:
        raise InvalidMessageError("message must not contain NUL characters")
    return text


@dataclass(frozen=True, slots=True)
class Reply:
    response: str
    session_id: str
    timestamp: str


@dataclass(frozen=True, slots=True)
class PreparedTurn:
    """A validated message with everything needed to answer it."""

    session_id: str
    question: Utterance
    request: ChatRequest
    model: ChatModel


@dataclass(frozen=True, slots=True)
class Token:
    text: str


@dataclass(frozen=True, slots=True)
class Done:
    reply: Reply


@dataclass(frozen=True, slots=True)
class Failed:
    error: Exception


StreamOutcome = Token | Done | Failed


@dataclass(frozen=True, slots=True)
class PersonaCard:
    name: str
    headline: str
    offline: bool


class ModelHealth:
    """The LLM check, building the model inside it so a model that cannot even be
    built (a missing secret, say) is reported as unhealthy rather than failing /health."""

    def __init__(self, model_for: ModelFactory) -> None:
        self._model_for = model_for

    def check(self) -> HealthStatus:
        try:
            model = self._model_for(None)
        except Exception as exc:
            return HealthStatus("llm", "?", ok=False, detail=f"{type(exc).__name__}: {exc}")
        return model.check()


def _model_error(exc: Exception) -> Exception:
    """The error the caller sees for a failed model call: 429/503 with Retry-After."""
    if isinstance(exc, RateLimitedError):
        return TwinBusyError(exc.detail, exc.retry_after_seconds)
    if isinstance(exc, DependencyUnavailableError):
        return TwinUnavailableError(exc.detail, exc.retry_after_seconds)
    return exc


def _checked_answer(text: str) -> str:
    if not text.strip():
        raise LlmUnavailableError("the language model returned an empty answer")
    return text


class TwinService:
    def __init__(
        self,
        *,
        settings: TwinSettings,
        personas: PersonaLoader,
        conversations: ConversationStore,
        model_for: ModelFactory,
        timeout_seconds: float,
        offline: bool,
    ) -> None:
        self.settings = settings
        self.personas = personas
        self.conversations = conversations
        self.model_for = model_for
        self.timeout_seconds = timeout_seconds
        self.offline = offline
        self._logger = get_logger(SERVICE_NAME)

    # -- answering ----------------------------------------------------------------

    def prepare(self, message: str, session_id: str | None) -> PreparedTurn:
        """Validate the message and build the model request; nothing is stored yet.

        Raises InvalidMessageError, InvalidSessionIdError, PersonaNotConfiguredError.
        """
        text = validate_message(message, self.settings.max_message_chars)
        session = new_session_id() if session_id is None else validate_session_id(session_id)
        question = Utterance(text, utc_now())
        persona = self.personas.load()
        conversation = self.conversations.find(session)
        context = (
            conversation.context(self.settings.recent_turns)
            if conversation is not None
            else ConversationContext(None, ())
        )
        request = build_request(
            persona,
            context,
            text,
            persona_chars=self.settings.persona_prompt_chars,
            max_tokens=self.settings.max_answer_tokens,
        )
        return PreparedTurn(session, question, request, self.model_for(PersonaPlanner(persona)))

    def answer(self, turn: PreparedTurn) -> Reply:
        """The model's whole answer, stored with the question in one write."""
        try:
            response = converse_within(turn.model, turn.request, self.timeout_seconds)
            text = _checked_answer(response.message.text)
        except Exception as exc:
            error = self._failed(turn, exc)
            if error is exc:
                raise
            raise error from exc
        return self._store(turn, text)

    def chat(self, message: str, session_id: str | None = None) -> Reply:
        return self.answer(self.prepare(message, session_id))

    def stream(self, turn: PreparedTurn) -> Iterator[StreamOutcome]:
        """Tokens as the model writes them, then Done with the stored reply, or Failed."""
        parts: list[str] = []
        try:
            for text in stream_within(turn.model, turn.request, self.timeout_seconds):
                parts.append(text)
                yield Token(text)
            answer = _checked_answer("".join(parts))
        except Exception as exc:
            yield Failed(self._failed(turn, exc))
            return
        try:
            reply = self._store(turn, answer)
        except Exception as exc:
            self._logger.exception("streamed answer not stored", extra={"session": turn.session_id})
            yield Failed(exc)
            return
        yield Done(reply)

    def _store(self, turn: PreparedTurn, answer: str) -> Reply:
        said = Utterance(answer, utc_now())
        self.conversations.record_exchange(turn.session_id, turn.question, said)
        return Reply(answer, turn.session_id, said.timestamp)

    def _failed(self, turn: PreparedTurn, exc: Exception) -> Exception:
        """Keep the unanswered question, and say what the caller should be told."""
        try:
            self.conversations.record_unanswered(turn.session_id, turn.question)
        except Exception:
            # The model's error is the one to report; this one goes to the log.
            self._logger.exception(
                "unanswered question not kept", extra={"session": turn.session_id}
            )
        self._logger.warning(
            "model failed", extra={"error": type(exc).__name__, "detail": str(exc)}
        )
        return _model_error(exc)

    # -- conversations and persona ------------------------------------------------

    def history(self, session_id: str) -> Conversation:
        return self.conversations.get(validate_session_id(session_id))

    def forget(self, session_id: str) -> None:
        self.conversations.delete(validate_session_id(session_id))

    def persona(self) -> Persona:
        return self.personas.load()

    def persona_card(self) -> PersonaCard:
        persona = self.personas.load()
        return PersonaCard(persona.name, persona.headline, self.offline)

    def health_dependencies(self) -> Sequence[tuple[str, Checkable]]:
        return [
            ("memory bucket", self.conversations),
            ("persona", self.personas),
            ("llm", ModelHealth(self.model_for)),
        ]


__all__ = [
    "SERVICE_NAME",
    "Done",
    "Failed",
    "ModelFactory",
    "ModelHealth",
    "PersonaCard",
    "PreparedTurn",
    "Reply",
    "StreamOutcome",
    "Token",
    "TwinService",
    "utc_now",
    "validate_message",
]
