"""The AWS Lambda entry point: the twin's app behind an HTTP API (payload format 2.0).

Built once per container at import, from ``SKYLINE_*`` and ``SKYLINE_TWIN_*``
variables. Streamed answers are buffered by API Gateway and arrive whole.
"""

from __future__ import annotations

from foundation.settings import load_settings
from foundation.web.lambda_handler import lambda_handler_for
from twin_chat.api.main import create_app
from twin_chat.chat import SERVICE_NAME

handler = lambda_handler_for(create_app(load_settings()), service=SERVICE_NAME)

__all__ = ["handler"]
