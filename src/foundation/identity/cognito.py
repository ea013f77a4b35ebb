"""Verify tokens of an Amazon Cognito user pool against the pool's published JWKS."""

from __future__ import annotations

import re
from collections.abc import Collection

from foundation.errors import ConfigurationError
from foundation.identity.base import TokenUse
from foundation.identity.verifier import JwksProvider, JwksTokenVerifier, http_jwks_provider

# Pool ids start with their region, e.g. "eu-west-1_AbC123": a mismatch is a config error.
_USER_POOL_ID = re.compile(r"(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)_[0-9A-Za-z]+")


def cognito_issuer(region: str, user_pool_id: str) -> str:
    """The ``iss`` of the pool's tokens; its JWKS is at ``{issuer}/.well-known/jwks.json``."""
    match = _USER_POOL_ID.fullmatch(user_pool_id)
    if match is None:
        raise ConfigurationError(
            f"user_pool_id {user_pool_id!r} is not a Cognito pool id like 'us-east-1_AbC123'"
        )
    if match["region"] != region:
        raise ConfigurationError(
            f"user_pool_id {user_pool_id!r} belongs to region {match['region']}, not {region}"
        )
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


def cognito_verifier(
    *,
    region: str,
    user_pool_id: str,
    client_id: str,
    jwks_provider: JwksProvider | None = None,
    endpoint_url: str | None = None,
    accepted_token_uses: Collection[TokenUse] = ("id", "access"),
    leeway_seconds: float = 30,
) -> JwksTokenVerifier:
    """A verifier for the tokens that ``user_pool_id`` issues to app client ``client_id``.

    The JWKS is fetched over HTTPS from the pool (or from ``endpoint_url``, e.g. a
    ``moto_server``, which serves it at ``{endpoint_url}/{user_pool_id}/...``) unless a
    ``jwks_provider`` is given. No AWS credentials are needed: the JWKS is public.
    """
    issuer = cognito_issuer(region, user_pool_id)
    base = f"{endpoint_url.rstrip('/')}/{user_pool_id}" if endpoint_url else issuer
    return JwksTokenVerifier(
        issuer=issuer,
        client_id=client_id,
        jwks_provider=jwks_provider or http_jwks_provider(f"{base}/.well-known/jwks.json"),
        accepted_token_uses=accepted_token_uses,
        leeway_seconds=leeway_seconds,
        backend="cognito",
    )


__all__ = ["cognito_issuer", "cognito_verifier"]
