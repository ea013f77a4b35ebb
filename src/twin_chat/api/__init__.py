"""HTTP API of the twin: ``create_app(settings)`` serves the routes and the static page.

The same app runs under the local portal (mounted at ``/twin``) and in Lambda
behind an HTTP API (:mod:`twin_chat.api.lambda_handler`).
"""

__all__: list[str] = []
