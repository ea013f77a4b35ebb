"""Verify RS256 tokens against an issuer's JSON Web Key Set (local issuer or Cognito)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.utils import base64url_decode

from foundation.errors import ConfigurationError
from foundation.health import HealthStatus, timed_check
from foundation.identity.base import (
    GROUPS_CLAIM,
    ORGANIZATION_CLAIM,
    Principal,
    TokenUse,
    TokenVerifier,
)
from foundation.identity.exceptions import (
    InvalidTokenError,
    InvalidTokenReason,
    JwksUnavailableError,
)
from foundation.identity.keys import SIGNING_ALGORITHM

if TYPE_CHECKING:
    from jwt.types import Options

JwksProvider = Callable[[], Mapping[str, Any]]

# Cognito tokens are a few KB; anything far larger is refused before any parsing.
MAX_TOKEN_CHARS = 16_384
# Signature and claims only: every claim check below is ours, so errors say exactly what failed.
_SIGNATURE_ONLY: Options = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
}


def http_jwks_provider(
    url: str, *, timeout_seconds: float = 5.0, client: httpx.Client | None = None
) -> JwksProvider:
    """A provider that GETs the JWKS at ``url``; failures raise ``JwksUnavailableError``."""
    http = client or httpx.Client()

    def fetch() -> Mapping[str, Any]:
        try:
            response = http.get(url, timeout=timeout_seconds)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise JwksUnavailableError(
                f"could not fetch the JWKS at {url}: {type(exc).__name__}"
            ) from exc
        if not isinstance(body, Mapping):
            raise JwksUnavailableError(f"the JWKS at {url} is not a JSON object")
        return body

    return fetch


def _parse_jwks(jwks: Mapping[str, Any], issuer: str) -> dict[str, rsa.RSAPublicKey]:
    keys: dict[str, rsa.RSAPublicKey] = {}
    entries = jwks.get("keys")
    for jwk in entries if isinstance(entries, list) else []:
        if not isinstance(jwk, Mapping) or not isinstance(jwk.get("kid"), str):
            continue
        if (jwk.get("kty"), jwk.get("use", "sig"), jwk.get("alg", SIGNING_ALGORITHM)) != (
            "RSA",
            "sig",
            SIGNING_ALGORITHM,
        ):
            continue
        try:
            # Built from n and e only, so a JWK that also leaks "d" still yields a public key.
            numbers = rsa.RSAPublicNumbers(
                e=int.from_bytes(base64url_decode(jwk["e"]), "big"),
                n=int.from_bytes(base64url_decode(jwk["n"]), "big"),
            )
            keys[jwk["kid"]] = numbers.public_key()
        except (KeyError, TypeError, ValueError):
            continue
    if not keys:
        raise JwksUnavailableError(f"the JWKS of issuer {issuer} holds no RS256 signing key")
    return keys


def _check_length(token: str) -> None:
    if not isinstance(token, str) or not token:
        raise InvalidTokenError(InvalidTokenReason.MALFORMED, "token is empty")
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidTokenError(
            InvalidTokenReason.MALFORMED, f"token is longer than {MAX_TOKEN_CHARS} characters"
        )


def _unverified_header(token: str) -> dict[str, Any]:
    _check_length(token)
    try:
        return jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as exc:
        raise InvalidTokenError(
            InvalidTokenReason.MALFORMED, "token is not a JWS compact serialization"
        ) from exc


def unverified_issuer(token: str) -> str:
    """The ``iss`` claim of a token whose signature is not checked yet: for routing only."""
    _check_length(token)
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as exc:
        raise InvalidTokenError(
            InvalidTokenReason.MALFORMED, "token payload is not a JSON object"
        ) from exc
    issuer = claims.get("iss")
    if not isinstance(issuer, str):
        raise InvalidTokenError(InvalidTokenReason.MALFORMED, "token claim 'iss' is missing")
    return issuer


def _numeric_date(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise InvalidTokenError(
            InvalidTokenReason.MALFORMED, f"token claim '{name}' must be a NumericDate"
        )
    return None if value is None else float(value)


def _optional_str(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidTokenError(
            InvalidTokenReason.MALFORMED, f"token claim '{name}' must be a string"
        )
    return value


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """Build the principal of verified Cognito-shaped claims, checking each claim's type."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise InvalidTokenError(InvalidTokenReason.MALFORMED, "token claim 'sub' is missing")
    groups = claims.get(GROUPS_CLAIM, [])
    if not isinstance(groups, list) or not all(isinstance(group, str) for group in groups):
        raise InvalidTokenError(
            InvalidTokenReason.MALFORMED, f"token claim '{GROUPS_CLAIM}' must be a list of strings"
        )
    return Principal(
        subject=subject,
        email=_optional_str(claims, "email"),
        groups=frozenset(groups),
        organization=_optional_str(claims, ORGANIZATION_CLAIM),
        token_use=cast(TokenUse, claims["token_use"]),
        issuer=cast(str, claims["iss"]),
        username=_optional_str(claims, "cognito:username") or _optional_str(claims, "username"),
        claims=MappingProxyType(dict(claims)),
    )


class JwksTokenVerifier(TokenVerifier):
    """Verifies RS256 tokens of one issuer whose public keys are published as a JWKS.

    Keys are cached. A token naming an unknown ``kid`` makes the verifier fetch the
    JWKS again (the issuer may have rotated its key), at most once per
    ``refetch_cooldown_seconds`` so a flood of forged kids cannot hammer the issuer.
    """

    backend = "jwks"

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        jwks_provider: JwksProvider,
        accepted_token_uses: Collection[TokenUse] = ("id", "access"),
        leeway_seconds: float = 30,
        refetch_cooldown_seconds: float = 30,
        backend: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not issuer or not client_id:
            raise ConfigurationError("a token verifier needs a non-empty issuer and client_id")
        unknown_uses = set(accepted_token_uses) - {"id", "access"}
        if not accepted_token_uses or unknown_uses:
            raise ConfigurationError(
                f"accepted_token_uses must be a non-empty subset of ('id', 'access'), "
                f"got {tuple(accepted_token_uses)!r}"
            )
        self.issuer = issuer
        self.client_id = client_id
        self.accepted_token_uses = frozenset(accepted_token_uses)
        self.leeway_seconds = leeway_seconds
        if backend is not None:
            self.backend = backend
        self._jwks_provider = jwks_provider
        self._refetch_cooldown_seconds = refetch_cooldown_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, rsa.RSAPublicKey] | None = None
        self._fetched_at = float("-inf")

    def verify(self, token: str) -> Principal:
        header = _unverified_header(token)
        if header.get("alg") != SIGNING_ALGORITHM:
            raise InvalidTokenError(
                InvalidTokenReason.UNSUPPORTED_ALGORITHM,
                f"token header 'alg' must be {SIGNING_ALGORITHM}",
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidTokenError(InvalidTokenReason.MALFORMED, "token header 'kid' is missing")
        try:
            claims = jwt.decode(
                token, self._key_for(kid), algorithms=[SIGNING_ALGORITHM], options=_SIGNATURE_ONLY
            )
        except jwt.InvalidSignatureError as exc:
            raise InvalidTokenError(
                InvalidTokenReason.BAD_SIGNATURE, "token signature does not match its contents"
            ) from exc
        except jwt.InvalidTokenError as exc:
            raise InvalidTokenError(
                InvalidTokenReason.MALFORMED, "token payload is not a JSON object"
            ) from exc
        self._check_times(claims)
        self._check_issuer_and_use(claims)
        self._check_audience(claims)
        return principal_from_claims(claims)

    def check(self) -> HealthStatus:
        def probe() -> str:
            keys = self._refresh()
            return f"{len(keys)} signing key(s) for issuer {self.issuer}"

        return timed_check("identity", self.backend, probe)

    def _key_for(self, kid: str) -> rsa.RSAPublicKey:
        keys = self._keys
        if keys is not None and kid in keys:
            return keys[kid]
        with self._lock:
            keys = self._keys
            cooled_down = self._clock() - self._fetched_at >= self._refetch_cooldown_seconds
            if keys is None or (kid not in keys and cooled_down):
                keys = self._refresh_locked()
        if kid not in keys:
            raise InvalidTokenError(
                InvalidTokenReason.UNKNOWN_KEY,
                f"token header 'kid' names no key of issuer {self.issuer}",
            )
        return keys[kid]

    def _refresh(self) -> dict[str, rsa.RSAPublicKey]:
        with self._lock:
            return self._refresh_locked()

    def _refresh_locked(self) -> dict[str, rsa.RSAPublicKey]:
        keys = _parse_jwks(self._jwks_provider(), self.issuer)
        self._keys, self._fetched_at = keys, self._clock()
        return keys

    def _check_times(self, claims: Mapping[str, Any]) -> None:
        now, leeway = self._clock(), self.leeway_seconds
        expires, issued = _numeric_date(claims, "exp"), _numeric_date(claims, "iat")
        if expires is None or issued is None:
            missing = "exp" if expires is None else "iat"
            raise InvalidTokenError(
                InvalidTokenReason.MALFORMED, f"token claim '{missing}' is missing"
            )
        if now > expires + leeway:
            expired_at = datetime.fromtimestamp(expires, UTC).isoformat()
            raise InvalidTokenError(InvalidTokenReason.EXPIRED, f"token expired at {expired_at}")
        for name, moment in (("iat", issued), ("nbf", _numeric_date(claims, "nbf"))):
            if moment is not None and moment > now + leeway:
                raise InvalidTokenError(
                    InvalidTokenReason.NOT_YET_VALID, f"token claim '{name}' is in the future"
                )

    def _check_issuer_and_use(self, claims: Mapping[str, Any]) -> None:
        if claims.get("iss") != self.issuer:
            raise InvalidTokenError(
                InvalidTokenReason.WRONG_ISSUER, f"token claim 'iss' is not {self.issuer}"
            )
        token_use = claims.get("token_use")
        if token_use not in self.accepted_token_uses:
            presented = f"an {token_use} token" if token_use in ("id", "access") else "a token"
            raise InvalidTokenError(
                InvalidTokenReason.WRONG_TOKEN_USE,
                f"token claim 'token_use': {presented} was presented, but only "
                f"{' or '.join(sorted(self.accepted_token_uses))} tokens are accepted",
            )

    def _check_audience(self, claims: Mapping[str, Any]) -> None:
        # Cognito id tokens name the app client in 'aud', access tokens in 'client_id'.
        name = "aud" if claims["token_use"] == "id" else "client_id"  # noqa: S105
        value = claims.get(name)
        audiences = value if isinstance(value, list) else [value]
        if self.client_id not in audiences:
            raise InvalidTokenError(
                InvalidTokenReason.WRONG_AUDIENCE,
                f"token claim '{name}' does not name client {self.client_id}",
            )


class MultiIssuerVerifier(TokenVerifier):
    """Accepts tokens of several issuers, each checked by the verifier for its ``iss``."""

    backend = "multi-issuer"

    def __init__(self, verifiers: Sequence[JwksTokenVerifier]) -> None:
        self._by_issuer: dict[str, JwksTokenVerifier] = {}
        for verifier in verifiers:
            if verifier.issuer in self._by_issuer:
                raise ConfigurationError(f"two verifiers for issuer {verifier.issuer}")
            self._by_issuer[verifier.issuer] = verifier
        if not self._by_issuer:
            raise ConfigurationError("MultiIssuerVerifier needs at least one verifier")

    @property
    def issuers(self) -> frozenset[str]:
        return frozenset(self._by_issuer)

    def verify(self, token: str) -> Principal:
        # The unverified 'iss' only picks the verifier; that verifier checks everything.
        verifier = self._by_issuer.get(unverified_issuer(token))
        if verifier is None:
            raise InvalidTokenError(
                InvalidTokenReason.WRONG_ISSUER,
                "token claim 'iss' names an issuer not trusted here",
            )
        return verifier.verify(token)

    def check(self) -> HealthStatus:
        def probe() -> str:
            statuses = [verifier.check() for verifier in self._by_issuer.values()]
            detail = "; ".join(f"{status.backend}: {status.detail}" for status in statuses)
            if not all(status.ok for status in statuses):
                raise JwksUnavailableError(detail)
            return detail

        return timed_check("identity", self.backend, probe)


__all__ = [
    "MAX_TOKEN_CHARS",
    "JwksProvider",
    "JwksTokenVerifier",
    "MultiIssuerVerifier",
    "http_jwks_provider",
    "principal_from_claims",
    "unverified_issuer",
]
