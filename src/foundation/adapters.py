"""Builds the adapter behind each port from :class:`Settings`.

This is the only module that knows both the local and the AWS adapters. Apps
ask it for ports by the name of their resource (a bucket, a table spec, a
stream) and get the same object for the same name for the life of the process.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from foundation.health import Checkable, HealthStatus, run_checks
from foundation.settings import Environment, Settings
from foundation.table import TableSpec

if TYPE_CHECKING:
    from fastapi import APIRouter

    from foundation.cache import Cache
    from foundation.identity import LocalTokenIssuer, TokenVerifier
    from foundation.llm import ChatModel
    from foundation.llm.offline import Planner
    from foundation.objectstore import ObjectStore
    from foundation.secrets import SecretStore
    from foundation.stream import EventStream
    from foundation.table import Table
    from foundation.warehouse import Warehouse

T = TypeVar("T")


class Adapters:
    """A per-process registry of ports, built lazily from settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._built: dict[tuple[str, str], Any] = {}
        self._lock = threading.RLock()

    def _once(self, kind: str, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            key = (kind, name)
            if key not in self._built:
                self._built[key] = build()
            built: T = self._built[key]
            return built

    def _aws(self) -> dict[str, Any]:
        return {"region": self.settings.aws_region, "endpoint_url": self.settings.aws_endpoint_url}

    def object_store(self, bucket: str) -> ObjectStore:
        def build() -> ObjectStore:
            if self.settings.object_store_backend == "s3":
                from foundation.objectstore.s3 import S3ObjectStore  # noqa: PLC0415

                return S3ObjectStore(bucket, **self._aws())
            from foundation.objectstore.local import LocalObjectStore  # noqa: PLC0415

            return LocalObjectStore(self.settings.local_path("objects", bucket))

        return self._once("object_store", bucket, build)

    def table(self, spec: TableSpec) -> Table:
        def build() -> Table:
            if self.settings.table_backend == "dynamodb":
                from foundation.table.dynamodb import DynamoDbTable  # noqa: PLC0415

                return DynamoDbTable(spec, **self._aws())
            from foundation.table.sqlite import SqliteTable  # noqa: PLC0415

            table = SqliteTable(self.settings.local_path("tables") / f"{spec.name}.sqlite3", spec)
            table.create_if_missing()  # on AWS the infrastructure creates tables
            return table

        return self._once("table", spec.name, build)

    def event_stream(self, name: str, *, shard_count: int = 2) -> EventStream:
        def build() -> EventStream:
            if self.settings.stream_backend == "kinesis":
                from foundation.stream.kinesis import KinesisEventStream  # noqa: PLC0415

                return KinesisEventStream(name, **self._aws())
            from foundation.stream.local import LocalEventStream  # noqa: PLC0415

            return LocalEventStream(self.settings.local_path("streams"), name, shard_count)

        return self._once("stream", name, build)

    def warehouse(self, name: str) -> Warehouse:
        def build() -> Warehouse:
            if self.settings.warehouse_backend == "redshift":
                from foundation.warehouse.redshift import RedshiftWarehouse  # noqa: PLC0415

                if not self.settings.redshift_workgroup:
                    from foundation.errors import ConfigurationError  # noqa: PLC0415

                    raise ConfigurationError(
                        "SKYLINE_REDSHIFT_WORKGROUP is required "
                        "when SKYLINE_WAREHOUSE_BACKEND=redshift"
                    )
                return RedshiftWarehouse(
                    workgroup=self.settings.redshift_workgroup,
                    database=self.settings.redshift_database,
                    copy_role_arn=self.settings.redshift_copy_role_arn,
                    **self._aws(),
                )
            from foundation.warehouse.duckdb_warehouse import DuckDbWarehouse  # noqa: PLC0415

            return DuckDbWarehouse(self.settings.local_path("warehouse") / f"{name}.duckdb")

        return self._once("warehouse", name, build)

    def cache(self, namespace: str) -> Cache:
        def shared() -> Cache:
            if self.settings.effective_cache_backend == "redis":
                from foundation.cache.redis_cache import RedisCache  # noqa: PLC0415

                assert self.settings.redis_url is not None  # settings guarantee it
                return RedisCache(self.settings.redis_url)
            from foundation.cache.memory import MemoryCache  # noqa: PLC0415

            return MemoryCache()

        # One connection pool / one memory store, a view per namespace.
        root = self._once("cache", "", shared)
        return self._once("cache", namespace, lambda: root.namespaced(namespace))

    def secrets(self) -> SecretStore:
        def build() -> SecretStore:
            if self.settings.secrets_backend == "aws":
                from foundation.secrets.aws import AwsSecretStore  # noqa: PLC0415

                return AwsSecretStore(**self._aws())
            from foundation.secrets.local import LocalSecretStore  # noqa: PLC0415

            return LocalSecretStore(self.settings.local_path("secrets"))

        return self._once("secrets", "", build)

    def token_issuer(self) -> LocalTokenIssuer:
        """The local development issuer (its signing key is created on first use)."""

        def build() -> LocalTokenIssuer:
            from foundation.identity import LocalTokenIssuer  # noqa: PLC0415

            return LocalTokenIssuer(
                self.settings.local_path("identity") / "signing-key.pem",
                issuer=self.settings.local_issuer_url,
            )

        return self._once("identity", "issuer", build)

    def token_verifier(self) -> TokenVerifier:
        def build() -> TokenVerifier:
            if self.settings.identity_backend == "cognito":
                from foundation.identity import cognito_verifier  # noqa: PLC0415

                pool, client = self.settings.cognito_user_pool_id, self.settings.cognito_client_id
                if not pool or not client:
                    from foundation.errors import ConfigurationError  # noqa: PLC0415

                    raise ConfigurationError(
                        "SKYLINE_COGNITO_USER_POOL_ID and SKYLINE_COGNITO_CLIENT_ID are required "
                        "when SKYLINE_IDENTITY_BACKEND=cognito"
                    )
                return cognito_verifier(
                    region=self.settings.aws_region, user_pool_id=pool, client_id=client
                )
            return self.token_issuer().verifier()

        return self._once("identity", "verifier", build)

    def identity_routes(self) -> APIRouter:
        """The local issuer's JWKS and token endpoints; empty when Cognito issues tokens."""
        from fastapi import APIRouter  # noqa: PLC0415

        if self.settings.identity_backend != "local":
            return APIRouter()
        from foundation.identity.routes import issuer_router  # noqa: PLC0415

        return issuer_router(self.token_issuer(), password_check=self._check_local_password)

    def _check_local_password(self, username: str, password: str) -> bool:
        expected = self.settings.local_issuer_password
        if expected is None:
            # Development without a configured password: any non-empty one signs in.
            return self.settings.environment is Environment.DEVELOPMENT and bool(
                username and password
            )
        return hmac.compare_digest(password.encode(), expected.get_secret_value().encode())

    def chat_model(self, planner: Planner | None = None) -> ChatModel:
        settings = self.settings
        if settings.llm_backend == "bedrock":
            from foundation.llm.bedrock import BedrockChatModel  # noqa: PLC0415

            return self._once(
                "llm",
                "bedrock",
                lambda: BedrockChatModel(
                    settings.bedrock_model_id,
                    timeout_seconds=settings.llm_timeout_seconds,
                    **self._aws(),
                ),
            )
        if settings.llm_backend == "openai":
            from foundation.llm.openai_compat import OpenAiCompatibleChatModel  # noqa: PLC0415
            from foundation.secrets import SecretNotFoundError  # noqa: PLC0415

            def build_openai() -> ChatModel:
                try:
                    api_key: str | None = self.secrets().get(settings.llm_api_key_secret)
                except SecretNotFoundError:
                    api_key = None  # local servers such as Ollama need no key
                return OpenAiCompatibleChatModel(
                    base_url=settings.openai_base_url,
                    model=settings.openai_model,
                    api_key=api_key,
                    timeout_seconds=settings.llm_timeout_seconds,
                )

            return self._once("llm", "openai", build_openai)
        from foundation.llm.offline import OfflineChatModel  # noqa: PLC0415

        # The offline engine is cheap and planner-specific: one per caller.
        return OfflineChatModel(planner=planner)

    def default_table(self) -> Table:
        return self.table(TableSpec(name=self.settings.default_table))

    def health_dependencies(self) -> list[tuple[str, Checkable]]:
        """One instance of every port, under the roles ``doctor`` and ``/health`` report."""
        s = self.settings
        return [
            ("object store", self.object_store(s.default_bucket)),
            ("table", self.default_table()),
            ("event stream", self.event_stream(s.default_stream)),
            ("warehouse", self.warehouse(s.default_warehouse)),
            ("cache", self.cache("health")),
            ("secrets", self.secrets()),
            ("identity", self.token_verifier()),
            ("llm", self.chat_model()),
        ]

    def check_all(self) -> list[HealthStatus]:
        """Check every port, reporting a port that cannot even be built as unhealthy."""
        results: list[HealthStatus] = []
        try:
            dependencies = self.health_dependencies()
        except Exception as exc:
            return [HealthStatus(name="adapters", backend="?", ok=False, detail=str(exc))]
        results.extend(run_checks(dependencies))
        return results


__all__ = ["Adapters"]
