"""Domain errors, raised by services and the CLI, each with the HTTP status it maps to.

Services raise these; :func:`backend.http.install_handlers` turns them into RFC 9457
``application/problem+json`` responses and the CLI turns them into one line on stderr.
"""

from __future__ import annotations

from http import HTTPStatus


class RiskmapError(Exception):
    """Base of our own errors. ``detail`` is a sentence a person can act on."""

    status = HTTPStatus.BAD_REQUEST
    title = "Bad request"

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class BadRequest(RiskmapError):
    status = HTTPStatus.BAD_REQUEST
    title = "Bad request"


class InvalidInput(RiskmapError):
    status = HTTPStatus.UNPROCESSABLE_ENTITY
    title = "Invalid input"


class NotFound(RiskmapError):
    status = HTTPStatus.NOT_FOUND
    title = "Not found"


class Conflict(RiskmapError):
    status = HTTPStatus.CONFLICT
    title = "Conflict"


class DatabaseUnavailable(RiskmapError):
    status = HTTPStatus.SERVICE_UNAVAILABLE
    title = "Database unavailable"


class TooManyRequests(RiskmapError):
    """Throttled (repeated failed sign-ins, guessed links): try again after ``retry_after_s``."""

    status = HTTPStatus.TOO_MANY_REQUESTS
    title = "Too many requests"

    def __init__(self, detail: str, retry_after_s: int):
        super().__init__(detail)
        self.retry_after_s = max(1, int(retry_after_s))
