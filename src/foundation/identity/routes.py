"""FastAPI pieces: the local issuer's endpoints and bearer-token dependencies.

Mount :func:`issuer_router` in development only: anyone who passes
``password_check`` can mint tokens with any groups and organization.
"""

# No `from __future__ import annotations`: FastAPI must evaluate the dependency annotations,
# and require_group's names a closure variable that a string annotation could not resolve.

import re
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from foundation.errors import (
    AuthenticationError,
    BadRequestError,
    FieldIssue,
    InvalidInputError,
    PermissionDeniedError,
)
from foundation.identity.base import ORGANIZATION_CLAIM, Principal, TokenVerifier
from foundation.identity.keys import SIGNING_ALGORITHM
from foundation.identity.local_issuer import LocalTokenIssuer

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
_GROUP_SEPARATORS = re.compile(r"[,\s]+")


async def _read_form(request: Request) -> dict[str, str]:
    # RFC 6749 token requests are always urlencoded, so no multipart parser is needed.
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM_MEDIA_TYPE:
        raise BadRequestError(f"POST /token takes a {FORM_MEDIA_TYPE} body")
    try:
        fields = parse_qs((await request.body()).decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequestError("the POST /token body is not valid urlencoded UTF-8") from exc
    repeated = sorted(name for name, values in fields.items() if len(values) > 1)
    if repeated:
        raise BadRequestError(f"form fields may appear once each: {', '.join(repeated)}")
    return {name: values[0] for name, values in fields.items()}


def issuer_router(
    issuer: LocalTokenIssuer, *, password_check: Callable[[str, str], bool]
) -> APIRouter:
    """``GET /.well-known/jwks.json``, ``GET /.well-known/openid-configuration``, ``POST /token``.

    ``POST /token`` is the OAuth2 password grant (``username``, ``password``) plus two
    developer fields, ``groups`` (comma- or space-separated) and ``organization_id``.
    ``password_check(username, password)`` runs in a worker thread, so it may be slow.
    """
    router = APIRouter(tags=["identity"])

    @router.get("/.well-known/jwks.json")
    def jwks(response: Response) -> dict[str, Any]:
        response.headers["Cache-Control"] = "public, max-age=300"
        return issuer.jwks()

    @router.get("/.well-known/openid-configuration")
    def openid_configuration() -> dict[str, Any]:
        return {
            "issuer": issuer.issuer,
            "jwks_uri": f"{issuer.issuer}/.well-known/jwks.json",
            "token_endpoint": f"{issuer.issuer}/token",
            "grant_types_supported": ["password"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [SIGNING_ALGORITHM],
            "token_endpoint_auth_methods_supported": ["none"],
            "claims_supported": [
                "sub",
                "email",
                "email_verified",
                "cognito:groups",
                "cognito:username",
                ORGANIZATION_CLAIM,
            ],
        }

    @router.post("/token")
    async def token(request: Request, response: Response) -> dict[str, Any]:
        form = await _read_form(request)
        if form.get("grant_type", "password") != "password":
            raise BadRequestError("form field 'grant_type' must be 'password'")
        missing = [name for name in ("username", "password") if not form.get(name)]
        if missing:
            raise InvalidInputError(
                f"form fields required: {', '.join(missing)}",
                issues=[FieldIssue(name, "required") for name in missing],
            )
        username, password = form["username"], form["password"]
        if not await run_in_threadpool(password_check, username, password):
            raise AuthenticationError("username or password is wrong")
        organization = form.get("organization_id")
        tokens = issuer.issue_pair(
            issuer.subject_for(username),
            username=username,
            email=username if "@" in username else None,
            groups=[group for group in _GROUP_SEPARATORS.split(form.get("groups", "")) if group],
            attributes={"organization_id": organization} if organization else None,
        )
        response.headers["Cache-Control"] = "no-store"  # RFC 6749 section 5.1
        return {
            "id_token": tokens.id_token,
            "access_token": tokens.access_token,
            "token_type": tokens.token_type,
            "expires_in": tokens.expires_in,
        }

    return router


def bearer_principal(verifier: TokenVerifier) -> Callable[[Request], Principal]:
    """A dependency returning the :class:`Principal` of the request's bearer token.

    Raises ``AuthenticationError`` when the header is missing or not Bearer, and
    ``InvalidTokenError`` (whose ``www_authenticate`` is the RFC 6750 header value)
    when the token is refused.
    """

    def current_principal(request: Request) -> Principal:
        header = request.headers.get("authorization")
        if not header:
            raise AuthenticationError("missing header 'Authorization: Bearer <token>'")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("header 'Authorization' must be 'Bearer <token>'")
        return verifier.verify(token.strip())

    return current_principal


def require_group(
    principal: Callable[..., Principal], name: str
) -> Callable[[Principal], Principal]:
    """A dependency that passes on the principal only if it belongs to group ``name``."""

    def member_principal(current: Annotated[Principal, Depends(principal)]) -> Principal:
        if not current.has_group(name):
            raise PermissionDeniedError(f"this needs membership of group '{name}'", group=name)
        return current

    return member_principal


__all__ = ["bearer_principal", "issuer_router", "require_group"]
