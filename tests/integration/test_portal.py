"""The local server as a newcomer meets it: landing page, health, local sign-in, CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from foundation.settings import Settings
from skyline.cli import app as cli
from skyline.portal import create_portal
from skyline.systems import SYSTEMS


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def client(settings: Settings) -> TestClient:
    return TestClient(create_portal(settings))


def test_landing_page_lists_every_system_and_says_which_are_not_built(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    for entry in SYSTEMS:
        assert entry.name in page.text
    systems = client.get("/api/systems").json()
    assert {system["slug"] for system in systems} == {"concert", "twin", "omnitrack"}
    for system in systems:
        marker = f'data-system="{system["slug"]}"'
        card = page.text.split(marker, 1)[1].split("</li>", 1)[0]
        assert ("Not built yet" in card) is (not system["built"])


def test_health_checks_every_port_on_local_adapters(client: TestClient) -> None:
    response = client.get("/health")
    body = response.json()
    assert response.status_code == 200, body
    names = {check["name"] for check in body["checks"]}
    assert names == {
        "object store",
        "table",
        "event stream",
        "warehouse",
        "cache",
        "secrets",
        "identity",
        "llm",
    }
    assert all(check["ok"] for check in body["checks"])


def test_local_sign_in_issues_a_token_that_the_configured_verifier_accepts(
    client: TestClient, settings: Settings
) -> None:
    from foundation.adapters import Adapters

    response = client.post(
        "/auth/token",
        data={"grant_type": "password", "username": "ana", "password": "pw", "groups": "planners"},
    )
    assert response.status_code == 200, response.text
    principal = Adapters(settings).token_verifier().verify(response.json()["id_token"])
    assert principal.has_group("planners")
    jwks = client.get("/auth/.well-known/jwks.json").json()
    assert jwks["keys"][0]["kty"] == "RSA"


def test_cli_doctor_reports_every_adapter(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKYLINE_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 0, result.output
    for port in ("object store", "event stream", "warehouse", "identity"):
        assert port in result.output


def test_cli_reports_a_bad_setting_by_its_variable_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKYLINE_PORT", "eighty")
    result = CliRunner().invoke(cli, ["doctor"])
    assert result.exit_code == 2
    assert "SKYLINE_PORT" in result.output


def test_cli_prepare_is_idempotent_and_token_mints_a_verifiable_token(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from foundation.adapters import Adapters

    monkeypatch.setenv("SKYLINE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SKYLINE_CONCERT_DEMO_PRESET", "tiny")
    runner = CliRunner()
    assert runner.invoke(cli, ["prepare"]).exit_code == 0
    assert runner.invoke(cli, ["prepare"]).exit_code == 0
    minted = runner.invoke(cli, ["token", "ana", "--group", "admin", "--organization", "org-7"])
    assert minted.exit_code == 0, minted.output
    principal = Adapters(settings).token_verifier().verify(minted.output.strip())
    assert principal.organization == "org-7"
    assert principal.has_group("admin")
