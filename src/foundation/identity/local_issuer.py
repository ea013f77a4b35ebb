"""A local token issuer whose tokens have the claims of Amazon Cognito user-pool tokens."""

# S105/S107 flag every literal next to a name containing "token" (token_use, token_type).
# ruff: noqa: S105, S107

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from foundation.errors import ConfigurationError, FieldIssue, InvalidInputError
from foundation.identity.base import GROUPS_CLAIM, TokenUse
from foundation.identity.keys import SIGNING_ALGORITHM, load_or_create_signing_key
from foundation.identity.verifier import JwksTokenVerifier

# Cognito allows id and access tokens to live from 5 minutes to 1 day; shorter is allowed
# here so tests and developers can mint short-lived tokens.
MAX_TTL_SECONDS = 24 * 3600
ACCESS_TOKEN_SCOPE = "aws.cognito.signin.user.admin"
CUSTOM_ATTRIBUTE_PREFIX = "custom:"


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    """An id token and an access token from one sign-in, as Cognito returns them."""

    id_token: str
    access_token: str
    expires_in: int
    token_type: str = "Bearer"


@dataclass(frozen=True, slots=True)
class _SignIn:
    """What the tokens of one sign-in share (Cognito links them through ``origin_jti``)."""

    subject: str
    username: str
    email: str | None
    groups: tuple[str, ...]
    custom_attributes: dict[str, str]
    auth_time: int
    expires_in: int
    origin_jti: str
    event_id: str


def _custom_attributes(attributes: Mapping[str, str]) -> dict[str, str]:
    prefixed = {}
    for name, value in attributes.items():
        bare = name.removeprefix(CUSTOM_ATTRIBUTE_PREFIX)
        if not bare or ":" in bare or not isinstance(value, str):
            raise InvalidInputError(
                f"custom attribute {name!r} needs a name without ':' and a str value",
                issues=[FieldIssue("attributes", "invalid custom attribute", name)],
            )
        prefixed[CUSTOM_ATTRIBUTE_PREFIX + bare] = value
    return prefixed


def _check_ttl(ttl_seconds: int, field: str) -> int:
    if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int):
        raise InvalidInputError(f"{field} must be an int", issues=[FieldIssue(field, "not an int")])
    if not 0 < ttl_seconds <= MAX_TTL_SECONDS:
        reason = f"must be between 1 and {MAX_TTL_SECONDS} seconds"
        raise InvalidInputError(
            f"{field} {reason}, got {ttl_seconds}", issues=[FieldIssue(field, reason, ttl_seconds)]
        )
    return ttl_seconds


class LocalTokenIssuer:
    """Signs RS256 tokens with a key kept at ``key_path`` (created on first use).

    Id tokens carry ``sub``, ``email``, ``email_verified``, ``cognito:groups``,
    ``cognito:username``, ``aud`` and ``custom:*`` attributes; access tokens carry
    ``client_id`` (no ``aud``), ``username`` and ``scope`` and, as on Cognito, no
    custom attributes. Both carry ``iss``, ``iat``, ``exp``, ``auth_time``, ``jti``,
    ``origin_jti``, ``event_id`` and ``token_use``.

    ``issuer`` is the URL where :func:`foundation.identity.routes.issuer_router` is
    mounted: its JWKS is served at ``{issuer}/.well-known/jwks.json``.
    """

    def __init__(
        self,
        key_path: Path,
        *,
        issuer: str,
        client_id: str = "skyline-local",
        default_ttl_seconds: int = 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not issuer or issuer.endswith("/"):
            raise ConfigurationError(f"issuer {issuer!r} must be a URL without a trailing '/'")
        if not client_id:
            raise ConfigurationError("client_id must not be empty")
        try:
            self.default_ttl_seconds = _check_ttl(default_ttl_seconds, "default_ttl_seconds")
        except InvalidInputError as exc:
            raise ConfigurationError(exc.detail) from exc
        self.issuer = issuer
        self.client_id = client_id
        self.key_path = key_path
        self._clock = clock
        self._key = load_or_create_signing_key(key_path)

    @property
    def kid(self) -> str:
        return self._key.kid

    def jwks(self) -> dict[str, Any]:
        """The public JSON Web Key Set that verifies this issuer's tokens."""
        return self._key.jwks()

    def verifier(
        self,
        *,
        accepted_token_uses: Collection[TokenUse] = ("id", "access"),
        leeway_seconds: float = 30,
    ) -> JwksTokenVerifier:
        """A verifier for this issuer's tokens that reads the JWKS in process."""
        return JwksTokenVerifier(
            issuer=self.issuer,
            client_id=self.client_id,
            jwks_provider=self.jwks,
            accepted_token_uses=accepted_token_uses,
            leeway_seconds=leeway_seconds,
            backend="local",
        )

    def subject_for(self, username: str) -> str:
        """A stable UUID ``sub`` for a username, like the one Cognito assigns at sign-up."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.issuer}#{username}"))

    def issue(
        self,
        subject: str,
        *,
        username: str | None = None,
        email: str | None = None,
        groups: Iterable[str] = (),
        attributes: Mapping[str, str] | None = None,
        token_use: TokenUse = "id",
        ttl_seconds: int | None = None,
    ) -> str:
        """One signed token. ``attributes`` are custom attributes, with or without ``custom:``."""
        if token_use not in ("id", "access"):
            raise InvalidInputError(
                f"token_use must be 'id' or 'access', got {token_use!r}",
                issues=[FieldIssue("token_use", "must be 'id' or 'access'", token_use)],
            )
        sign_in = self._sign_in(
            subject,
            username=username,
            email=email,
            groups=groups,
            attributes=attributes,
            ttl_seconds=ttl_seconds,
        )
        return self._sign(sign_in, token_use)

    def issue_pair(
        self,
        subject: str,
        *,
        username: str | None = None,
        email: str | None = None,
        groups: Iterable[str] = (),
        attributes: Mapping[str, str] | None = None,
        ttl_seconds: int | None = None,
    ) -> IssuedTokens:
        """The id and access token of one sign-in; they share ``auth_time`` and ``origin_jti``."""
        sign_in = self._sign_in(
            subject,
            username=username,
            email=email,
            groups=groups,
            attributes=attributes,
            ttl_seconds=ttl_seconds,
        )
        return IssuedTokens(
            id_token=self._sign(sign_in, "id"),
            access_token=self._sign(sign_in, "access"),
            expires_in=sign_in.expires_in,
        )

    def _sign_in(
        self,
        subject: str,
        *,
        username: str | None,
        email: str | None,
        groups: Iterable[str],
        attributes: Mapping[str, str] | None,
        ttl_seconds: int | None,
    ) -> _SignIn:
        if not isinstance(subject, str) or not subject:
            raise InvalidInputError(
                "subject must be a non-empty string", issues=[FieldIssue("subject", "required")]
            )
        group_names = tuple(dict.fromkeys(groups))
        if not all(isinstance(group, str) and group for group in group_names):
            raise InvalidInputError(
                "every group must be a non-empty string",
                issues=[FieldIssue("groups", "empty or not a string")],
            )
        return _SignIn(
            subject=subject,
            username=username or subject,
            email=email,
            groups=group_names,
            custom_attributes=_custom_attributes(attributes or {}),
            auth_time=int(self._clock()),
            expires_in=_check_ttl(
                self.default_ttl_seconds if ttl_seconds is None else ttl_seconds, "ttl_seconds"
            ),
            origin_jti=str(uuid.uuid4()),
            event_id=str(uuid.uuid4()),
        )

    def _sign(self, sign_in: _SignIn, token_use: TokenUse) -> str:
        claims: dict[str, Any] = {"sub": sign_in.subject}
        if sign_in.groups:  # Cognito leaves the claim out for a user in no group
            claims[GROUPS_CLAIM] = list(sign_in.groups)
        if token_use == "id":
            if sign_in.email is not None:
                claims.update(email=sign_in.email, email_verified=True)
            claims.update({"cognito:username": sign_in.username, "aud": self.client_id})
            claims.update(sign_in.custom_attributes)
        else:
            claims.update(
                client_id=self.client_id, username=sign_in.username, scope=ACCESS_TOKEN_SCOPE
            )
        claims.update(
            iss=self.issuer,
            token_use=token_use,
            origin_jti=sign_in.origin_jti,
            event_id=sign_in.event_id,
            auth_time=sign_in.auth_time,
            iat=sign_in.auth_time,
            exp=sign_in.auth_time + sign_in.expires_in,
            jti=str(uuid.uuid4()),
        )
        return jwt.encode(
            claims, self._key.private_key, algorithm=SIGNING_ALGORITHM, headers={"kid": self.kid}
        )


__all__ = ["ACCESS_TOKEN_SCOPE", "MAX_TTL_SECONDS", "IssuedTokens", "LocalTokenIssuer"]
