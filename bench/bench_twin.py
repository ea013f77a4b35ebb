"""Digital Twin Chat through the real HTTP stack (uvicorn on loopback, offline provider).

1. Concurrent writers: 50 clients post to ONE session at once; the history must
   then hold 100 messages. Baseline: the same 50 writers with the conditional
   puts switched off (blind read-modify-write), counting what that loses.
2. Chat latency p50/p99 over sequential requests (20-message conversations),
   against ``GET /api/persona`` on the same server as the HTTP floor.
3. Streaming: time to the first ``event: token``, against the time to ``done``.

Run alone with ``uv run python -m bench.bench_twin [--quick]``.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, redirect_stdout
from pathlib import Path
from typing import BinaryIO, ClassVar

import httpx
import uvicorn

from bench.harness import Measurement, Section
from foundation.health import HealthStatus
from foundation.objectstore import (
    DEFAULT_CONTENT_TYPE,
    LocalObjectStore,
    ObjectInfo,
    ObjectStore,
    ObjectSummary,
    PreconditionFailedError,
    ReadableStream,
    StoredObject,
)
from foundation.observability import get_logger
from foundation.settings import Settings
from twin_chat.api.main import build_service, create_app
from twin_chat.chat import SERVICE_NAME
from twin_chat.demo import prepare_demo
from twin_chat.settings import TwinSettings

QUESTIONS = (
    "Where did you grow up?",
    "What is your job?",
    "What do you do for fun?",
    "Tell me more",
    "What do you think about remote work?",
    "What is your blood type?",
    "How can I contact you?",
    "Tell me about Selkie",
)
CONVERSATION_LENGTH = 20


class ObservedStore(ObjectStore):
    """A store that counts lost conditional puts, or (``conditional=False``) drops the
    conditions so every update becomes a blind read-modify-write."""

    backend: ClassVar[str] = "local"

    def __init__(self, inner: ObjectStore, *, conditional: bool = True) -> None:
        self.inner = inner
        self.conditional = conditional
        self.conflicts = 0
        self._lock = threading.Lock()

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> ObjectInfo:
        if not self.conditional:
            if_match, if_none_match = None, False
        try:
            return self.inner.put(
                key,
                data,
                content_type=content_type,
                metadata=metadata,
                if_match=if_match,
                if_none_match=if_none_match,
            )
        except PreconditionFailedError:
            with self._lock:
                self.conflicts += 1
            raise

    def put_stream(
        self,
        key: str,
        source: ReadableStream,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
        if_none_match: bool = False,
    ) -> ObjectInfo:
        return self.inner.put_stream(
            key, source, content_type=content_type, metadata=metadata, if_none_match=if_none_match
        )

    def get(self, key: str) -> StoredObject:
        return self.inner.get(key)

    def open(self, key: str) -> AbstractContextManager[BinaryIO]:
        return self.inner.open(key)

    def head(self, key: str) -> ObjectInfo:
        return self.inner.head(key)

    def list(self, prefix: str = "") -> Iterator[ObjectSummary]:
        return self.inner.list(prefix)

    def delete(self, key: str, *, all_versions: bool = False) -> None:
        self.inner.delete(key, all_versions=all_versions)

    def check(self) -> HealthStatus:
        return self.inner.check()

    def uri(self, key: str) -> str:
        return self.inner.uri(key)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _quiet() -> Iterator[None]:
    """The server's per-request log lines (stderr) and metric lines (stdout) would swamp
    the report; warnings still show."""
    loggers = [get_logger(SERVICE_NAME), get_logger("skyline")]
    levels = [logger.log_level for logger in loggers]
    for logger in loggers:
        logger.setLevel("WARNING")
    try:
        with Path(os.devnull).open("w") as sink, redirect_stdout(sink):
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@contextmanager
def _serving(store: ObservedStore, data_dir: Path) -> Iterator[str]:
    """The twin app on uvicorn at a free loopback port, in a background thread."""
    settings = Settings(data_dir=data_dir)
    twin = TwinSettings(_env_file=None)
    app = create_app(settings, twin, service=build_service(settings, twin, memory_store=store))
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="bench-twin-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start within 20 s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _latency_note(samples: list[float]) -> str:
    return (
        f"p50 {_percentile(samples, 0.5) * 1000:.1f} ms, "
        f"p99 {_percentile(samples, 0.99) * 1000:.1f} ms"
    )


def _concurrent_writers(base_url: str, session: str, writers: int) -> tuple[float, int, int]:
    """All writers post to one session at once; (seconds, messages stored, failed posts)."""
    start = threading.Barrier(writers + 1)
    failures: list[int] = []

    def writer(n: int) -> None:
        with httpx.Client(base_url=base_url, timeout=120) as client:
            start.wait()
            response = client.post(
                "/api/chat",
                json={"message": f"Writer {n}: what are your hobbies?", "session_id": session},
            )
            if response.status_code != 200:
                failures.append(response.status_code)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    history = httpx.get(f"{base_url}/api/chat/history/{session}", timeout=30).json()
    return seconds, len(history["messages"]), len(failures)


def _bench_writers(section: Section, workdir: Path, writers: int) -> None:
    expected = 2 * writers
    rows = []
    for conditional in (True, False):
        store = ObservedStore(
            LocalObjectStore(workdir / f"writers-{conditional}"), conditional=conditional
        )
        with _serving(store, workdir) as url:
            seconds, stored, failed = _concurrent_writers(url, "bench-writers-0001", writers)
        rows.append((conditional, seconds, stored, failed, store.conflicts))
    (_, seconds, stored, failed, conflicts), (_, blind_seconds, blind_stored, blind_failed, _) = (
        rows
    )
    section.add(
        Measurement(
            f"{writers} writers, one session, conditional puts",
            writers,
            seconds,
            unit="posts/s",
            note=f"{stored}/{expected} messages stored, {expected - stored} lost, "
            f"{conflicts} conflicts retried, {failed} failed posts",
        )
    )
    section.add(
        Measurement(
            f"{writers} writers, one session, blind read-modify-write (baseline)",
            writers,
            blind_seconds,
            unit="posts/s",
            note=f"{blind_stored}/{expected} messages stored, {expected - blind_stored} lost, "
            f"{blind_failed} failed posts",
        )
    )
    section.findings.append(
        f"Concurrent writers: {stored} of {expected} messages kept with conditional puts "
        f"({conflicts} lost races retried by update_object); the blind read-modify-write "
        f"baseline kept {blind_stored} of {expected}, losing {expected - blind_stored}."
    )


def _time_requests(count: int, request: Callable[[int], float | None]) -> tuple[float, list[float]]:
    samples = []
    began = time.perf_counter()
    for n in range(count):
        started = time.perf_counter()
        measured = request(n)
        samples.append(measured if measured is not None else time.perf_counter() - started)
    return time.perf_counter() - began, samples


def _session(n: int) -> str:
    return f"bench-latency-{n // CONVERSATION_LENGTH:04d}"


def _bench_latency(section: Section, workdir: Path, count: int) -> None:
    store = ObservedStore(LocalObjectStore(workdir / "latency"))
    with _serving(store, workdir) as url, httpx.Client(base_url=url, timeout=60) as client:

        def persona(_: int) -> None:
            client.get("/api/persona").raise_for_status()

        def chat(n: int) -> None:
            body = {"message": QUESTIONS[n % len(QUESTIONS)], "session_id": _session(n)}
            client.post("/api/chat", json=body).raise_for_status()

        first_tokens: list[float] = []

        def stream(n: int) -> float:
            body = {"message": QUESTIONS[n % len(QUESTIONS)], "session_id": _session(n) + "-s"}
            started = time.perf_counter()
            first: float | None = None
            with client.stream("POST", "/api/chat/stream", json=body) as response:
                response.raise_for_status()
                for line in response.iter_lines():
                    if first is None and line == "event: token":
                        first = time.perf_counter() - started
            done = time.perf_counter() - started
            first_tokens.append(first if first is not None else done)
            return done

        floor_seconds, floor = _time_requests(count, persona)
        chat_seconds, chats = _time_requests(count, chat)
        stream_seconds, dones = _time_requests(count, stream)

    note = f"{count} sequential, {CONVERSATION_LENGTH}-message conversations"
    section.add(
        Measurement(
            "GET /api/persona (HTTP floor, baseline)",
            count,
            floor_seconds,
            "req/s",
            _latency_note(floor),
        )
    )
    section.add(
        Measurement(
            "POST /api/chat, offline",
            count,
            chat_seconds,
            "req/s",
            f"{_latency_note(chats)}; {note}",
        )
    )
    section.add(
        Measurement(
            "POST /api/chat/stream, first token",
            count,
            sum(first_tokens),
            "req/s",
            _latency_note(first_tokens),
        )
    )
    section.add(
        Measurement(
            "POST /api/chat/stream, whole answer",
            count,
            stream_seconds,
            "req/s",
            _latency_note(dones),
        )
    )
    section.findings.append(
        f"Chat latency with the offline provider: {_latency_note(chats)} "
        f"(the HTTP floor on the same server: {_latency_note(floor)}); each request reads the "
        "persona's etags, the conversation, retrieves, and writes the exchange conditionally."
    )
    section.findings.append(
        f"First streamed token: {_latency_note(first_tokens)}; whole streamed answer: "
        f"{_latency_note(dones)}."
    )


def run(quick: bool) -> Section:
    section = Section(
        title="Digital Twin Chat",
        description=(
            "The twin app on uvicorn (loopback), local object store, offline provider. "
            "Concurrent writers to one session against blind read-modify-write; chat and "
            "first-token latency against the HTTP floor of the same server."
        ),
    )
    with tempfile.TemporaryDirectory(prefix="bench-twin-") as folder, _quiet():
        workdir = Path(folder)
        prepare_demo(Settings(data_dir=workdir), TwinSettings(_env_file=None))
        for name in ("writers-True", "writers-False", "latency"):
            # Each store of its own, each with the sample persona.
            source = LocalObjectStore(workdir / "objects" / "twin-memory")
            target = LocalObjectStore(workdir / name)
            for key in ("me.txt", "style.md"):
                target.put(key, source.get(key).body)
        _bench_writers(section, workdir, 10 if quick else 50)
        _bench_latency(section, workdir, 20 if quick else 200)
    return section


if __name__ == "__main__":
    sys.stdout.write(run(quick="--quick" in sys.argv).to_markdown())
