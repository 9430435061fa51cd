"""Per request: a request id, one access log line and the latency histogram.

It wraps the app's whole ASGI handler rather than sitting in the route middleware stack,
so it sees every answer with its final status — a 401 from the auth middleware, a 404 for
an unknown path, a 500 turned into a problem document — and its X-Request-ID header goes
on all of them.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from dlv.observability._metrics import Metrics

HEADER = "x-request-id"
# An incoming id is kept when it is a plain token (what proxies and clients generate);
# anything else is replaced, so a log line never carries attacker-chosen text. At most
# 100 characters: the audit log's request_id column.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,100}")
# The route label of a request that matched no route: one series, not one per probed path.
UNMATCHED = "<unmatched>"

access_log = structlog.get_logger("dlv.access")


def request_id_from(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if SANE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def _principal(scope: Scope) -> dict[str, str | None]:
    """Who called, as kind and id only (never a name or a credential)."""
    user = scope.get("user")
    if user is None:
        return {"principal_kind": "anonymous", "principal_id": None}
    return {"principal_kind": getattr(user, "kind", "user"), "principal_id": getattr(user, "id", None)}


class RequestObservability:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        status = 500  # what the client sees if the app fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)[HEADER] = request_id
            await send(message)

        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                elapsed = time.perf_counter() - started
                route = scope.get("path_template") or UNMATCHED
                method = scope["method"]
                self.metrics.request_duration.labels(method=method, route=route, status=f"{status // 100}xx").observe(elapsed)
                access_log.info(
                    "request",
                    method=method,
                    route=route,
                    path=scope["path"],
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                    **_principal(scope),
                )


def observe_requests(app: Any, metrics: Metrics) -> None:
    """Wrap ``app``'s ASGI handler (outside Litestar's own exception handling, like its
    OpenTelemetry plugin does) so every HTTP answer is timed, logged and given its id."""
    app.asgi_handler = RequestObservability(app.asgi_handler, metrics)
