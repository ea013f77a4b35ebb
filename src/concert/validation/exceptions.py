"""Errors of the bulk validation engine."""

from __future__ import annotations

from foundation.errors import BadRequestError, ConfigurationError


class ValidationEngineError(BadRequestError):
    """The input could not be validated at all (not one row at a time: the whole input)."""


class ColumnMismatchError(ValidationEngineError):
    """The input's columns are not the entity's fields: one is unknown, missing or repeated."""


class UnsupportedFieldError(ConfigurationError):
    """A model field uses a type, constraint or validator that has no SQL mirror yet.

    Raised when the SQL is generated, so a model change that the engine cannot
    follow fails every test instead of letting invalid rows through.
    """


__all__ = ["ColumnMismatchError", "UnsupportedFieldError", "ValidationEngineError"]
