"""Contract of the secrets port: every adapter passes the very same assertions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber

from foundation.secrets import (
    AwsSecretStore,
    InvalidSecretNameError,
    LocalSecretStore,
    MalformedSecretError,
    SecretNotFoundError,
    SecretStore,
    SecretsUnavailableError,
    secret_env_var,
)

API_KEY_NAME = "digital-twin-chat/dev/llm-api-key"
API_KEY_VALUE = "sk-test-Zq8v4e1m"
DB_NAME = "omnitrack/prod/database"
DB_VALUE = '{"username": "omni", "password": "p4ss-W0rd!", "port": 5432}'


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


@dataclass
class SecretsUnderTest:
    store: SecretStore
    put: Callable[[str, str | bytes], None]


def _local_subject(tmp_path: Path) -> SecretsUnderTest:
    directory = tmp_path / "secrets"
    directory.mkdir()

    def put(name: str, value: str | bytes) -> None:
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(value if isinstance(value, bytes) else value.encode())

    return SecretsUnderTest(LocalSecretStore(directory, environ={}), put)


def _aws_subject() -> SecretsUnderTest:
    client = boto3.client("secretsmanager", region_name="us-east-1")

    def put(name: str, value: str | bytes) -> None:
        if isinstance(value, bytes):
            client.create_secret(Name=name, SecretBinary=value)
        else:
            client.create_secret(Name=name, SecretString=value)

    return SecretsUnderTest(AwsSecretStore(client=client), put)


@pytest.fixture(params=["local", "aws"])
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SecretsUnderTest]:
    if request.param == "local":
        under_test = _local_subject(tmp_path)
    else:
        request.getfixturevalue("moto_aws")
        under_test = _aws_subject()
    under_test.put(API_KEY_NAME, API_KEY_VALUE)
    under_test.put(DB_NAME, DB_VALUE)
    yield under_test


@pytest.fixture
def store(subject: SecretsUnderTest) -> SecretStore:
    return subject.store


def test_get_returns_the_secret_text(store: SecretStore) -> None:
    assert store.get(API_KEY_NAME) == API_KEY_VALUE


def test_get_json_returns_the_object(store: SecretStore) -> None:
    assert store.get_json(DB_NAME) == {"username": "omni", "password": "p4ss-W0rd!", "port": 5432}


def test_binary_secret_is_read_as_utf8(subject: SecretsUnderTest) -> None:
    subject.put("binary/token", "tökén".encode())
    assert subject.store.get("binary/token") == "tökén"


def test_non_utf8_secret_is_rejected_without_its_bytes(subject: SecretsUnderTest) -> None:
    subject.put("binary/raw", b"\xff\xfe-raw-bytes")
    with pytest.raises(MalformedSecretError, match="'binary/raw'") as caught:
        subject.store.get("binary/raw")
    assert "raw-bytes" not in str(caught.value)
    assert caught.value.__context__ is None


def test_missing_secret_names_it_and_reveals_no_value(store: SecretStore) -> None:
    with pytest.raises(SecretNotFoundError) as caught:
        store.get("digital-twin-chat/dev/missing")
    message = str(caught.value)
    assert "'digital-twin-chat/dev/missing'" in message
    assert caught.value.name == "digital-twin-chat/dev/missing"
    assert caught.value.status == 404
    for value in (API_KEY_VALUE, "p4ss-W0rd!"):
        assert value not in message
        assert value not in repr(caught.value.extra)


def test_missing_secret_is_also_missing_for_get_json(store: SecretStore) -> None:
    with pytest.raises(SecretNotFoundError, match="'nope'"):
        store.get_json("nope")


@pytest.mark.parametrize(
    "content", ["not json: hunter2-secret", '["hunter2-secret"]', '"hunter2-secret"', "null"]
)
def test_get_json_on_non_object_names_the_secret_not_its_content(
    subject: SecretsUnderTest, content: str
) -> None:
    subject.put("app/config", content)
    with pytest.raises(MalformedSecretError, match="'app/config'") as caught:
        subject.store.get_json("app/config")
    assert "hunter2" not in str(caught.value)
    # The JSON decoder's error quotes the document, so it must not be chained.
    assert caught.value.__context__ is None
    assert caught.value.__cause__ is None


INVALID_NAMES = {
    "empty": "",
    "parent": "../etc/passwd",
    "inner-parent": "app/../../etc/passwd",
    "dot-segment": "app/./key",
    "absolute": "/etc/passwd",
    "empty-segment": "app//key",
    "trailing-slash": "app/",
    "space": "has space",
    "backslash": "app\\..\\key",
    "semicolon": "app;rm",
    "newline": "app\nkey",
    "too-long": "a" * 513,
}


@pytest.mark.parametrize("name", INVALID_NAMES.values(), ids=INVALID_NAMES.keys())
def test_invalid_names_are_rejected_naming_them(store: SecretStore, name: str) -> None:
    for read in (store.get, store.get_json):
        with pytest.raises(InvalidSecretNameError) as caught:
            read(name)
        assert repr(name[:100]) in str(caught.value)
        assert caught.value.status == 422


def test_non_string_name_is_rejected(store: SecretStore) -> None:
    with pytest.raises(InvalidSecretNameError, match="must be a str"):
        store.get(None)  # type: ignore[arg-type]


def test_longest_name_and_full_alphabet_are_accepted(subject: SecretsUnderTest) -> None:
    longest = "/".join(["a" * 128, "b" * 127, "c" * 127, "d" * 127])
    assert len(longest) == 512
    names = [longest, "team_a/svc+x=y/user@example.com-key"]
    for name in names:
        subject.put(name, f"value-of-{name[:8]}")
    for name in names:
        assert subject.store.get(name) == f"value-of-{name[:8]}"


def test_check_reports_healthy_store(store: SecretStore) -> None:
    status = store.check()
    assert status.ok, status.detail
    assert status.backend == store.backend


# --- local adapter ------------------------------------------------------------


def test_env_var_name_is_derived_from_the_secret_name() -> None:
    assert secret_env_var(API_KEY_NAME) == "SKYLINE_SECRET_DIGITAL_TWIN_CHAT_DEV_LLM_API_KEY"
    assert secret_env_var("db.password@prod") == "SKYLINE_SECRET_DB_PASSWORD_PROD"


def test_local_env_var_wins_over_file(tmp_path: Path) -> None:
    (tmp_path / "api-key").write_text("from-file")
    environ = {"SKYLINE_SECRET_API_KEY": "from-env"}
    assert LocalSecretStore(tmp_path, environ=environ).get("api-key") == "from-env"
    assert LocalSecretStore(tmp_path, environ={}).get("api-key") == "from-file"


def test_local_empty_env_var_falls_through_to_file(tmp_path: Path) -> None:
    (tmp_path / "api-key").write_text("from-file")
    store = LocalSecretStore(tmp_path, environ={"SKYLINE_SECRET_API_KEY": ""})
    assert store.get("api-key") == "from-file"


@pytest.mark.parametrize(
    ("content", "expected"),
    [("token\n", "token"), ("token\r\n", "token"), ("a\nb\n", "a\nb"), ("token\n\n", "token\n")],
)
def test_local_file_loses_one_trailing_newline(tmp_path: Path, content: str, expected: str) -> None:
    (tmp_path / "token").write_bytes(content.encode())
    assert LocalSecretStore(tmp_path, environ={}).get("token") == expected


def test_local_reads_the_process_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKYLINE_SECRET_FROM_PROCESS", "yes")
    assert LocalSecretStore().get("from-process") == "yes"


def test_local_missing_secret_says_where_it_was_looked_for(tmp_path: Path) -> None:
    with pytest.raises(SecretNotFoundError) as caught:
        LocalSecretStore(tmp_path, environ={}).get("app/key")
    assert "SKYLINE_SECRET_APP_KEY" in str(caught.value)
    assert str(tmp_path / "app" / "key") in str(caught.value)
    with pytest.raises(SecretNotFoundError, match="SKYLINE_SECRET_APP_KEY"):
        LocalSecretStore(environ={}).get("app/key")


def test_local_name_too_long_for_the_file_system_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(SecretNotFoundError, match="not found"):
        LocalSecretStore(tmp_path, environ={}).get("x" * 300)
    store = LocalSecretStore(tmp_path, environ={"SKYLINE_SECRET_" + "X" * 300: "from-env"})
    assert store.get("x" * 300) == "from-env"


def test_local_directory_is_not_a_secret(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    with pytest.raises(SecretNotFoundError, match="'app'"):
        LocalSecretStore(tmp_path, environ={}).get("app")


def test_local_check_fails_when_directory_is_missing(tmp_path: Path) -> None:
    status = LocalSecretStore(tmp_path / "absent", environ={}).check()
    assert not status.ok
    assert "absent" in status.detail


# --- AWS adapter --------------------------------------------------------------


def test_aws_caches_values_until_the_ttl_passes(moto_aws: None) -> None:
    client = boto3.client("secretsmanager", region_name="us-east-1")
    client.create_secret(Name="rotating", SecretString="v1")
    clock = FakeClock()
    store = AwsSecretStore(client=client, cache_ttl_seconds=300, clock=clock)
    assert store.get("rotating") == "v1"

    client.put_secret_value(SecretId="rotating", SecretString="v2")
    clock.now += 299
    assert store.get("rotating") == "v1"
    clock.now += 2
    assert store.get("rotating") == "v2"

    uncached = AwsSecretStore(client=client, cache_ttl_seconds=0)
    assert uncached.get("rotating") == "v2"
    client.put_secret_value(SecretId="rotating", SecretString="v3")
    assert uncached.get("rotating") == "v3"


def _stubbed_error(code: str, status: int) -> AwsSecretStore:
    client = boto3.client("secretsmanager", region_name="eu-west-1")
    stubber = Stubber(client)
    stubber.add_client_error("get_secret_value", service_error_code=code, http_status_code=status)
    stubber.activate()
    return AwsSecretStore(client=client)


@pytest.mark.parametrize(
    ("code", "status", "retry_after"),
    [
        ("ThrottlingException", 400, 1),
        ("InternalServiceError", 500, 1),
        ("AccessDeniedException", 400, None),
        ("DecryptionFailure", 400, None),
    ],
)
def test_aws_refusals_raise_secrets_unavailable_naming_secret_and_code(
    aws_env: None, code: str, status: int, retry_after: int | None
) -> None:
    store = _stubbed_error(code, status)
    with pytest.raises(SecretsUnavailableError) as caught:
        store.get("app/key")
    message = str(caught.value)
    assert "'app/key'" in message
    assert code in message
    assert "eu-west-1" in message
    assert caught.value.status == 503
    assert caught.value.retry_after_seconds == retry_after


def test_aws_unreachable_endpoint_raises_secrets_unavailable() -> None:
    class UnreachableClient:
        class meta:  # noqa: N801 - mirrors boto3's client.meta
            region_name = "us-east-1"

        def get_secret_value(self, **_: Any) -> dict[str, Any]:
            raise EndpointConnectionError(endpoint_url="https://secretsmanager.invalid")

        def list_secrets(self, **_: Any) -> dict[str, Any]:
            return self.get_secret_value()

    store = AwsSecretStore(client=UnreachableClient())
    with pytest.raises(SecretsUnavailableError, match="unreachable") as caught:
        store.get("app/key")
    assert "'app/key'" in str(caught.value)
    assert not store.check().ok


def test_aws_rejects_negative_cache_ttl(moto_aws: None) -> None:
    with pytest.raises(Exception, match="cache_ttl_seconds"):
        AwsSecretStore(cache_ttl_seconds=-1)
