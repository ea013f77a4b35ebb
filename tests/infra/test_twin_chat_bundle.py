"""The twin's Lambda bundle: what it holds, that it runs on Lambda, and its configuration."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import infra.app
import pytest
from infra.bundling import (
    LAMBDA_UNZIPPED_LIMIT_BYTES,
    REPO_ROOT,
    BundleError,
    build_bundle,
    bundle_size,
)
from infra.config import twin_chat_config
from infra.twin_chat.compute import twin_lambda_environment

from tests.infra.synthesis import ENVIRONMENTS


def _fake_src(root: Path) -> Path:
    for package in ("foundation", "twin_chat", "skyline", "concert"):
        (root / package / "__pycache__").mkdir(parents=True)
        (root / package / "__init__.py").write_text(f'"""{package}"""\n')
        (root / package / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(b"\0")
    (root / "twin_chat" / "persona" / "sample").mkdir(parents=True)
    (root / "twin_chat" / "persona" / "sample" / "me.txt").write_text("I am a sample.\n")
    return root


def test_source_bundle_holds_only_foundation_and_twin_chat(tmp_path: Path) -> None:
    source = _fake_src(tmp_path / "src")
    target = tmp_path / "bundle"
    (target / "stale").mkdir(parents=True)  # a previous build's leftovers go

    build_bundle(target, with_dependencies=False, source_root=source)

    files = sorted(str(path.relative_to(target)) for path in target.rglob("*") if path.is_file())
    assert files == [
        "foundation/__init__.py",
        "twin_chat/__init__.py",
        "twin_chat/persona/sample/me.txt",
    ]


def test_bundle_names_a_missing_source_package(tmp_path: Path) -> None:
    (tmp_path / "src" / "foundation").mkdir(parents=True)
    with pytest.raises(BundleError, match="twin_chat"):
        build_bundle(tmp_path / "bundle", with_dependencies=False, source_root=tmp_path / "src")


def test_app_without_a_bundle_builds_a_source_only_one_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(infra.app, "SOURCE_ONLY_BUNDLE", tmp_path / "source-only")
    bundle = infra.app._twin_bundle(None)
    assert (bundle / "twin_chat" / "api" / "lambda_handler.py").is_file()
    assert "make bundle" in capsys.readouterr().err


def test_app_refuses_a_bundle_directory_without_the_twin(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="make bundle"):
        infra.app._twin_bundle(str(tmp_path))


@pytest.mark.slow
def test_deployable_bundle_has_linux_arm64_wheels_under_the_size_limit(tmp_path: Path) -> None:
    """Really installs the wheels (from the package index through uv's configuration)."""
    target = build_bundle(tmp_path / "twin-chat", with_dependencies=True)

    [core] = (target / "pydantic_core").glob("_pydantic_core.*.so")
    assert core.name.endswith("cpython-312-aarch64-linux-gnu.so")
    assert not list(target.rglob("*x86_64*.so"))
    for package in ("fastapi", "mangum", "aws_lambda_powertools", "boto3", "pypdf", "twin_chat"):
        assert (target / package / "__init__.py").is_file(), package
    assert not (target / "skyline").exists()
    locked = _locked_version("pydantic-core")
    assert (target / f"pydantic_core-{locked}.dist-info").is_dir()
    assert bundle_size(target) < LAMBDA_UNZIPPED_LIMIT_BYTES


def _locked_version(name: str) -> str:
    lock = (REPO_ROOT / "uv.lock").read_text(encoding="utf-8")
    marker = f'name = "{name}"\nversion = "'
    start = lock.index(marker) + len(marker)
    return lock[start : lock.index('"', start)]


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_lambda_environment_is_a_valid_configuration_of_the_app(
    environment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from foundation.settings import load_settings
    from twin_chat.settings import load_twin_settings

    config = twin_chat_config(environment)
    variables = twin_lambda_environment(
        config,
        region="eu-west-1",
        memory_bucket="twin-memory-bucket",
        cors_origins=["https://d111.cloudfront.net"],
    )
    for name in list(os.environ):
        if name.startswith("SKYLINE_"):
            monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(Path(__file__).parent)  # no .env file here

    settings = load_settings()
    twin = load_twin_settings()

    assert settings.environment.value == environment
    assert (settings.object_store_backend, settings.secrets_backend) == ("s3", "aws")
    assert settings.llm_backend == "bedrock"
    assert settings.bedrock_model_id == config.bedrock_model_id
    assert settings.aws_region == "eu-west-1"
    assert twin.memory_bucket == "twin-memory-bucket"
    assert twin.llm_api_key_secret == config.secret_name
    assert twin.cors_origins == ["https://d111.cloudfront.net"]


_SERVE_FROM_BUNDLE = """
import base64, json, sys, types
sys.path.insert(0, sys.argv[1])
from twin_chat.api.lambda_handler import handler
event = {
    "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
    "headers": {"accept": "text/html"}, "isBase64Encoded": False,
    "requestContext": {"http": {"method": "GET", "path": "/", "protocol": "HTTP/1.1",
                                "sourceIp": "203.0.113.9"},
                       "requestId": "bundle-test", "stage": "$default"},
}
context = types.SimpleNamespace(function_name="digital-twin-chat-dev", memory_limit_in_mb=1024,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:digital-twin-chat-dev",
    aws_request_id="bundle-test")
response = handler(event, context)
body = response["body"]
if response.get("isBase64Encoded"):
    body = base64.b64decode(body).decode()
print(json.dumps({"status": response["statusCode"], "headers": response["headers"],
                  "body": body[:200],
                  "site_packages": [p for p in sys.path if "site-packages" in p]}))
"""


@pytest.mark.slow
def test_handler_serves_from_a_bundle_holding_nothing_but_its_requirements(
    tmp_path: Path,
) -> None:
    """The same requirements, built for this machine, are all the handler needs to serve."""
    host = build_bundle(
        tmp_path / "host-bundle",
        with_dependencies=True,
        python_platform=f"{platform.machine()}-manylinux2014",
        python_version=f"{sys.version_info.major}.{sys.version_info.minor}",
    )
    variables = twin_lambda_environment(
        twin_chat_config("development"),
        region="us-east-1",
        memory_bucket="twin-memory",
        cors_origins=[],
    )
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        **variables,
        "SKYLINE_DATA_DIR": str(tmp_path / "data"),
    }
    # -S: no site-packages, so only the bundle and the standard library are importable.
    result = subprocess.run(
        [sys.executable, "-S", "-c", _SERVE_FROM_BUNDLE, str(host)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    response = json.loads(result.stdout.strip().splitlines()[-1])
    assert response["site_packages"] == []
    assert response["status"] == 200
    assert response["headers"]["content-type"].startswith("text/html")
    assert "<html" in response["body"].lower()
