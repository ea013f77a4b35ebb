"""The identity port: turn a bearer token into a :class:`Principal`, or refuse it.

Tokens have the claim shape of Amazon Cognito user-pool tokens whichever issuer
made them, so application code reads roles (``cognito:groups``) and the
organization (``custom:organization_id``) the same way locally and on AWS.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from foundation.health import HealthStatus

TokenUse = Literal["id", "access"]
ORGANIZATION_CLAIM = "custom:organization_id"
GROUPS_CLAIM = "cognito:groups"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who made a request, as proven by a verified token.

    ``organization`` comes from the custom attribute ``custom:organization_id``,
    which Cognito puts in id tokens only: an access token's principal has none.
    """

    subject: str
    email: str | None
    groups: frozenset[str]
    organization: str | None
    token_use: TokenUse
    issuer: str
    username: str | None = None
    # Every verified claim; kept out of repr so logging a principal does not dump the token.
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def has_group(self, name: str) -> bool:
        return name in self.groups


class TokenVerifier(ABC):
    """Verifies bearer tokens from one or more trusted issuers."""

    backend: str

    @abstractmethod
    def verify(self, token: str) -> Principal:
        """Return the principal of a valid token.

        Raises :class:`~foundation.identity.exceptions.InvalidTokenError` (401) whose
        ``reason`` says what is wrong: malformed, unsupported algorithm, unknown key id,
        bad signature, expired or not yet valid, wrong issuer, wrong audience/client,
        wrong ``token_use``. Raises ``JwksUnavailableError`` (503) when the issuer's
        keys cannot be fetched. Neither error's message contains the token.
        """

    @abstractmethod
    def check(self) -> HealthStatus:
        """Fetch the issuer's signing keys and report whether any usable key is there."""


__all__ = ["GROUPS_CLAIM", "ORGANIZATION_CLAIM", "Principal", "TokenUse", "TokenVerifier"]
