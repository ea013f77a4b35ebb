"""Errors of the synthetic data generator and of landing its output."""

from __future__ import annotations

from foundation.errors import BadRequestError, ConflictError


class GeneratorConfigError(BadRequestError):
    """A generator setting is out of range, or a preset name is unknown."""


class RawBatchExistsError(ConflictError):
    """The raw zone already holds this batch; raw data is never overwritten."""


__all__ = ["GeneratorConfigError", "RawBatchExistsError"]
