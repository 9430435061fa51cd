"""Reads the bearer token of each request and puts the caller on ``connection.user``.

A request without credentials passes through as anonymous (guards then decide); a request
with a bad, expired or revoked credential is refused with 401 here. The credential is a
login's JWT or an API token (``dlv_...``), told apart by that prefix.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from dlv.auth._api_tokens import TOKENS, RejectedToken, is_api_token
from dlv.auth._guards import LOGIN_HINT, Principal
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
        try:
            claims = read_access_token(token, state.settings.secret_key, previous_secret_keys(state.settings))
        except InvalidToken as exc:
            raise NotAuthorizedException(f"Not logged in: {exc}.") from None
        session = state.alchemy.provide_session(state, connection.scope)
        user = await session.get(User, claims.user_id)
        if user is None or not user.is_active:
            raise NotAuthorizedException("Not logged in: this account no longer exists or is deactivated.")
        if claims.credential_version != credential_version(user.password_hash):
            raise NotAuthorizedException("Not logged in: the password was changed after this login; log in again.")
        return AuthenticationResult(user=Principal(id=str(user.id), name=user.username, role=user.role), auth=token)
