"""Secrets port: read named secrets as text or JSON objects without ever echoing a value in
an error. :class:`LocalSecretStore` (the default) reads ``SKYLINE_SECRET_<NAME>`` environment
variables, then files in a directory; :class:`AwsSecretStore` reads AWS Secrets Manager with
a short in-process cache. Names are validated the same way for both, so a name that works
locally works on AWS and can never escape the local secrets directory.
"""

from foundation.secrets.aws import AwsSecretStore
from foundation.secrets.base import MAX_SECRET_NAME_LENGTH, SecretStore
from foundation.secrets.exceptions import (
    InvalidSecretNameError,
    MalformedSecretError,
    SecretNotFoundError,
    SecretsUnavailableError,
)
from foundation.secrets.local import SECRET_ENV_PREFIX, LocalSecretStore, secret_env_var

__all__ = [
    "MAX_SECRET_NAME_LENGTH",
    "SECRET_ENV_PREFIX",
    "AwsSecretStore",
    "InvalidSecretNameError",
    "LocalSecretStore",
    "MalformedSecretError",
    "SecretNotFoundError",
    "SecretStore",
    "SecretsUnavailableError",
    "secret_env_var",
]
