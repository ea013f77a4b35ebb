"""Table adapter on Amazon DynamoDB (low-level boto3 client).

Conditions become ConditionExpressions and sort conditions a
KeyConditionExpression. DynamoDB's TTL deletes expired items lazily (often
hours later), so reads filter them out themselves: ``get`` checks the item,
``query`` adds a FilterExpression, and conditions treat an expired item as
absent. Reads on the table are strongly consistent; reads through a GSI cannot
be. Numbers travel as DynamoDB ``N`` strings, converted in :func:`to_attribute`
and :func:`from_attribute` only.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from foundation.health import HealthStatus, timed_check
from foundation.table.base import Item, Page, Table, TableSpec
from foundation.table.conditions import (
    AttributeEquals,
    Condition,
    ItemAbsent,
    ItemExists,
    SortKeyCondition,
    SortOperator,
)
from foundation.table.encoding import (
    decode_cursor,
    encode_cursor,
    largest_attribute,
    number_from_text,
)
from foundation.table.exceptions import (
    ConditionFailedError,
    InvalidItemError,
    InvalidQueryError,
    TableUnavailableError,
)

_BATCH_SIZE = 25  # BatchWriteItem's limit
_BATCH_ATTEMPTS = 8
_INCREMENT_ATTEMPTS = 10
_RETRYABLE = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
}

AttributeValue = dict[str, Any]


def to_attribute(value: Any) -> AttributeValue:
    """A JSON value as a DynamoDB AttributeValue; floats go through repr, which is exact."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | float):
        return {"N": _number_text(value)}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute(element) for element in value]}
    if isinstance(value, dict):
        if not all(isinstance(name, str) for name in value):
            raise TypeError("map keys must be strings")
        return {"M": {name: to_attribute(element) for name, element in value.items()}}
    raise TypeError(f"{type(value).__name__} is not a JSON type")


def _number_text(number: float) -> str:
    if isinstance(number, int):
        return str(number)
    if not math.isfinite(number):
        raise ValueError(f"{number} is not a finite number")
    return repr(number)


def from_attribute(attribute: Mapping[str, Any]) -> Any:
    """The JSON value of a DynamoDB AttributeValue; numbers are int when integral."""
    kind, value = next(iter(attribute.items()))
    if kind in ("S", "BOOL"):
        return value
    if kind == "N":
        return number_from_text(value)
    if kind == "NULL":
        return None
    if kind == "L":
        return [from_attribute(element) for element in value]
    if kind == "M":
        return {name: from_attribute(element) for name, element in value.items()}
    raise TypeError(f"DynamoDB type {kind} is not used by this port")


def _from_item(item: Mapping[str, AttributeValue]) -> Item:
    return {name: from_attribute(value) for name, value in item.items()}


class _Expression:
    """Collects placeholders so expression parts can be combined without clashes."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, AttributeValue] = {}

    def name(self, attribute: str) -> str:
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = to_attribute(value)
        return placeholder

    def parameters(self) -> dict[str, Any]:
        parameters: dict[str, Any] = {}
        if self.names:
            parameters["ExpressionAttributeNames"] = self.names
        if self.values:
            parameters["ExpressionAttributeValues"] = self.values
        return parameters


class DynamoDbTable(Table):
    """A :class:`Table` stored in DynamoDB; ``table_name`` overrides ``spec.name``."""

    backend = "dynamodb"

    def __init__(
        self,
        spec: TableSpec,
        *,
        table_name: str | None = None,
        client: Any = None,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
    ) -> None:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        if client is None:
            import boto3  # noqa: PLC0415 - optional extra, only needed for this adapter

            client = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url)
        self.spec = spec
        self.table_name = table_name or spec.name
        self._client = client
        self._client_error: type[Exception] = ClientError
        self._botocore_error: type[Exception] = BotoCoreError

    # -- errors and expressions ---------------------------------------------------------

    @staticmethod
    def _code(exc: Exception) -> str:
        return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))

    @contextmanager
    def _errors(
        self, key: tuple[str, str | None] | None = None, condition: object = None
    ) -> Iterator[None]:
        try:
            yield
        except self._client_error as exc:
            code = self._code(exc)
            if code == "ConditionalCheckFailedException" and key is not None:
                raise ConditionFailedError(self.table_name, key[0], key[1], condition) from exc
            if code == "ResourceNotFoundException":
                raise TableUnavailableError(
                    self.table_name, "no such table; call create_if_missing()", None
                ) from exc
            if code in _RETRYABLE:
                raise TableUnavailableError(self.table_name, code) from exc
            raise
        except self._botocore_error as exc:
            raise TableUnavailableError(self.table_name, str(exc)) from exc

    def _key(self, partition: str, sort: str | None) -> dict[str, AttributeValue]:
        partition, sort = self.spec.key(partition, sort)
        key = {self.spec.partition_key: {"S": partition}}
        if self.spec.sort_key is not None and sort is not None:
            key[self.spec.sort_key] = {"S": sort}
        return key

    def _item(self, item: Item) -> tuple[tuple[str, str | None], dict[str, AttributeValue]]:
        key = self.spec.validate(item)
        encoded = {}
        for name, value in item.items():
            try:
                encoded[name] = to_attribute(value)
            except (TypeError, ValueError) as exc:
                raise InvalidItemError(name, str(exc)) from exc
        return key, encoded

    def _live(self, expression: _Expression, now: float) -> str | None:
        """Expression true when the stored item is not expired (absent counts as live)."""
        if self.spec.ttl_attribute is None:
            return None
        ttl = expression.name(self.spec.ttl_attribute)
        # A non-number TTL never expires, as in DynamoDB's own TTL process.
        return (
            f"(attribute_not_exists({ttl}) OR NOT attribute_type({ttl}, {expression.value('N')})"
            f" OR {ttl} > {expression.value(now)})"
        )

    def _condition(self, condition: Condition, expression: _Expression) -> str:
        now = time.time()
        live = self._live(expression, now)
        if isinstance(condition, ItemAbsent):
            absent = f"attribute_not_exists({expression.name(self.spec.partition_key)})"
            return absent if live is None else f"({absent} OR NOT {live})"
        if isinstance(condition, ItemExists):
            exists = f"attribute_exists({expression.name(self.spec.partition_key)})"
            return exists if live is None else f"({exists} AND {live})"
        if isinstance(condition, AttributeEquals):
            # The explicit type test makes True differ from 1 and a missing attribute from
            # None on every DynamoDB implementation (moto compares untyped values).
            name = expression.name(condition.name)
            kind = next(iter(to_attribute(condition.value)))
            equals = (
                f"(attribute_type({name}, {expression.value(kind)})"
                f" AND {name} = {expression.value(condition.value)})"
            )
            return equals if live is None else f"({equals} AND {live})"
        raise TypeError(f"unknown condition {condition!r}")

    def _conditional(self, condition: Condition | None) -> dict[str, Any]:
        if condition is None:
            return {}
        expression = _Expression()
        text = self._condition(condition, expression)
        return {"ConditionExpression": text, **expression.parameters()}

    # -- the port -----------------------------------------------------------------------

    def create_if_missing(self) -> None:
        with self._errors():
            try:
                self._client.describe_table(TableName=self.table_name)
            except self._client_error as exc:
                if self._code(exc) != "ResourceNotFoundException":
                    raise
                self._create()
            self._client.get_waiter("table_exists").wait(TableName=self.table_name)
            self._enable_ttl()

    def _create(self) -> None:
        def key_schema(partition: str, sort: str | None) -> list[dict[str, str]]:
            schema = [{"AttributeName": partition, "KeyType": "HASH"}]
            return schema + ([{"AttributeName": sort, "KeyType": "RANGE"}] if sort else [])

        request: dict[str, Any] = {
            "TableName": self.table_name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": name, "AttributeType": "S"}
                for name in sorted(self.spec.key_attributes)
            ],
            "KeySchema": key_schema(self.spec.partition_key, self.spec.sort_key),
        }
        if self.spec.indexes:
            request["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index.name,
                    "KeySchema": key_schema(index.partition_key, index.sort_key),
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index in self.spec.indexes
            ]
        try:
            self._client.create_table(**request)
        except self._client_error as exc:
            if self._code(exc) != "ResourceInUseException":  # created concurrently: fine
                raise

    def _enable_ttl(self) -> None:
        if self.spec.ttl_attribute is None:
            return
        described = self._client.describe_time_to_live(TableName=self.table_name)
        if described["TimeToLiveDescription"].get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
            return
        self._client.update_time_to_live(
            TableName=self.table_name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": self.spec.ttl_attribute},
        )

    def put(self, item: Item, *, condition: Condition | None = None) -> None:
        key, encoded = self._item(item)
        with self._errors(key, condition), self._item_errors(item):
            self._client.put_item(
                TableName=self.table_name, Item=encoded, **self._conditional(condition)
            )

    @contextmanager
    def _item_errors(self, *items: Item) -> Iterator[None]:
        """DynamoDB's ValidationException on a write (item too large, number out of range).

        It does not say which attribute is wrong; the largest one is the likely culprit.
        """
        try:
            yield
        except self._client_error as exc:
            if self._code(exc) == "ValidationException":
                largest = max(items, key=lambda item: len(json.dumps(item, default=str)))
                raise InvalidItemError(largest_attribute(largest), str(exc)) from exc
            raise

    def get(self, partition: str, sort: str | None = None) -> Item | None:
        key = self._key(partition, sort)
        with self._errors():
            response = self._client.get_item(
                TableName=self.table_name, Key=key, ConsistentRead=True
            )
        if "Item" not in response:
            return None
        item = _from_item(response["Item"])
        return None if self.spec.is_expired(item, time.time()) else item

    def delete(
        self, partition: str, sort: str | None = None, *, condition: Condition | None = None
    ) -> None:
        key = self._key(partition, sort)
        with self._errors((partition, sort), condition):
            self._client.delete_item(
                TableName=self.table_name, Key=key, **self._conditional(condition)
            )

    def query(
        self,
        partition: str,
        *,
        sort: SortKeyCondition | None = None,
        index: str | None = None,
        limit: int | None = None,
        ascending: bool = True,
        cursor: str | None = None,
    ) -> Page:
        target = self.spec.query_target(partition, index, sort, limit)
        expression = _Expression()
        key_condition = f"{expression.name(target.partition_key)} = {expression.value(partition)}"
        if sort is not None and target.sort_key is not None:
            key_condition += " AND " + self._sort_condition(
                expression.name(target.sort_key), sort, expression
            )
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": key_condition,
            "ScanIndexForward": ascending,
        }
        if index is None:
            request["ConsistentRead"] = True
        else:
            request["IndexName"] = index
        live = self._live(expression, time.time())
        if live is not None:
            request["FilterExpression"] = live
        request.update(expression.parameters())
        return self._pages(request, limit, self._start_key(cursor))

    def _pages(
        self, request: dict[str, Any], limit: int | None, start: dict[str, AttributeValue] | None
    ) -> Page:
        """Follow LastEvaluatedKey until ``limit`` live items or the end.

        Limit caps the items DynamoDB *evaluates* before the TTL filter, so asking
        for the remainder each time can never overshoot the page.
        """
        items: list[Item] = []
        while True:
            page_request = dict(request)
            if start is not None:
                page_request["ExclusiveStartKey"] = start
            if limit is not None:
                page_request["Limit"] = limit - len(items)
            with self._errors():
                response = self._client.query(**page_request)
            items += [_from_item(item) for item in response["Items"]]
            start = response.get("LastEvaluatedKey")
            if start is None or (limit is not None and len(items) >= limit):
                break
        cursor = None if start is None else encode_cursor(_from_item(start))
        return Page(items, cursor)

    @staticmethod
    def _start_key(cursor: str | None) -> dict[str, AttributeValue] | None:
        if cursor is None:
            return None
        position = decode_cursor(cursor)
        if not isinstance(position, dict) or not all(
            isinstance(value, str) for value in position.values()
        ):
            raise InvalidQueryError("cursor", "not a cursor of this query", cursor)
        return {name: {"S": value} for name, value in position.items()}

    @staticmethod
    def _sort_condition(name: str, sort: SortKeyCondition, expression: _Expression) -> str:
        if sort.operator is SortOperator.BETWEEN:
            return (
                f"{name} BETWEEN {expression.value(sort.value)} AND {expression.value(sort.high)}"
            )
        if sort.operator is SortOperator.BEGINS_WITH:
            return f"begins_with({name}, {expression.value(sort.value)})"
        return f"{name} {sort.operator.value} {expression.value(sort.value)}"

    def batch_put(self, items: Iterable[Item]) -> None:
        # DynamoDB refuses a batch holding one key twice; the last write wins instead.
        by_key: dict[tuple[str, str | None], tuple[Item, dict[str, AttributeValue]]] = {}
        for item in items:
            key, encoded = self._item(item)
            by_key[key] = (item, encoded)
        writes = list(by_key.values())
        for start in range(0, len(writes), _BATCH_SIZE):
            chunk = writes[start : start + _BATCH_SIZE]
            requests = [{"PutRequest": {"Item": encoded}} for _, encoded in chunk]
            with self._errors(), self._item_errors(*(item for item, _ in chunk)):
                self._write_batch(requests)

    def _write_batch(self, requests: list[dict[str, Any]]) -> None:
        pending = {self.table_name: requests}
        for attempt in range(_BATCH_ATTEMPTS):
            response = self._client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return
            time.sleep(min(0.05 * 2**attempt, 2.0))  # backoff, as AWS asks for unprocessed items
        raise TableUnavailableError(
            self.table_name, f"items still unprocessed after {_BATCH_ATTEMPTS} attempts"
        )

    def increment(self, partition: str, sort: str | None, attribute: str, amount: int = 1) -> int:
        key = self._key(partition, sort)
        self.spec.check_counter(attribute, amount)
        for _ in range(_INCREMENT_ATTEMPTS):
            value = self._add(key, attribute, amount)
            if value is None:  # the item is expired: replace it, unless someone else just did
                value = self._restart(key, attribute, amount)
            if value is not None:
                return value
        raise TableUnavailableError(self.table_name, f"increment of {attribute!r} kept conflicting")

    def _add(self, key: dict[str, AttributeValue], attribute: str, amount: int) -> int | None:
        """ADD to a live or absent item; None when the stored item is expired."""
        expression = _Expression()
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": key,
            "UpdateExpression": f"ADD {expression.name(attribute)} {expression.value(amount)}",
            "ReturnValues": "UPDATED_NEW",
        }
        live = self._live(expression, time.time())
        if live is not None:
            request["ConditionExpression"] = live
        request.update(expression.parameters())
        return self._counter_write(
            attribute, lambda: self._client.update_item(**request)["Attributes"][attribute]
        )

    def _restart(self, key: dict[str, AttributeValue], attribute: str, amount: int) -> int | None:
        """Replace an expired item by a fresh counter; None if it is no longer expired."""
        expression = _Expression()
        live = self._live(expression, time.time())
        request = {
            "TableName": self.table_name,
            "Item": {**key, attribute: to_attribute(amount)},
            "ConditionExpression": f"attribute_exists({expression.name(self.spec.partition_key)})"
            f" AND NOT {live}",
            **expression.parameters(),
        }

        def put() -> AttributeValue:
            self._client.put_item(**request)
            return to_attribute(amount)

        return self._counter_write(attribute, put)

    def _counter_write(self, attribute: str, write: Callable[[], AttributeValue]) -> int | None:
        with self._errors():
            try:
                value = from_attribute(write())
            except self._client_error as exc:
                code = self._code(exc)
                if code == "ConditionalCheckFailedException":
                    return None
                if code == "ValidationException":
                    raise InvalidItemError(attribute, "counter is not a number") from exc
                raise
        if not isinstance(value, int):
            raise InvalidItemError(attribute, "counter is not an integer", value)
        return value

    def check(self) -> HealthStatus:
        def probe() -> str:
            with self._errors():
                table = self._client.describe_table(TableName=self.table_name)["Table"]
            return f"table {self.table_name!r} is {table['TableStatus']}"

        return timed_check(self.spec.name, self.backend, probe)


__all__ = ["DynamoDbTable", "from_attribute", "to_attribute"]
