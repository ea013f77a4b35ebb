"""Identity port: verify bearer tokens and read roles and organization from their claims.

Tokens carry the claims of Amazon Cognito user-pool tokens whichever issuer made
them: the embedded :class:`LocalTokenIssuer` (RS256, key file, JWKS) by default,
or a Cognito user pool (:func:`cognito_verifier`). :class:`MultiIssuerVerifier`
trusts several issuers at once. The FastAPI router and dependencies live in
:mod:`foundation.identity.routes`, so importing this package does not import FastAPI.
"""

from foundation.identity.base import Principal, TokenUse, TokenVerifier
from foundation.identity.cognito import cognito_issuer, cognito_verifier
from foundation.identity.exceptions import (
    InvalidTokenError,
    InvalidTokenReason,
    JwksUnavailableError,
    SigningKeyError,
)
from foundation.identity.keys import SigningKey, jwk_thumbprint, load_or_create_signing_key
from foundation.identity.local_issuer import IssuedTokens, LocalTokenIssuer
from foundation.identity.verifier import (
    JwksProvider,
    JwksTokenVerifier,
    MultiIssuerVerifier,
    http_jwks_provider,
)

__all__ = [
    "InvalidTokenError",
    "InvalidTokenReason",
    "IssuedTokens",
    "JwksProvider",
    "JwksTokenVerifier",
    "JwksUnavailableError",
    "LocalTokenIssuer",
    "MultiIssuerVerifier",
    "Principal",
    "SigningKey",
    "SigningKeyError",
    "TokenUse",
    "TokenVerifier",
    "cognito_issuer",
    "cognito_verifier",
    "http_jwks_provider",
    "jwk_thumbprint",
    "load_or_create_signing_key",
]
