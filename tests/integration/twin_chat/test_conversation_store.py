"""The conversation store on the local directory adapter and on S3 (moto): the same behaviour."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from foundation.objectstore import LocalObjectStore, ObjectStore, S3ObjectStore
from foundation.settings import Settings
from twin_chat.api.main import create_app
from twin_chat.demo import prepare_demo
from twin_chat.memory import ConversationNotFoundError, ConversationStore, Utterance
from twin_chat.settings import TwinSettings

SESSION = "store-session-0001"
BUCKET = "twin-memory"
WRITERS = 20


class AtomicRequests:
    """A boto3 client whose calls moto handles one at a time.

    S3 applies each request atomically; moto in-process does not (a conditional put
    checks the etag and stores in separate steps, and an overwrite closes the buffer
    a concurrent GET is reading). Serialising single calls restores S3's guarantee
    and nothing more: the read-modify-conditional-write race between requests,
    which is what this module tests, is untouched.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return call


@pytest.fixture(params=["local", "s3"])
def object_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "local":
        yield LocalObjectStore(tmp_path / BUCKET)
        return
    request.getfixturevalue("moto_aws")
    import boto3

    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    yield S3ObjectStore(BUCKET, client=AtomicRequests(client))


@pytest.fixture
def conversations(object_store: ObjectStore) -> ConversationStore:
    return ConversationStore(object_store, recent_turns=4, max_turns=200)


def test_exchange_round_trips_through_the_store(
    conversations: ConversationStore, object_store: ObjectStore
) -> None:
    assert conversations.find(SESSION) is None
    written = conversations.record_exchange(
        SESSION, Utterance("Hi?", "2025-01-01T00:00:00.000Z"), Utterance("Hello!", "t2")
    )
    assert conversations.get(SESSION) == written
    stored = object_store.head(f"conversations/{SESSION}.json")
    assert stored.content_type == "application/json"


def test_delete_forgets_and_is_idempotent(conversations: ConversationStore) -> None:
    conversations.record_exchange(SESSION, Utterance("Hi?", "t1"), Utterance("Hello!", "t2"))
    conversations.delete(SESSION)
    conversations.delete(SESSION)
    with pytest.raises(ConversationNotFoundError):
        conversations.get(SESSION)


def test_concurrent_writers_to_one_session_lose_nothing(conversations: ConversationStore) -> None:
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            conversations.record_exchange(
                SESSION, Utterance(f"question {n}", "t"), Utterance(f"answer {n}", "t")
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    messages = list(conversations.get(SESSION).messages())
    assert len(messages) == 2 * WRITERS
    # Each question is followed by its own answer: exchanges never interleave.
    pairs = list(zip(messages[::2], messages[1::2], strict=True))
    assert all(q.content.split()[1] == a.content.split()[1] for q, a in pairs)
    assert {q.content for q, _ in pairs} == {f"question {n}" for n in range(WRITERS)}


def test_chat_api_on_s3_memory(
    moto_aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    settings = Settings(data_dir=tmp_path, object_store_backend="s3")
    twin = TwinSettings(_env_file=None)
    prepare_demo(settings, twin)
    client = TestClient(create_app(settings, twin))
    answer = client.post("/api/chat", json={"message": "What is your job?", "session_id": SESSION})
    assert answer.status_code == 200, answer.text
    assert "Tidewright Labs" in answer.json()["response"]
    assert len(client.get(f"/api/chat/history/{SESSION}").json()["messages"]) == 2
    assert client.get("/api/health").json()["checks"][0]["backend"] == "s3"
    assert client.delete(f"/api/chat/history/{SESSION}").status_code == 204
    assert client.get(f"/api/chat/history/{SESSION}").status_code == 404
