"""Identity port contract: the local issuer and a Cognito user pool (moto) pass the same tests.

Cognito tokens are real moto tokens from ``admin_initiate_auth``, verified against
the public JWKS that moto ships as a package resource.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import hmac
import importlib.resources
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from jwt.algorithms import RSAAlgorithm

from foundation.errors import AppError, ConfigurationError, InvalidInputError
from foundation.identity import (
    InvalidTokenError,
    InvalidTokenReason,
    JwksTokenVerifier,
    JwksUnavailableError,
    LocalTokenIssuer,
    MultiIssuerVerifier,
    Principal,
    SigningKeyError,
    cognito_verifier,
    http_jwks_provider,
    jwk_thumbprint,
    load_or_create_signing_key,
)
from foundation.identity.keys import base64url
from foundation.identity.routes import bearer_principal, issuer_router, require_group

REGION = "us-east-1"
LOCAL_ISSUER = "http://127.0.0.1:8000/auth"
PASSWORD = "Correct-Horse-9"

SignIn = Callable[..., tuple[str, str]]


@dataclass
class Pool:
    """One issuer under test: how to sign a user in, and the verifier its adapter builds."""

    name: str
    issuer: str
    client_id: str
    jwks: Callable[[], Mapping[str, Any]]
    sign_in: SignIn
    verifier: JwksTokenVerifier
    extra: dict[str, Any] = field(default_factory=dict)

    def verifier_with(self, **overrides: Any) -> JwksTokenVerifier:
        options: dict[str, Any] = {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "jwks_provider": self.jwks,
        }
        return JwksTokenVerifier(**{**options, **overrides})


def _local_pool(
    key_path: Path, issuer_url: str = LOCAL_ISSUER, *, pem: bytes | None = None
) -> Pool:
    if pem is not None:  # reuse a key made once per session: RSA generation is slow
        key_path.parent.mkdir(parents=True, exist_ok=True)
        key_path.write_bytes(pem)
        key_path.chmod(0o600)
    issuer = LocalTokenIssuer(key_path, issuer=issuer_url)

    def sign_in(
        username: str,
        *,
        email: str | None = None,
        groups: Iterable[str] = (),
        organization: str | None = None,
    ) -> tuple[str, str]:
        tokens = issuer.issue_pair(
            issuer.subject_for(username),
            username=username,
            email=email,
            groups=groups,
            attributes={"organization_id": organization} if organization else None,
        )
        return tokens.id_token, tokens.access_token

    return Pool(
        "local",
        issuer.issuer,
        issuer.client_id,
        issuer.jwks,
        sign_in,
        issuer.verifier(),
        extra={"issuer": issuer},
    )


def _moto_public_jwks() -> dict[str, Any]:
    resource = importlib.resources.files("moto.cognitoidp") / "resources" / "jwks-public.json.gz"
    jwks: dict[str, Any] = json.loads(gzip.decompress(resource.read_bytes()))
    return jwks


def _cognito_pool() -> Pool:
    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool_id = cognito.create_user_pool(
        PoolName="skyline",
        Schema=[{"Name": "organization_id", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        # moto puts no attribute in id tokens unless the client lists it (Cognito: all readable).
        ReadAttributes=["email", "email_verified", "custom:organization_id"],
    )["UserPoolClient"]["ClientId"]

    def sign_in(
        username: str,
        *,
        email: str | None = None,
        groups: Iterable[str] = (),
        organization: str | None = None,
    ) -> tuple[str, str]:
        attributes = []
        if email:
            attributes += [
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ]
        if organization:
            attributes.append({"Name": "custom:organization_id", "Value": organization})
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            UserAttributes=attributes,
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
        )
        for group in groups:
            with contextlib.suppress(cognito.exceptions.GroupExistsException):
                cognito.create_group(UserPoolId=pool_id, GroupName=group)
            cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
        result = cognito.admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        return result["IdToken"], result["AccessToken"]

    verifier = cognito_verifier(
        region=REGION, user_pool_id=pool_id, client_id=client_id, jwks_provider=_moto_public_jwks
    )
    return Pool("cognito", verifier.issuer, client_id, _moto_public_jwks, sign_in, verifier)


@pytest.fixture(scope="session")
def local_key_pem(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    key_path = tmp_path_factory.mktemp("identity") / "signing.pem"
    load_or_create_signing_key(key_path)
    return key_path.read_bytes()


@pytest.fixture(params=["local", "cognito"])
def pool(request: pytest.FixtureRequest, tmp_path: Path, local_key_pem: bytes) -> Pool:
    if request.param == "cognito":
        request.getfixturevalue("moto_aws")
        return _cognito_pool()
    return _local_pool(tmp_path / "keys" / "signing.pem", pem=local_key_pem)


# --- helpers that forge and tamper with tokens ---------------------------------------------


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _segment(value: Mapping[str, Any]) -> str:
    return base64url(json.dumps(value, separators=(",", ":")).encode())


def _forge(header: Mapping[str, Any], claims: Mapping[str, Any], secret: bytes | None) -> str:
    signing_input = f"{_segment(header)}.{_segment(claims)}"
    signature = (
        b"" if secret is None else hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    )
    return f"{signing_input}.{base64url(signature)}"


@cache
def _stranger_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _public_pem(pool: Pool) -> bytes:
    public_key = RSAAlgorithm.from_jwk(dict(pool.jwks()["keys"][0]))
    assert isinstance(public_key, rsa.RSAPublicKey)
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _assert_rejected(
    verifier: JwksTokenVerifier | MultiIssuerVerifier, token: str, reason: InvalidTokenReason
) -> InvalidTokenError:
    with pytest.raises(InvalidTokenError) as caught:
        verifier.verify(token)
    error = caught.value
    assert error.reason is reason, error.detail
    assert error.status == 401
    for part in token.split("."):
        if len(part) >= 8:  # no piece of the token may leak into a message or header
            assert part not in str(error)
            assert part not in error.www_authenticate
    return error


def _sign_in_alice(pool: Pool) -> tuple[str, str]:
    return pool.sign_in(
        "alice", email="alice@example.com", groups=("admin", "analyst"), organization="org-42"
    )


# --- contract: every issuer --------------------------------------------------------------


def test_id_token_verifies_into_a_principal_with_email_groups_and_organization(pool: Pool) -> None:
    id_token, _ = _sign_in_alice(pool)

    principal = pool.verifier.verify(id_token)

    assert principal.token_use == "id"
    assert principal.issuer == pool.issuer
    assert principal.email == "alice@example.com"
    assert principal.groups == frozenset({"admin", "analyst"})
    assert principal.has_group("admin")
    assert not principal.has_group("owner")
    assert principal.organization == "org-42"
    assert principal.username == "alice"
    assert principal.subject == principal.claims["sub"]
    assert principal.claims["aud"] == pool.client_id
    assert {"iat", "exp", "auth_time", "jti", "origin_jti", "email_verified"} <= set(
        principal.claims
    )
    assert id_token.split(".")[2] not in repr(principal)


def test_access_token_names_the_client_in_client_id_and_carries_no_organization(
    pool: Pool,
) -> None:
    id_token, access_token = _sign_in_alice(pool)

    principal = pool.verifier.verify(access_token)

    assert principal.token_use == "access"
    assert principal.claims["client_id"] == pool.client_id
    assert "aud" not in principal.claims
    assert principal.groups == frozenset({"admin", "analyst"})
    assert principal.organization is None  # Cognito puts custom attributes in id tokens only
    assert principal.email is None
    assert principal.username == "alice"
    assert principal.claims["scope"] == "aws.cognito.signin.user.admin"
    id_claims = _claims(id_token)
    assert principal.subject == id_claims["sub"]
    assert principal.claims["origin_jti"] == id_claims["origin_jti"]
    assert principal.claims["jti"] != id_claims["jti"]


def test_user_in_no_group_has_no_groups(pool: Pool) -> None:
    id_token, access_token = pool.sign_in("bob")

    for token in (id_token, access_token):
        principal = pool.verifier.verify(token)
        assert principal.groups == frozenset()
        assert "cognito:groups" not in principal.claims
    assert pool.verifier.verify(id_token).organization is None


def test_token_is_accepted_only_within_its_lifetime_and_the_leeway(pool: Pool) -> None:
    id_token, access_token = _sign_in_alice(pool)
    issued, expires = _claims(id_token)["iat"], _claims(id_token)["exp"]

    def at(moment: float) -> JwksTokenVerifier:
        return pool.verifier_with(leeway_seconds=30, clock=lambda: moment)

    assert at(expires + 20).verify(id_token).email == "alice@example.com"  # skew within leeway
    error = _assert_rejected(at(expires + 31), id_token, InvalidTokenReason.EXPIRED)
    assert "expired at" in error.detail
    assert error.extra["reason"] == "expired"
    _assert_rejected(at(expires + 31), access_token, InvalidTokenReason.EXPIRED)
    error = _assert_rejected(at(issued - 120), access_token, InvalidTokenReason.NOT_YET_VALID)
    assert "'iat'" in error.detail


def test_tampered_payload_or_signature_is_rejected(pool: Pool) -> None:
    id_token, _ = pool.sign_in("mallory", email="m@example.com", groups=("viewer",))
    header, payload, signature = id_token.split(".")
    escalated = _claims(id_token) | {"cognito:groups": ["viewer", "admin"]}
    flipped = bytearray(jwt.utils.base64url_decode(signature))
    flipped[len(flipped) // 2] ^= 0x01

    for tampered in [
        f"{header}.{_segment(escalated)}.{signature}",
        f"{header}.{payload}.{base64url(bytes(flipped))}",
    ]:
        _assert_rejected(pool.verifier, tampered, InvalidTokenReason.BAD_SIGNATURE)


def test_token_signed_by_another_key_is_rejected(pool: Pool) -> None:
    id_token, _ = _sign_in_alice(pool)
    real_kid = jwt.get_unverified_header(id_token)["kid"]

    for kid, reason in [
        ("stranger-key", InvalidTokenReason.UNKNOWN_KEY),
        (real_kid, InvalidTokenReason.BAD_SIGNATURE),  # a stranger's key behind the real kid
    ]:
        forged = jwt.encode(
            _claims(id_token), _stranger_key(), algorithm="RS256", headers={"kid": kid}
        )
        _assert_rejected(pool.verifier, forged, reason)


def test_token_with_a_forged_algorithm_is_rejected(pool: Pool) -> None:
    id_token, _ = _sign_in_alice(pool)
    kid = jwt.get_unverified_header(id_token)["kid"]
    claims = _claims(id_token) | {"cognito:groups": ["root"]}

    # alg=none, and HS256 keyed with the issuer's *public* key (the key-confusion attack).
    for algorithm, secret in [("none", None), ("HS256", _public_pem(pool))]:
        forged = _forge({"alg": algorithm, "kid": kid, "typ": "JWT"}, claims, secret)
        error = _assert_rejected(pool.verifier, forged, InvalidTokenReason.UNSUPPORTED_ALGORITHM)
        assert "'alg'" in error.detail


def test_token_for_another_app_client_is_rejected(pool: Pool) -> None:
    id_token, access_token = _sign_in_alice(pool)
    other_client = pool.verifier_with(client_id="another-client")

    for token, claim in [(id_token, "'aud'"), (access_token, "'client_id'")]:
        error = _assert_rejected(other_client, token, InvalidTokenReason.WRONG_AUDIENCE)
        assert claim in error.detail


def test_token_of_the_wrong_use_is_rejected(pool: Pool) -> None:
    id_token, access_token = _sign_in_alice(pool)

    access_only = pool.verifier_with(accepted_token_uses=("access",))
    error = _assert_rejected(access_only, id_token, InvalidTokenReason.WRONG_TOKEN_USE)
    assert "an id token" in error.detail
    assert access_only.verify(access_token).token_use == "access"
    id_only = pool.verifier_with(accepted_token_uses=("id",))
    _assert_rejected(id_only, access_token, InvalidTokenReason.WRONG_TOKEN_USE)


def test_token_of_another_issuer_is_rejected(pool: Pool) -> None:
    id_token, _ = _sign_in_alice(pool)

    elsewhere = pool.verifier_with(issuer="https://issuer.example.com/other")
    error = _assert_rejected(elsewhere, id_token, InvalidTokenReason.WRONG_ISSUER)
    assert "'iss'" in error.detail


def test_malformed_token_is_rejected(pool: Pool) -> None:
    for token in ["", "not-a-jwt", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30", f"{'x' * 20_000}.e30.e30"]:
        _assert_rejected(pool.verifier, token, InvalidTokenReason.MALFORMED)

    id_token, _ = _sign_in_alice(pool)
    without_kid = jwt.encode(_claims(id_token), _stranger_key(), algorithm="RS256")
    error = _assert_rejected(pool.verifier, without_kid, InvalidTokenReason.MALFORMED)
    assert "'kid'" in error.detail


def test_check_reports_the_issuers_signing_keys(pool: Pool) -> None:
    status = pool.verifier.check()

    assert status.ok, status.detail
    assert status.backend == pool.name
    assert "1 signing key" in status.detail


# --- several issuers ---------------------------------------------------------------------


def test_multi_issuer_verifier_accepts_the_local_issuer_and_a_cognito_pool(
    moto_aws: None, tmp_path: Path
) -> None:
    local, cognito = _local_pool(tmp_path / "local.pem"), _cognito_pool()
    stranger = _local_pool(tmp_path / "stranger.pem", issuer_url="http://127.0.0.1:9999/auth")
    verifier = MultiIssuerVerifier([local.verifier, cognito.verifier])

    local_id, _ = _sign_in_alice(local)
    _, cognito_access = _sign_in_alice(cognito)
    assert verifier.verify(local_id).issuer == LOCAL_ISSUER
    assert verifier.verify(local_id).organization == "org-42"
    assert verifier.verify(cognito_access).issuer == cognito.issuer
    assert verifier.verify(cognito_access).groups == frozenset({"admin", "analyst"})
    stranger_id, _ = _sign_in_alice(stranger)
    _assert_rejected(verifier, stranger_id, InvalidTokenReason.WRONG_ISSUER)
    _assert_rejected(verifier, "a.b.c", InvalidTokenReason.MALFORMED)
    status = verifier.check()
    assert status.ok, status.detail
    assert "local" in status.detail
    assert "cognito" in status.detail


def test_multi_issuer_verifier_does_not_let_one_issuer_sign_for_another(
    moto_aws: None, tmp_path: Path
) -> None:
    local, cognito = _local_pool(tmp_path / "local.pem"), _cognito_pool()
    verifier = MultiIssuerVerifier([local.verifier, cognito.verifier])
    # The local key signs a token that claims to come from the Cognito pool.
    cognito_id, _ = _sign_in_alice(cognito)
    issuer: LocalTokenIssuer = local.extra["issuer"]
    forged = jwt.encode(
        _claims(cognito_id),
        load_or_create_signing_key(tmp_path / "local.pem").private_key,
        algorithm="RS256",
        headers={"kid": issuer.kid},
    )

    _assert_rejected(verifier, forged, InvalidTokenReason.UNKNOWN_KEY)


def test_multi_issuer_verifier_refuses_two_verifiers_for_one_issuer(tmp_path: Path) -> None:
    local = _local_pool(tmp_path / "local.pem")
    with pytest.raises(ConfigurationError, match=LOCAL_ISSUER):
        MultiIssuerVerifier([local.verifier, local.verifier_with()])


def test_local_tokens_carry_every_claim_that_cognito_tokens_carry(
    moto_aws: None, tmp_path: Path
) -> None:
    local, cognito = _local_pool(tmp_path / "local.pem"), _cognito_pool()

    for local_token, cognito_token in zip(
        _sign_in_alice(local), _sign_in_alice(cognito), strict=True
    ):
        local_claims, cognito_claims = _claims(local_token), _claims(cognito_token)
        assert set(cognito_claims) <= set(local_claims)
        assert {
            name: type(value)
            for name, value in local_claims.items()
            if name in cognito_claims and name != "email_verified"
        } == {
            name: type(value) for name, value in cognito_claims.items() if name != "email_verified"
        }
        assert jwt.get_unverified_header(local_token)["alg"] == "RS256"


def test_cognito_verifier_refuses_a_pool_id_of_another_region() -> None:
    with pytest.raises(ConfigurationError, match="user_pool_id"):
        cognito_verifier(region="eu-west-1", user_pool_id="us-east-1_AbC123", client_id="c")
    with pytest.raises(ConfigurationError, match="user_pool_id"):
        cognito_verifier(region="eu-west-1", user_pool_id="no-underscore", client_id="c")
    verifier = cognito_verifier(region="eu-west-1", user_pool_id="eu-west-1_AbC123", client_id="c")
    assert verifier.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"


# --- JWKS fetching -----------------------------------------------------------------------


def test_verifier_refetches_the_jwks_once_for_an_unknown_kid(tmp_path: Path) -> None:
    old = LocalTokenIssuer(tmp_path / "old.pem", issuer=LOCAL_ISSUER)
    new = LocalTokenIssuer(tmp_path / "new.pem", issuer=LOCAL_ISSUER)
    stranger = LocalTokenIssuer(tmp_path / "stranger.pem", issuer=LOCAL_ISSUER)
    published = {"keys": old.jwks()["keys"]}
    fetches: list[float] = []
    now = [time.time()]

    def provider() -> Mapping[str, Any]:
        fetches.append(now[0])
        return published

    verifier = JwksTokenVerifier(
        issuer=LOCAL_ISSUER,
        client_id=old.client_id,
        jwks_provider=provider,
        refetch_cooldown_seconds=60,
        clock=lambda: now[0],
    )
    assert verifier.verify(old.issue("u1")).subject == "u1"
    assert len(fetches) == 1

    published["keys"] = old.jwks()["keys"] + new.jwks()["keys"]  # the issuer rotates its key
    _assert_rejected(verifier, new.issue("u2"), InvalidTokenReason.UNKNOWN_KEY)
    assert len(fetches) == 1  # fetched moments ago: an unknown kid does not refetch yet

    now[0] += 61
    assert verifier.verify(new.issue("u2")).subject == "u2"
    assert len(fetches) == 2
    _assert_rejected(verifier, stranger.issue("u3"), InvalidTokenReason.UNKNOWN_KEY)
    _assert_rejected(verifier, stranger.issue("u3"), InvalidTokenReason.UNKNOWN_KEY)
    assert len(fetches) == 2  # forged kids cannot make the verifier hammer the issuer
    assert verifier.verify(old.issue("u1")).subject == "u1"


def test_http_jwks_provider_serves_keys_and_reports_an_unreachable_issuer(tmp_path: Path) -> None:
    issuer = LocalTokenIssuer(tmp_path / "k.pem", issuer=LOCAL_ISSUER)
    jwks_url = f"{LOCAL_ISSUER}/.well-known/jwks.json"
    up = [True]

    def handler(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == jwks_url
        return httpx.Response(200, json=issuer.jwks()) if up[0] else httpx.Response(502)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    verifier = JwksTokenVerifier(
        issuer=LOCAL_ISSUER,
        client_id=issuer.client_id,
        jwks_provider=http_jwks_provider(jwks_url, client=client),
    )
    assert verifier.verify(issuer.issue("u1", groups=["ops"])).groups == frozenset({"ops"})

    up[0] = False
    status = verifier.check()
    assert not status.ok
    assert jwks_url in status.detail
    cold = JwksTokenVerifier(
        issuer=LOCAL_ISSUER,
        client_id=issuer.client_id,
        jwks_provider=http_jwks_provider(jwks_url, client=client),
    )
    with pytest.raises(JwksUnavailableError) as caught:
        cold.verify(issuer.issue("u1"))
    assert caught.value.status == 503


def test_jwks_without_an_rs256_signing_key_is_refused() -> None:
    verifier = JwksTokenVerifier(
        issuer=LOCAL_ISSUER,
        client_id="c",
        jwks_provider=lambda: {"keys": [{"kty": "oct", "kid": "k", "k": "c2VjcmV0"}]},
    )
    status = verifier.check()
    assert not status.ok
    assert "no RS256 signing key" in status.detail


# --- the local issuer's key ----------------------------------------------------------------


def test_signing_key_persists_across_issuer_instances(tmp_path: Path) -> None:
    key_path = tmp_path / "keys" / "signing.pem"
    first = LocalTokenIssuer(key_path, issuer=LOCAL_ISSUER)
    token = first.issue("u1", email="u1@example.com")

    restarted = LocalTokenIssuer(key_path, issuer=LOCAL_ISSUER)

    assert restarted.kid == first.kid
    assert restarted.verifier().verify(token).email == "u1@example.com"
    assert key_path.stat().st_mode & 0o777 == 0o600
    assert sorted(path.name for path in key_path.parent.iterdir()) == ["signing.pem"]


def test_concurrent_starts_create_exactly_one_signing_key(tmp_path: Path) -> None:
    key_path = tmp_path / "shared" / "signing.pem"
    starting_line = threading.Barrier(6)
    kids: list[str] = []

    def start() -> None:
        starting_line.wait()
        kids.append(load_or_create_signing_key(key_path).kid)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(kids) == 6
    assert set(kids) == {load_or_create_signing_key(key_path).kid}
    assert sorted(path.name for path in key_path.parent.iterdir()) == ["signing.pem"]


def test_signing_key_readable_by_other_users_is_refused(tmp_path: Path) -> None:
    key_path = tmp_path / "signing.pem"
    load_or_create_signing_key(key_path)
    key_path.chmod(0o644)

    with pytest.raises(SigningKeyError, match="chmod 600"):
        LocalTokenIssuer(key_path, issuer=LOCAL_ISSUER)


def test_signing_key_file_that_is_not_a_key_is_refused(tmp_path: Path) -> None:
    key_path = tmp_path / "signing.pem"
    key_path.write_text("not a key")
    key_path.chmod(0o600)

    with pytest.raises(SigningKeyError, match=str(key_path)):
        load_or_create_signing_key(key_path)


def test_kid_is_the_rfc7638_thumbprint_of_the_public_key(tmp_path: Path) -> None:
    # The example key and thumbprint of RFC 7638 section 3.1.
    rfc_key = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6"
        "tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65Y"
        "GjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
        "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert jwk_thumbprint(rfc_key) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

    issuer = LocalTokenIssuer(tmp_path / "k.pem", issuer=LOCAL_ISSUER)
    (published,) = issuer.jwks()["keys"]
    assert published["kid"] == issuer.kid == jwk_thumbprint(published)
    assert {"kty", "n", "e", "kid", "alg", "use"} == set(published)  # public members only
    assert jwt.get_unverified_header(issuer.issue("u"))["kid"] == issuer.kid


@pytest.mark.parametrize("ttl_seconds", [0, -5, 24 * 3600 + 1])
def test_issue_refuses_a_lifetime_out_of_range(tmp_path: Path, ttl_seconds: int) -> None:
    issuer = LocalTokenIssuer(tmp_path / "k.pem", issuer=LOCAL_ISSUER)
    with pytest.raises(InvalidInputError, match="ttl_seconds"):
        issuer.issue("u", ttl_seconds=ttl_seconds)


def test_issue_uses_the_issuers_clock_and_ttl(tmp_path: Path) -> None:
    issuer = LocalTokenIssuer(
        tmp_path / "k.pem", issuer=LOCAL_ISSUER, default_ttl_seconds=600, clock=lambda: 1_000_000
    )
    claims = _claims(issuer.issue("u", token_use="access"))

    assert (claims["iat"], claims["auth_time"], claims["exp"]) == (1_000_000, 1_000_000, 1_000_600)
    assert claims["token_use"] == "access"
    _assert_rejected(issuer.verifier(), issuer.issue("u"), InvalidTokenReason.EXPIRED)


# --- FastAPI router and dependencies --------------------------------------------------------


@pytest.fixture
def app_issuer(tmp_path: Path) -> LocalTokenIssuer:
    return LocalTokenIssuer(tmp_path / "k.pem", issuer="http://testserver/auth")


@pytest.fixture
def client(app_issuer: LocalTokenIssuer) -> TestClient:
    app = FastAPI()

    @app.exception_handler(AppError)
    async def problem(request: Request, exc: AppError) -> JSONResponse:
        headers = (
            {"WWW-Authenticate": exc.www_authenticate}
            if isinstance(exc, InvalidTokenError)
            else None
        )
        body = {"code": exc.code, "detail": exc.detail, **exc.extra}
        return JSONResponse(body, status_code=exc.status, headers=headers)

    app.include_router(
        issuer_router(app_issuer, password_check=lambda user, password: password == PASSWORD),
        prefix="/auth",
    )
    current = bearer_principal(app_issuer.verifier())
    admin = require_group(current, "admin")

    @app.get("/me")
    def me(principal: Principal = Depends(current)) -> dict[str, Any]:  # noqa: B008
        return {"sub": principal.subject, "organization": principal.organization}

    @app.get("/admin")
    def admin_only(principal: Principal = Depends(admin)) -> dict[str, str]:  # noqa: B008
        return {"sub": principal.subject}

    return TestClient(app)


def _login(client: TestClient, **form: str) -> httpx.Response:
    response: httpx.Response = client.post(
        "/auth/token", data={"username": "ana@example.com", "password": PASSWORD, **form}
    )
    return response


def test_token_endpoint_issues_tokens_for_the_requested_roles(
    client: TestClient, app_issuer: LocalTokenIssuer
) -> None:
    response = _login(client, groups="admin, ops", organization_id="org-7")

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    verifier = app_issuer.verifier()
    principal = verifier.verify(body["id_token"])
    assert principal.groups == frozenset({"admin", "ops"})
    assert principal.organization == "org-7"
    assert principal.email == "ana@example.com"
    assert principal.subject == app_issuer.subject_for("ana@example.com")
    assert verifier.verify(body["access_token"]).token_use == "access"


def test_token_endpoint_refuses_a_wrong_password(client: TestClient) -> None:
    response = _login(client, password="guess")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert "token" not in response.json()


def test_token_endpoint_names_the_missing_fields(client: TestClient) -> None:
    response = client.post("/auth/token", data={"username": "ana"})

    assert response.status_code == 422
    assert "password" in response.json()["detail"]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (json.dumps({"username": "ana", "password": PASSWORD}), "application/json"),
        (
            f"username=ana&password={PASSWORD}&grant_type=client_credentials",
            "application/x-www-form-urlencoded",
        ),
        (f"username=ana&password={PASSWORD}&password=x", "application/x-www-form-urlencoded"),
    ],
    ids=["json-body", "other-grant-type", "repeated-field"],
)
def test_token_endpoint_refuses_a_request_that_is_not_a_password_grant(
    client: TestClient, content: str, content_type: str
) -> None:
    response = client.post("/auth/token", content=content, headers={"content-type": content_type})

    assert response.status_code == 400
    assert "id_token" not in response.json()


def test_well_known_endpoints_describe_the_issuer(
    client: TestClient, app_issuer: LocalTokenIssuer
) -> None:
    configuration = client.get("/auth/.well-known/openid-configuration").json()

    assert configuration["issuer"] == app_issuer.issuer
    assert configuration["id_token_signing_alg_values_supported"] == ["RS256"]
    assert configuration["jwks_uri"] == "http://testserver/auth/.well-known/jwks.json"
    jwks = client.get(configuration["jwks_uri"])
    assert jwks.status_code == 200
    assert jwks.json() == app_issuer.jwks()


def test_bearer_dependency_returns_the_principal_of_a_valid_token(
    client: TestClient, app_issuer: LocalTokenIssuer
) -> None:
    token = app_issuer.issue("sub-1", attributes={"organization_id": "org-3"})

    response = client.get("/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert response.json() == {"sub": "sub-1", "organization": "org-3"}


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "unauthenticated"),
        ("Basic YTpi", "unauthenticated"),
        ("Bearer a.b.c", "invalid-token"),
    ],
    ids=["missing", "basic-scheme", "invalid-token"],
)
def test_bearer_dependency_refuses_a_request_without_a_valid_token(
    client: TestClient, authorization: str | None, code: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = client.get("/me", headers=headers)

    assert response.status_code == 401
    assert response.json()["code"] == code
    if code == "invalid-token":
        assert response.json()["reason"] == "malformed"
        assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_require_group_refuses_a_principal_outside_the_group(
    client: TestClient, app_issuer: LocalTokenIssuer
) -> None:
    viewer = app_issuer.issue("sub-v", groups=["viewer"])
    admin = app_issuer.issue("sub-a", groups=["viewer", "admin"])

    refused = client.get("/admin", headers={"Authorization": f"Bearer {viewer}"})
    allowed = client.get("/admin", headers={"Authorization": f"Bearer {admin}"})

    assert refused.status_code == 403
    assert refused.json()["group"] == "admin"
    assert allowed.status_code == 200
    assert allowed.json() == {"sub": "sub-a"}
