"""Reads the bearer token of each request and puts the caller on ``connection.user``.

A request without credentials passes through as anonymous (guards then decide); a request
with a bad, expired or revoked credential is refused with 401 here. The credential is a
login's JWT or an API token (``dlv_...``), told apart by that prefix, or, with single
sign-on configured, an ID or access token of the OpenID provider (told apart from DLV's
HS256 logins by its asymmetric signature algorithm).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy import event as orm_event
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.auth._api_tokens import TOKENS, RejectedToken, is_api_token
from dlv.auth._guards import LOGIN_HINT, Principal
from dlv.auth._oidc_provider import is_provider_token, provider_principal
from dlv.auth._tokens import InvalidToken, credential_version, read_access_token
from dlv.config import previous_secret_keys
from dlv.db.models import User


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        header = connection.headers.get("authorization")
        if not header:
            return AuthenticationResult(user=None, auth=None)
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise NotAuthorizedException(f"The Authorization header must be 'Bearer <token>'. {LOGIN_HINT}")
        token = credentials.strip()
        state = connection.app.state
        if is_api_token(token):
            try:
                api_token = await TOKENS.authenticate(state.alchemy.get_session, state.settings.database_url, token)
            except RejectedToken as exc:
                raise NotAuthorizedException(str(exc)) from None
            principal = Principal(id=str(api_token.id), name=api_token.name, role=api_token.role, kind="token")
            return AuthenticationResult(user=principal, auth=token)
        if is_provider_token(token, state.oidc):
            return AuthenticationResult(user=await provider_principal(state.oidc, state.settings, token), auth=token)
        try:
            claims = read_access_token(token, state.settings.secret_key, previous_secret_keys(state.settings))
        except InvalidToken as exc:
            raise NotAuthorizedException(f"Not logged in: {exc}.") from None
        known = await USERS.read(state.alchemy.get_session, state.settings.database_url, claims.user_id)
        if known is None:
            raise NotAuthorizedException("Not logged in: this account no longer exists or is deactivated.")
        if claims.credential_version != known.credential_version:
            raise NotAuthorizedException("Not logged in: the password was changed after this login; log in again.")
        return AuthenticationResult(user=known.principal, auth=token)


@dataclass(frozen=True)
class KnownUser:
    principal: Principal
    credential_version: str


class UserCache:
    """Logged-in users checked recently, per process and database (as ``TokenCache`` does for
    API tokens): every request of a login would otherwise read its user, on the request's
    own session, which then holds a pooled connection for the whole request, waiting ones
    included. User writes in this process clear the cache at once (ORM events); a password
    change, deactivation or deletion made by another process is seen within ``TTL`` seconds."""

    TTL = 5.0

    def __init__(self) -> None:
        self._known: dict[tuple[str, UUID], tuple[float, KnownUser | None]] = {}
        for change in ("after_insert", "after_update", "after_delete"):
            orm_event.listen(User, change, self.clear)

    def clear(self, *_: Any) -> None:
        self._known.clear()

    async def read(self, sessions: Callable[[], AbstractAsyncContextManager[AsyncSession]], database: str, user_id: UUID) -> KnownUser | None:
        """The active user with this id (None: no such user, or deactivated)."""
        key = (database, user_id)
        loaded_at, known = self._known.get(key, (float("-inf"), None))
        if time.monotonic() - loaded_at > self.TTL:
            async with sessions() as session:
                user = await session.get(User, user_id)
            known = None
            if user is not None and user.is_active:
                known = KnownUser(Principal(id=str(user.id), name=user.username, role=user.role), credential_version(user.password_hash))
            self._known[key] = (time.monotonic(), known)
        return known


USERS = UserCache()
