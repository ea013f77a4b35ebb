"""Connector credentials from the secrets port, with errors that say how to set them."""

from __future__ import annotations

import json

from concert.ingest.connectors.exceptions import MissingCredentialsError
from foundation.secrets import SecretNotFoundError, SecretStore, secret_env_var


def read_credentials(secrets: SecretStore, name: str, fields: tuple[str, ...]) -> dict[str, str]:
    """The non-blank string ``fields`` of the JSON object in secret ``name``."""
    example = json.dumps(dict.fromkeys(fields, "..."))
    how = (
        f"set {secret_env_var(name)}='{example}' locally, "
        f"or create secret {name!r} in AWS Secrets Manager"
    )
    try:
        data = secrets.get_json(name)
    except SecretNotFoundError:
        raise MissingCredentialsError(f"secret {name!r} is not set: {how}", secret=name) from None
    missing = [key for key in fields if not isinstance(data.get(key), str) or not data[key].strip()]
    if missing:
        raise MissingCredentialsError(
            f"secret {name!r} lacks {', '.join(missing)}: {how}", secret=name, fields=missing
        )
    return {key: str(data[key]).strip() for key in fields}


__all__ = ["read_credentials"]
