"""Web layer shared by every service: app factory, problem+json errors, middleware, health.

Domain code never imports this package; it raises :mod:`foundation.errors`
and the handlers here decide the HTTP response.
"""

from foundation.web.app import create_app
from foundation.web.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers, problem_response

__all__ = ["PROBLEM_MEDIA_TYPE", "create_app", "install_problem_handlers", "problem_response"]
