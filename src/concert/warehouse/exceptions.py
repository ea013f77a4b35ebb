"""Errors of the concert warehouse: loading the processed zone, defining and building models."""

from __future__ import annotations

from typing import Any

from foundation.errors import AppError, BadRequestError, ConfigurationError, ConflictError


class ConcertWarehouseError(AppError):
    """Base of every concert warehouse error."""


class InvalidManifestError(ConcertWarehouseError, BadRequestError):
    """A processed batch's manifest cannot be read or disagrees with where it is stored."""

    def __init__(self, detail: str, *, key: str, **extra: Any) -> None:
        super().__init__(f"{detail} (manifest {key})", key=key, **extra)
        self.key = key


class RawTableMismatchError(ConcertWarehouseError, ConflictError):
    """An existing ``raw_<entity>`` table has other columns than the entity's Arrow schema."""

    def __init__(self, detail: str, *, table: str, **extra: Any) -> None:
        super().__init__(detail, table=table, **extra)
        self.table = table


class ModelDefinitionError(ConcertWarehouseError, ConfigurationError):
    """The SQL models are inconsistent: a model without a spec, an unknown table, a cycle."""

    def __init__(self, detail: str, *, model: str, **extra: Any) -> None:
        super().__init__(detail, model=model, **extra)
        self.model = model


class ModelBuildError(ConcertWarehouseError):
    """A model failed to build; the build stopped there. Carries the warehouse's message."""

    def __init__(self, model: str, warehouse_message: str) -> None:
        super().__init__(f"model {model} failed to build: {warehouse_message}", model=model)
        self.model = model
        self.warehouse_message = warehouse_message


__all__ = [
    "ConcertWarehouseError",
    "InvalidManifestError",
    "ModelBuildError",
    "ModelDefinitionError",
    "RawTableMismatchError",
]
