"""Authentication before any body is decoded: :class:`BearerGate` (pure ASGI, before routing)."""

from __future__ import annotations

from backend.auth.service import SIGN_IN_FIRST, Unauthorized, token_claims
from backend.config import Settings
from backend.security.asgi import send_problem

#: the API's only routes that take a body without a signed-in user: sign-in and the links sent in
#: messages, whose token is in the path. A new public route with a body must be added here
#: (tests/api/test_security.py checks the list against the OpenAPI document).
PUBLIC_WITH_BODY = ("/api/auth/token", "/api/ack/", "/api/transfer/")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class BearerGate:
    """A request with a body (POST, PUT, PATCH, DELETE) to ``/api/…`` needs a bearer token signed
    by this service and not expired, checked before the body is read; otherwise 401 at once.

    FastAPI reads and parses a request's body before it resolves the route's dependencies, so an
    anonymous 200 MB JSON body to an operator's route used to be decoded in full (seconds,
    gigabytes) before its 401. The gate checks the signature only (no database): the route's own
    dependencies still check the user, whether they are active, and their role. Deny by default:
    only the routes in ``public`` take a body from anyone; everything outside ``/api/`` (the page,
    the acknowledgement form at ``/ack/{token}``) has no body worth guarding beyond the size limit.
    """

    def __init__(self, app, settings: Settings, public: tuple[str, ...] = PUBLIC_WITH_BODY):
        self.app = app
        self.settings = settings
        self.public = public

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if (
            scope["method"] in SAFE_METHODS  # no route reads a body of these (the size limit still holds)
            or not path.startswith("/api/")
            or path.startswith(self.public)
        ):
            await self.app(scope, receive, send)
            return
        has_body = False
        token = b""
        for name, value in scope["headers"]:
            if name == b"content-length":
                has_body = value.strip() not in (b"0", b"")
            elif name == b"transfer-encoding":
                has_body = True
            elif name == b"authorization":
                token = value
        if not has_body:
            await self.app(scope, receive, send)
            return
        scheme, _, credentials = token.decode("latin-1").partition(" ")
        detail = SIGN_IN_FIRST
        if scheme.lower() == "bearer" and credentials.strip():
            try:
                token_claims(self.settings, credentials.strip())
            except Unauthorized as exc:
                detail = exc.detail
            else:
                await self.app(scope, receive, send)
                return
        await send_problem(
            send,
            401,
            "Unauthorized",
            detail,
            path,
            headers=[(b"www-authenticate", b"Bearer"), (b"connection", b"close")],
        )
