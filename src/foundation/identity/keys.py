"""The local issuer's RSA signing key, kept as a PEM file so tokens survive restarts."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from foundation.identity.exceptions import SigningKeyError

KEY_SIZE_BITS = 2048
SIGNING_ALGORITHM = "RS256"


def base64url(data: bytes) -> str:
    """Base64url without padding, as JOSE encodes every binary value."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _base64url_uint(value: int) -> str:
    return base64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint of an RSA JWK: its required members, sorted, no spaces."""
    if jwk.get("kty") != "RSA":
        raise ValueError(f"jwk 'kty' must be 'RSA', got {jwk.get('kty')!r}")
    required = {name: jwk[name] for name in ("e", "kty", "n")}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True)
    return base64url(hashlib.sha256(canonical.encode("utf-8")).digest())


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An RSA private key and its key id, the RFC 7638 thumbprint of its public half."""

    private_key: rsa.RSAPrivateKey
    kid: str

    @classmethod
    def from_private_key(cls, private_key: rsa.RSAPrivateKey) -> SigningKey:
        return cls(private_key, jwk_thumbprint(_rsa_public_jwk(private_key.public_key())))

    def public_jwk(self) -> dict[str, str]:
        return {
            **_rsa_public_jwk(self.private_key.public_key()),
            "kid": self.kid,
            "alg": SIGNING_ALGORITHM,
            "use": "sig",
        }

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [self.public_jwk()]}


def _rsa_public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {"kty": "RSA", "n": _base64url_uint(numbers.n), "e": _base64url_uint(numbers.e)}


def load_or_create_signing_key(path: Path) -> SigningKey:
    """Load the key at ``path``, creating it (mode 0600) if there is none yet.

    Safe when several processes start at once: all of them end up with the same key.
    """
    if not path.exists():
        _create_key_file(path)
    return _load_key_file(path)


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE_BITS)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # mkstemp creates the file with mode 0600. Hard-linking it into place fails if a key is
    # already there, so the first process to finish wins and no key is ever overwritten
    # (os.replace would let a late process swap the key under one that already loaded it).
    descriptor, temporary_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    temporary = Path(temporary_name)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            path.hardlink_to(temporary)
    finally:
        temporary.unlink()


def _load_key_file(path: Path) -> SigningKey:
    if os.name == "posix" and path.stat().st_mode & 0o077:
        mode = path.stat().st_mode & 0o777
        raise SigningKeyError(
            f"signing key {path} is readable by other users (mode {mode:#o}); chmod 600 it"
        )
    try:
        private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"signing key {path} is not an unencrypted PEM private key") from exc
    if not isinstance(private_key, rsa.RSAPrivateKey) or private_key.key_size < KEY_SIZE_BITS:
        raise SigningKeyError(f"signing key {path} must be an RSA key of >= {KEY_SIZE_BITS} bits")
    return SigningKey.from_private_key(private_key)


__all__ = [
    "KEY_SIZE_BITS",
    "SIGNING_ALGORITHM",
    "SigningKey",
    "base64url",
    "jwk_thumbprint",
    "load_or_create_signing_key",
]
