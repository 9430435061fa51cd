"""Puts the caller of each request on its database session, so its writes are audited as theirs.

Runs after authentication (it reads ``connection.user``). Anonymous requests write nothing
worth an actor (but single sign-on's callback, which creates accounts and sets roles), and OpenLineage ingestion is excluded: its raw event log is its record
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
from dlv.auth import OIDC_CALLBACK_PATH, Principal

OPENLINEAGE_INGEST = "/api/v1/lineage"
# A single sign-on callback has no caller yet, but may create an account or change a role.
SIGN_ON = Actor(kind="system", name="single sign-on")


class AuditActorMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        principal = scope.get("user")
        actor = None
        if isinstance(principal, Principal) and scope["path"].rstrip("/") != OPENLINEAGE_INGEST:
            actor = Actor(kind=principal.kind, name=principal.name, id=principal.id)
        elif scope["path"] == OIDC_CALLBACK_PATH:
            actor = SIGN_ON
        if actor is not None:
            app: Litestar = scope["litestar_app"]
            session = app.state.alchemy.provide_session(app.state, scope)
            set_actor(session, actor, structlog.contextvars.get_contextvars().get("request_id"))
        await next_app(scope, receive, send)
