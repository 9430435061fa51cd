"""Who may call what. Every route declares one of these guards (a test walks the route
table to make sure); the few anonymous routes are listed in ``PUBLIC_PATHS``."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from dlv.db.models import Role

# Reachable without credentials: logging in, liveness, Prometheus metrics (counts and timings
# only, see dlv.observability), the API description, the UI.
PUBLIC_PATHS = frozenset({"/api/auth/login", "/health", "/metrics", "/schema", "/"}) | frozenset(
    {"/api/auth/providers", "/api/auth/oidc/login", "/api/auth/oidc/callback", "/api/auth/oidc/logout"}  # single sign-on
)
PUBLIC_PREFIXES = ("/schema/", "/ui", "/assets/")
# API tokens only: may post OpenLineage events and nothing else.
INGEST_ROLE = "ingest"


class Principal(msgspec.Struct, frozen=True):
    """The caller of a request: a logged-in user (kind "user") or an API token (kind "token")."""

    id: str
    name: str
    role: str
    kind: str = "user"


# Guards are coroutines although they never wait: Litestar runs a plain function guard in a
# worker thread, a thread hop on every request.
LOGIN_HINT = "Log in at POST /api/auth/login and send the access token as 'Authorization: Bearer <token>'."


def _principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal = connection.scope.get("user")
    if not isinstance(principal, Principal):
        raise NotAuthorizedException(f"This endpoint needs you to be logged in. {LOGIN_HINT}")
    return principal


async def requires_viewer(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Read access: any logged-in user (admin or viewer)."""
    principal = _principal(connection)
    if principal.role not in (Role.ADMIN.value, Role.VIEWER.value):
        raise PermissionDeniedException(f"A token with role '{principal.role}' cannot read this; use a viewer or admin login.")


async def requires_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Writes and administration: admins only."""
    principal = _principal(connection)
    if principal.role != Role.ADMIN.value:
        raise PermissionDeniedException(
            f"This action needs the admin role and you are '{principal.role}'; ask an admin to do it or to change your role."
        )


async def requires_ingest(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Posting OpenLineage events: admins and ingest tokens."""
    principal = _principal(connection)
    if principal.role not in (Role.ADMIN.value, INGEST_ROLE):
        raise PermissionDeniedException(
            f"Sending lineage events needs an ingest (or admin) API token and you are '{principal.role}'; "
            "ask an admin for one (POST /api/tokens with role ingest, or `dlv token create NAME --role ingest`)."
        )


def is_public_path(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
