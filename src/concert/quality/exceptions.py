"""Errors of the data quality checks."""

from __future__ import annotations

from typing import Any

from foundation.errors import AppError, BadRequestError, ConfigurationError, NotFoundError


class QualityError(AppError):
    """Base of every data quality error."""


class RuleDefinitionError(QualityError, ConfigurationError):
    """A rule names an unknown entity or column, or has an impossible threshold.

    Raised when the rule is built, so a catalog that no longer matches the
    models fails at import (and in every test) rather than in the warehouse.
    """

    def __init__(self, detail: str, *, rule: str, **extra: Any) -> None:
        super().__init__(f"rule {rule!r}: {detail}", rule=rule, **extra)
        self.rule = rule


class InvalidQualityRequestError(QualityError, BadRequestError):
    """A quality run was asked for with an argument it cannot use (e.g. a naive ``as_of``)."""


class NoQualityRunError(QualityError, NotFoundError):
    """Nothing has been checked yet, so there is no result to show."""


__all__ = [
    "InvalidQualityRequestError",
    "NoQualityRunError",
    "QualityError",
    "RuleDefinitionError",
]
