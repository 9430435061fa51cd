"""What every HTTP exchange is held to: request body size, CORS and security headers.

Body size: Litestar refuses a body over the route's ``request_max_body_size`` (the app-wide
DLV_MAX_BODY_BYTES unless a layer sets more); the 413 names the limit and its setting.
CORS: closed unless DLV_CORS_ORIGINS lists origins. Security headers: added to every
response, errors and unknown paths included, without overriding what a route set itself
(the UI sets its own Content-Security-Policy, see dlv/ui.py).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.config.cors import CORSConfig
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import Message, Scope

from dlv.config import Settings, cors_origins
from dlv.lib.exceptions import problem

# Route option naming the setting behind a route's body limit, for the 413's message.
BODY_LIMIT_SETTING = "body_limit_setting"
DEFAULT_BODY_LIMIT_SETTING = "DLV_MAX_BODY_BYTES"

# JSON answers are never meant to render as a page: nothing may load from them or frame them.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
# The Swagger page at /schema loads its scripts and styles from DLV itself (dlv.api_docs);
# Litestar's page starts Swagger UI with an inline script and Swagger UI styles inline.
SCHEMA_CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)


def body_too_large_handler(request: Request[Any, Any, Any], exc: RequestEntityTooLarge) -> Response[dict[str, Any]]:
    limit = request.route_handler.resolve_request_max_body_size()
    setting = request.route_handler.opt.get(BODY_LIMIT_SETTING, DEFAULT_BODY_LIMIT_SETTING)
    return problem(
        413,
        f"The request body is larger than this endpoint accepts: at most {limit} bytes ({setting}). "
        "Send less per request (split it into several), or ask the operator to raise the limit.",
        limit=limit,
    )


def cors_config(settings: Settings) -> CORSConfig | None:
    """CORS for the origins in DLV_CORS_ORIGINS; None (no CORS headers at all) when it is empty.

    Credentials are bearer tokens sent by script, never cookies, so ``allow_credentials`` stays off.
    """
    origins = cors_origins(settings)
    if not origins:
        return None
    return CORSConfig(
        allow_origins=origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "Content-Encoding"],
        allow_credentials=False,
        max_age=600,
    )


def _content_security_policy(path: str) -> bytes:
    if path == "/schema" or path.startswith("/schema/"):
        return SCHEMA_CONTENT_SECURITY_POLICY.encode()
    return API_CONTENT_SECURITY_POLICY.encode()


async def add_security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: the headers every response carries unless it set them itself."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    present = {name.lower() for name, _ in headers}
    defaults = (*SECURITY_HEADERS, (b"content-security-policy", _content_security_policy(scope.get("path", ""))))
    headers.extend((name, value) for name, value in defaults if name not in present)
    message["headers"] = headers
