"""Pure ASGI middleware at the service's door: request-body limits and security headers.

Pure ASGI (no per-request task, no body copy, no FastAPI): they run before routing, before any
body is read or decoded, on every request including the hot ones (叫应, tiles).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable

PROBLEM_JSON = b"application/problem+json"


async def send_problem(send, status: int, title: str, detail: str, instance: str, headers=()) -> None:
    """An RFC 9457 problem+json answer, written straight to the ASGI ``send``."""
    body = json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": instance},
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _mb(n: int) -> str:
    return f"{n / 1_048_576:g} MB" if n >= 1_048_576 else f"{n:,} bytes"


class BodyLimit:
    """Refuse request bodies over a limit, before reading them: 413 problem+json.

    ``Content-Length`` is checked before the application runs (nothing of the body is read); a
    body without one (chunked) is counted as it streams, and the application is cut off — it is
    told the client went away — as soon as it passes the limit. The limit is ``default_bytes``
    (JSON and forms), or the larger one of the first ``(prefix, bytes)`` in ``routes`` whose
    prefix starts the path (uploads, imports). The 413 closes the connection (the rest of an
    oversized body is not drained).
    """

    def __init__(self, app, default_bytes: int, routes: Iterable[tuple[str, int]] = ()):
        self.app = app
        self.default_bytes = default_bytes
        self.routes = tuple(routes)

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.routes:
            if path.startswith(prefix):
                return limit
        return self.default_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = chunked = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = value
        if length is None and chunked is None:  # no body
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = self.limit_for(path)
        if length is not None:
            try:
                size = int(length)
            except ValueError:
                await send_problem(send, 400, "Bad Request", "Content-Length is not a number", path)
                return
            if size > limit:
                await self._too_large(send, path, limit)
                return
            # the server holds the client to its Content-Length: the body cannot exceed it
            await self.app(scope, receive, send)
            return
        await self._counted(scope, receive, send, path, limit)

    async def _counted(self, scope, receive, send, path: str, limit: int) -> None:
        seen = 0
        over = False

        async def counting_receive():
            nonlocal seen, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True  # the application hears that the client went away
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            if not over:
                await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not over:
                raise
        if over:
            await self._too_large(send, path, limit)

    @staticmethod
    async def _too_large(send, path: str, limit: int) -> None:
        await send_problem(
            send,
            413,
            "Content Too Large",
            f"the request body is larger than {_mb(limit)}, the limit for {path}",
            path,
            headers=[(b"connection", b"close")],
        )


# The page is offline and build-free: every script, style, font and tile comes from this origin.
# MapLibre starts its workers from blob: URLs and decodes images through blob:/data: URLs; the
# page's icon and MapLibre's control icons are data: URLs.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: FastAPI's interactive API docs (/docs, /redoc) are an inline script loading Swagger UI / ReDoc
#: from a public CDN: they get their own, looser policy (docs/security.md); nothing else does.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https:; style-src 'self' 'unsafe-inline' https:; "
    "img-src 'self' data: https:; font-src 'self' https:; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")


def csp_allowing_style(css: str) -> str:
    """The strict policy, but for one inline stylesheet allowed by its SHA-256 (a self-contained
    page that is printed or saved, e.g. the transfer sheet); the route sets it as its own header."""
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return CSP.replace("style-src 'self'", f"style-src 'self' 'sha256-{digest}'")


class SecurityHeaders:
    """Security headers on every response (page, API, tiles, errors), unless a route set its own:
    a strict Content-Security-Policy, ``X-Content-Type-Options: nosniff``, ``Referrer-Policy:
    no-referrer`` (acknowledgement links carry their token: it must not leak to other sites),
    ``X-Frame-Options: DENY`` beside ``frame-ancestors 'none'``; and ``Cache-Control: no-store``
    on answers to signed-in requests that say nothing about caching (phone numbers and reports
    stay out of shared browser caches)."""

    def __init__(self, app, csp: str = CSP, docs_csp: str = DOCS_CSP):
        self.app = app
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        self.headers = [(b"content-security-policy", csp.encode()), *common]
        self.docs_headers = [(b"content-security-policy", docs_csp.encode()), *common]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        extra = self.docs_headers if path.startswith(DOCS_PATHS) else self.headers
        signed_in = any(name == b"authorization" for name, _ in scope["headers"])

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in extra if h[0] not in present)
                if signed_in and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
