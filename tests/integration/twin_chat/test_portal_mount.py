"""The local portal serves the twin under /twin: API routes and the page, relative paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from foundation.settings import Settings
from skyline.portal import create_portal
from twin_chat.api.main import STATIC_DIR
from twin_chat.demo import prepare_demo
from twin_chat.settings import TwinSettings


@pytest.fixture
def portal(tmp_path: Path) -> TestClient:
    settings = Settings(data_dir=tmp_path)
    prepare_demo(settings, TwinSettings(_env_file=None))
    return TestClient(create_portal(settings))


def test_twin_api_answers_under_the_mount(portal: TestClient) -> None:
    answer = portal.post("/twin/api/chat", json={"message": "Where did you grow up?"})
    assert answer.status_code == 200, answer.text
    session = answer.json()["session_id"]
    history = portal.get(f"/twin/api/chat/history/{session}")
    assert len(history.json()["messages"]) == 2
    assert portal.get("/twin/api/health").status_code == 200
    assert portal.get("/twin/api/persona").json()["offline"] is True


def test_twin_page_is_served_under_the_mount(portal: TestClient) -> None:
    if not (STATIC_DIR / "index.html").exists():
        pytest.skip("the front end is not in this checkout")
    page = portal.get("/twin/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")


def test_prepare_demo_is_idempotent_and_keeps_an_owners_persona(tmp_path: Path) -> None:
    from foundation.objectstore import LocalObjectStore

    settings = Settings(data_dir=tmp_path)
    twin = TwinSettings(_env_file=None)
    store = LocalObjectStore(tmp_path / "objects" / "twin-memory")
    store.put("me.txt", b"Name: Owner\n\nI am the owner.\n")
    prepare_demo(settings, twin)
    prepare_demo(settings, twin)
    assert store.get("me.txt").body == b"Name: Owner\n\nI am the owner.\n"
    assert not store.exists("style.md")  # the sample style is not mixed into their persona

    other = Settings(data_dir=tmp_path / "fresh")
    prepare_demo(other, twin)
    prepare_demo(other, twin)
    fresh = LocalObjectStore(tmp_path / "fresh" / "objects" / "twin-memory")
    assert fresh.get("me.txt").body.startswith(b"Name: Juniper Okonkwo-Hale")
    assert fresh.exists("style.md")
