"""Single sign-on routes: which sign-ins the login page offers, and the OpenID Connect
authorization code flow (PKCE, state and nonce) that ends with DLV's own session token.

The state is kept twice: in the database (``oidc_logins``, consumed by the callback so a
replayed callback is refused) and in a short-lived HttpOnly cookie, so that a callback only
finishes in the browser that started the sign-in (a link started by someone else is refused).
The session token reaches the UI in the URL fragment of the final redirect, which browsers
never send to a server or write in access logs; the UI takes it only in the tab that clicked
"Sign in with ..." (frontend/src/auth/session.ts), so a link carrying someone else's token
cannot sign a victim in as someone else.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.auth._oidc_provider import CodeRefused, InvalidOidcToken, OidcProvider, ProviderUnavailable, refusal, role_for
from dlv.auth._oidc_users import LOGIN_LIFETIME, SignInRefused, sign_in_user, start_login, take_login
from dlv.auth._tokens import credential_version, issue_access_token
from dlv.config import Settings
from dlv.lib.exceptions import problem

STATE_COOKIE = "dlv_oidc_state"
COOKIE_PATH = "/api/auth/oidc"
CALLBACK_PATH = "/api/auth/oidc/callback"
LOGIN_PAGE = "/ui/login"


class OidcProviderInfo(msgspec.Struct):
    name: str
    login_url: str


class LoginProviders(msgspec.Struct):
    """What the login page offers: the password form (local_login) and/or single sign-on."""

    local_login: bool
    oidc: OidcProviderInfo | None = None


class SignInFailed(Exception):
    def __init__(self, status: int, detail: str, field: str = "state") -> None:
        super().__init__(detail)
        self.status, self.detail, self.field = status, detail, field


def _provider(request: Request[Any, Any, Any]) -> OidcProvider:
    provider = request.app.state.oidc
    if provider is None:
        raise SignInFailed(404, "Single sign-on is not configured on this DLV (DLV_OIDC_ISSUER is not set); sign in with a username and password.", "path")
    return provider


def _base_url(request: Request[Any, Any, Any], settings: Settings) -> str:
    """The address users reach DLV at: DLV_PUBLIC_URL behind a proxy, else the request's."""
    return (settings.public_url or str(request.base_url)).rstrip("/")


def _safe_next(next_path: str | None) -> str:
    """Only same-app paths, so a crafted ?next= cannot send users elsewhere (as the UI does)."""
    if next_path and next_path.startswith("/") and not next_path.startswith("//") and len(next_path) <= 500:
        return next_path
    return "/lineage"


def _failure(request: Request[Any, Any, Any], exc: SignInFailed) -> Response[Any]:
    """Browsers go back to the login page, which shows the message; API clients get a problem."""
    if "text/html" in request.headers.get("accept", ""):
        response: Response[Any] = Redirect(f"{LOGIN_PAGE}?{urlencode({'sso_error': exc.detail})}", status_code=303)
    else:
        response = problem(exc.status, exc.detail, field=(exc.field, "query"))
    response.delete_cookie(STATE_COOKIE, path=COOKIE_PATH)
    return response


async def _exchange(request: Request[Any, Any, Any], settings: Settings, provider: OidcProvider, session: AsyncSession) -> tuple[str, str]:
    """The callback's work: check state, exchange the code, validate the ID token, store the user.
    Returns the DLV session token and the page to go to."""
    params = request.query_params
    if params.get("error"):
        detail = params.get("error_description") or params["error"]
        raise SignInFailed(401, f"The identity provider refused the sign-in: {detail}", "error")
    state, code = params.get("state"), params.get("code")
    if not state or not code:
        raise SignInFailed(400, "The callback needs the code and state the identity provider sends; start the sign-in again.", "state" if not state else "code")
    if request.cookies.get(STATE_COOKIE) != state:
        raise SignInFailed(400, "This sign-in was started in another browser or its cookie expired; start the sign-in again from this browser.")
    try:
        login = await take_login(session, state)
        tokens = await provider.exchange_code(code, f"{_base_url(request, settings)}{CALLBACK_PATH}", login.code_verifier)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise SignInFailed(503, "The identity provider answered without an ID token; check that DLV_OIDC_SCOPES includes openid.", "code")
        claims = await provider.validate(id_token, nonce=login.nonce)
        role = role_for(claims, settings)
        if role is None:
            raise SignInFailed(403, refusal(settings), "groups")
        user = await sign_in_user(session, provider.issuer, claims, role)
    except SignInRefused as exc:
        raise SignInFailed(exc.status, str(exc)) from None
    except InvalidOidcToken as exc:
        raise SignInFailed(401, f"The identity provider's ID token was refused: {exc}.", "code") from None
    except CodeRefused as exc:
        raise SignInFailed(401, f"The identity provider refused the sign-in code ({exc}); start the sign-in again.", "code") from None
    except ProviderUnavailable as exc:
        raise SignInFailed(503, f"Single sign-on is unavailable: {exc}. Try again later.", "code") from None
    lifetime = timedelta(minutes=settings.token_lifetime_minutes)
    token = issue_access_token(user.id, settings.secret_key, lifetime, credential_version(user.password_hash))
    return token, login.next_path


class OidcController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @get("/providers", summary="The sign-in methods the login page offers")
    async def providers(self, settings: NamedDependency[Settings]) -> LoginProviders:
        info = OidcProviderInfo(settings.oidc_provider_name, "/api/auth/oidc/login") if settings.oidc_issuer else None
        return LoginProviders(local_login=settings.local_login, oidc=info)

    @get("/oidc/login", status_code=302, summary="Start single sign-on: redirects to the identity provider")
    async def oidc_login(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings], db_session: NamedDependency[AsyncSession]) -> Response[Any]:
        try:
            provider = _provider(request)
            login = await start_login(db_session, _safe_next(request.query_params.get("next")))
            try:
                url = await provider.authorization_url(f"{_base_url(request, settings)}{CALLBACK_PATH}", login.state, login.nonce, login.code_verifier)
            except ProviderUnavailable as exc:
                raise SignInFailed(503, f"Single sign-on is unavailable: {exc}. Try again later.", "path") from None
        except SignInFailed as exc:
            return _failure(request, exc)
        response = Redirect(url, status_code=302)
        secure = _base_url(request, settings).startswith("https://")
        response.set_cookie(
            Cookie(key=STATE_COOKIE, value=login.state, path=COOKIE_PATH, max_age=int(LOGIN_LIFETIME.total_seconds()), httponly=True, secure=secure, samesite="lax")
        )
        return response

    @get("/oidc/callback", status_code=303, summary="Where the identity provider sends the browser back to")
    async def oidc_callback(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings], db_session: NamedDependency[AsyncSession]) -> Response[Any]:
        try:
            token, next_path = await _exchange(request, settings, _provider(request), db_session)
        except SignInFailed as exc:
            return _failure(request, exc)
        response = Redirect(f"{LOGIN_PAGE}?{urlencode({'next': next_path})}#{urlencode({'sso_token': token})}", status_code=303)
        response.delete_cookie(STATE_COOKIE, path=COOKIE_PATH)
        return response

    @get("/oidc/logout", status_code=303, summary="End the session at the identity provider too (when it offers that)")
    async def oidc_logout(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Response[Any]:
        back = f"{_base_url(request, settings)}{LOGIN_PAGE}"
        provider = request.app.state.oidc
        try:
            end_session = provider and (await provider.metadata()).get("end_session_endpoint")
        except ProviderUnavailable:
            end_session = None  # DLV's own session is already over; nothing more to end
        if not end_session:
            return Redirect(LOGIN_PAGE, status_code=303)
        query = urlencode({"client_id": settings.oidc_client_id, "post_logout_redirect_uri": back})
        return Redirect(f"{end_session}{'&' if '?' in end_session else '?'}{query}", status_code=303)
