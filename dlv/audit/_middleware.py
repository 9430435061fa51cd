"""Puts the caller of each request on its database session, so its writes are audited as theirs.

Runs after authentication (it reads ``connection.user``). Anonymous requests write nothing
worth an actor, and OpenLineage ingestion is excluded: its raw event log is its record
(see dlv.audit._capture). The entries carry the request's id, the one its log lines and
its ``X-Request-ID`` answer header carry (dlv.observability binds it for the request).
"""

from __future__ import annotations

import structlog
from litestar import Litestar
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from dlv.audit._capture import Actor, set_actor
from dlv.auth import Principal

OPENLINEAGE_INGEST = "/api/v1/lineage"


class AuditActorMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        principal = scope.get("user")
        if isinstance(principal, Principal) and scope["path"].rstrip("/") != OPENLINEAGE_INGEST:
            app: Litestar = scope["litestar_app"]
            session = app.state.alchemy.provide_session(app.state, scope)
            request_id = structlog.contextvars.get_contextvars().get("request_id")
            set_actor(session, Actor(kind=principal.kind, name=principal.name, id=principal.id), request_id)
        await next_app(scope, receive, send)
