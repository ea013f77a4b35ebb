"""Kinesis Data Streams adapter (boto3, imported by the constructor)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC
from typing import Any, cast

from foundation.health import HealthStatus, timed_check
from foundation.stream.base import (
    EventStream,
    PutResult,
    Record,
    StreamRecord,
    check_read_arguments,
    check_records,
    check_stream_name,
)
from foundation.stream.exceptions import (
    InvalidStreamInputError,
    ShardNotFoundError,
    StreamNotFoundError,
    StreamRateLimitedError,
    StreamUnavailableError,
)

# PutRecords limits per call.
MAX_BATCH_RECORDS = 500
MAX_BATCH_BYTES = 5 * 1024 * 1024
_THROTTLED = frozenset({"ProvisionedThroughputExceededException", "LimitExceededException"})
# Reads landing in a gap (trimmed or empty stretch) return nothing while still behind.
_MAX_EMPTY_READS = 10


class KinesisEventStream(EventStream):
    """An :class:`EventStream` backed by the Kinesis stream ``name``.

    ``put_records`` sends chunks of at most 500 records and 5 MiB and retries
    only the entries Kinesis rejected, with exponential backoff and full
    jitter; throttling that outlasts ``max_attempts`` raises
    StreamRateLimitedError. Entries retried after a partial failure can land
    after later records with the same key: Kinesis orders by arrival.
    """

    backend = "kinesis"

    def __init__(
        self,
        name: str,
        *,
        client: Any = None,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
        max_attempts: int = 6,
        base_delay_seconds: float = 0.05,
        max_delay_seconds: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        if client is None:
            import boto3  # noqa: PLC0415 - optional extra, only needed for this adapter

            client = boto3.client("kinesis", region_name=region, endpoint_url=endpoint_url)
        self.name = check_stream_name(name)
        self._client = client
        self._client_error: type[Exception] = ClientError
        self._botocore_error: type[Exception] = BotoCoreError
        self._max_attempts = max_attempts
        self._base_delay = base_delay_seconds
        self._max_delay = max_delay_seconds
        self._sleep = sleep

    # -- errors and retries ---------------------------------------------------------------

    @staticmethod
    def _code(exc: Exception) -> str:
        return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))

    @contextmanager
    def _errors(self, tolerated: str = "") -> Iterator[None]:
        """Translate boto errors into the port's; an error coded ``tolerated`` is swallowed."""
        try:
            yield
        except self._client_error as exc:
            code = self._code(exc)
            if code == tolerated:
                return
            if code == "ResourceNotFoundException":
                raise StreamNotFoundError(self.name) from exc
            if code in _THROTTLED:
                raise StreamRateLimitedError(f"stream {self.name!r} is throttling: {exc}") from exc
            if code in {"InvalidArgumentException", "ValidationException"}:
                raise InvalidStreamInputError("request", str(exc)) from exc
            raise StreamUnavailableError(f"stream {self.name!r}: {exc}") from exc
        except self._botocore_error as exc:
            raise StreamUnavailableError(f"stream {self.name!r}: {exc}") from exc

    def _backoff(self, attempt: int) -> None:
        """Full jitter: a random wait up to an exponentially growing ceiling."""
        ceiling = min(self._max_delay, self._base_delay * 2**attempt)
        self._sleep(random.uniform(0, ceiling))

    def _call(self, operation: str, **request: Any) -> Any:
        """One API call, retried with backoff while Kinesis throttles it."""
        attempt = 0
        while True:
            try:
                with self._errors():
                    return getattr(self._client, operation)(**request)
            except StreamRateLimitedError:
                attempt += 1
                if attempt == self._max_attempts:
                    raise
                self._backoff(attempt)

    # -- port ---------------------------------------------------------------------------

    def put_records(self, records: Sequence[Record]) -> Sequence[PutResult]:
        keys, datas = check_records(records)
        entries = [
            {"PartitionKey": key, "Data": data} for key, data in zip(keys, datas, strict=True)
        ]
        sizes = [len(key.encode()) + len(data) for key, data in zip(keys, datas, strict=True)]
        results: list[PutResult | None] = [None] * len(entries)
        for chunk in _chunks(sizes):
            self._put_chunk(entries, chunk, results)
        # Every chunk either filled all its results or raised.
        return cast(list[PutResult], results)

    def _put_chunk(
        self, entries: list[dict[str, Any]], pending: list[int], results: list[PutResult | None]
    ) -> None:
        """Put entries ``pending``, then again those that failed, until none is left."""
        last_error = ""
        for attempt in range(self._max_attempts):
            if attempt:
                self._backoff(attempt)
            try:
                with self._errors():
                    response = self._client.put_records(
                        StreamName=self.name, Records=[entries[i] for i in pending]
                    )
            except StreamRateLimitedError:
                last_error = "ProvisionedThroughputExceededException"
                continue
            failed = []
            for index, outcome in zip(pending, response["Records"], strict=True):
                if "ErrorCode" in outcome:
                    failed.append(index)
                    last_error = outcome["ErrorCode"]
                else:
                    results[index] = PutResult(outcome["ShardId"], outcome["SequenceNumber"])
            if not failed:
                return
            pending = failed
        detail = (
            f"stream {self.name!r}: {len(pending)} records still failing after "
            f"{self._max_attempts} attempts ({last_error})"
        )
        if last_error in _THROTTLED:
            raise StreamRateLimitedError(detail)
        raise StreamUnavailableError(detail)

    def shard_ids(self) -> list[str]:
        shard_ids: list[str] = []
        request: dict[str, Any] = {"StreamName": self.name}
        while True:
            response = self._call("list_shards", **request)
            shard_ids += [shard["ShardId"] for shard in response["Shards"]]
            if not response.get("NextToken"):
                return sorted(shard_ids)
            request = {"NextToken": response["NextToken"]}

    def read(
        self, shard_id: str, *, after: str | None = None, limit: int = 1000
    ) -> list[StreamRecord]:
        check_read_arguments(after, limit)
        position: dict[str, str] = (
            {"ShardIteratorType": "TRIM_HORIZON"}
            if after is None
            else {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": after}
        )
        try:
            iterator = self._call(
                "get_shard_iterator", StreamName=self.name, ShardId=shard_id, **position
            )["ShardIterator"]
        except StreamNotFoundError:
            if shard_id not in self.shard_ids():
                raise ShardNotFoundError(self.name, shard_id) from None
            raise
        except InvalidStreamInputError as exc:
            raise InvalidStreamInputError("after", exc.detail, after) from exc
        records: list[StreamRecord] = []
        for _ in range(_MAX_EMPTY_READS):
            response = self._call("get_records", ShardIterator=iterator, Limit=limit)
            records += [_stream_record(shard_id, raw) for raw in response["Records"]]
            iterator = response.get("NextShardIterator")
            if records or not iterator or not response.get("MillisBehindLatest"):
                break
        return records

    def check(self) -> HealthStatus:
        def probe() -> str:
            with self._errors():
                summary = self._client.describe_stream_summary(StreamName=self.name)
            description = summary["StreamDescriptionSummary"]
            return f"{description['StreamStatus']}, {description['OpenShardCount']} open shards"

        return timed_check(self.name, self.backend, probe)

    def create_if_missing(self, shard_count: int) -> None:
        """Create the stream with ``shard_count`` shards unless it exists; wait until active.

        Meant for tests and local development; real streams come from infrastructure code.
        """
        with self._errors(tolerated="ResourceInUseException"):
            self._client.create_stream(StreamName=self.name, ShardCount=shard_count)
        with self._errors():
            self._client.get_waiter("stream_exists").wait(
                StreamName=self.name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
            )


def _stream_record(shard_id: str, raw: dict[str, Any]) -> StreamRecord:
    return StreamRecord(
        shard_id=shard_id,
        sequence_number=raw["SequenceNumber"],
        partition_key=raw["PartitionKey"],
        data=raw["Data"],
        arrived_at=raw["ApproximateArrivalTimestamp"].astimezone(UTC),
    )


def _chunks(sizes: list[int]) -> Iterator[list[int]]:
    """Consecutive index runs within PutRecords' limits of records and bytes per call."""
    chunk: list[int] = []
    total = 0
    for index, size in enumerate(sizes):
        if chunk and (len(chunk) == MAX_BATCH_RECORDS or total + size > MAX_BATCH_BYTES):
            yield chunk
            chunk, total = [], 0
        chunk.append(index)
        total += size
    if chunk:
        yield chunk


__all__ = ["MAX_BATCH_BYTES", "MAX_BATCH_RECORDS", "KinesisEventStream"]
