"""An app on the real local adapters in a temporary directory, with the sample persona."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from foundation.settings import Settings
from tests.integration.twin_chat.fakes import ScriptedModel
from twin_chat.api.main import build_service, create_app
from twin_chat.demo import prepare_demo
from twin_chat.settings import TwinSettings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", llm_timeout_seconds=0.5)


@pytest.fixture
def twin() -> TwinSettings:
    return TwinSettings(_env_file=None)


@pytest.fixture
def prepared(settings: Settings, twin: TwinSettings) -> None:
    prepare_demo(settings, twin)


@pytest.fixture
def client(settings: Settings, twin: TwinSettings, prepared: None) -> TestClient:
    """The offline twin with the sample persona."""
    return TestClient(create_app(settings, twin))


@pytest.fixture
def model() -> Iterator[ScriptedModel]:
    scripted = ScriptedModel()
    yield scripted
    scripted.release.set()


@pytest.fixture
def scripted_client(
    settings: Settings, twin: TwinSettings, prepared: None, model: ScriptedModel
) -> TestClient:
    """The twin with a chat model the test controls."""
    service = build_service(settings, twin, chat_model=model)
    return TestClient(create_app(settings, twin, service=service))
