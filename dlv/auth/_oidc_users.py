"""What single sign-on stores: the sign-ins in progress, and the users it creates just in time.

A user from the provider is found by (issuer, subject), never by name, so a local account
cannot be taken over by someone who picks the same name at the provider. Its DLV username is
the provider's ``preferred_username`` (else ``email``, else the subject), reduced to the
characters DLV usernames allow; when another user already has that name, a short digest of
issuer and subject is appended (``jane-3f9a1c``). The role follows the groups at each sign-in.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import OidcLogin, User

# Long enough to sign in at the provider (typing a password, a second factor).
LOGIN_LIFETIME = timedelta(minutes=10)
MAX_USERNAME = 150
MAX_SUBJECT = 255
# Never a valid argon2 hash: local login with any password fails for this user.
NO_PASSWORD_PREFIX = "!oidc:"
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_.@-]+")


class SignInRefused(Exception):
    """The sign-in cannot finish (replayed, expired, account disabled); the message says why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def start_login(session: AsyncSession, next_path: str) -> OidcLogin:
    """A new sign-in with fresh state, nonce and PKCE verifier, kept until its callback."""
    now = datetime.now(timezone.utc)
    # Sign-ins never finished (closed tabs) are forgotten here rather than by a scheduler.
    await session.execute(delete(OidcLogin).where(OidcLogin.created_at < now - LOGIN_LIFETIME))
    login = OidcLogin(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=secrets.token_urlsafe(64),
        next_path=next_path,
        created_at=now,
    )
    session.add(login)
    await session.commit()
    return login


async def take_login(session: AsyncSession, state: str) -> OidcLogin:
    """The sign-in this state started, removed so that it can be finished once only."""
    login = await session.get(OidcLogin, state[:64])
    if login is None or login.state != state:
        raise SignInRefused("This sign-in link was already used or is unknown; start the sign-in again.")
    deleted = await session.execute(delete(OidcLogin).where(OidcLogin.state == state))
    await session.commit()
    if deleted.rowcount != 1:  # type: ignore[attr-defined]  # another request finished it first
        raise SignInRefused("This sign-in link was already used; start the sign-in again.")
    if datetime.now(timezone.utc) - login.created_at > LOGIN_LIFETIME:
        raise SignInRefused("This sign-in took too long and expired; start the sign-in again.")
    return login


def _preferred_name(claims: dict[str, Any]) -> str:
    for claim in ("preferred_username", "email", "sub"):
        value = claims.get(claim)
        if isinstance(value, str) and (name := _NOT_ALLOWED.sub("-", value).strip("-")[:MAX_USERNAME]):
            return name
    return "user"


async def _free_username(session: AsyncSession, wanted: str, identity: str, user: User | None) -> str:
    holder = await session.scalar(select(User).where(User.username == wanted))
    if holder is None or holder is user:
        return wanted
    suffix = "-" + hashlib.sha256(identity.encode()).hexdigest()[:6]
    return wanted[: MAX_USERNAME - len(suffix)] + suffix


async def sign_in_user(session: AsyncSession, issuer: str, claims: dict[str, Any], role: str) -> User:
    """The user of this identity, created on first sign-in, its name and role brought up to date."""
    subject = claims["sub"]
    if len(subject) > MAX_SUBJECT:
        raise SignInRefused(f"The identity provider sent a subject longer than {MAX_SUBJECT} characters, which OpenID Connect forbids.")
    user = await session.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))
    if user is not None and not user.is_active:
        raise SignInRefused("This DLV account is deactivated; ask a DLV admin to activate it again.", status=403)
    username = await _free_username(session, _preferred_name(claims), f"{issuer} {subject}", user)
    if user is None:
        user = User(
            username=username,
            password_hash=NO_PASSWORD_PREFIX + secrets.token_hex(16),
            role=role,
            oidc_issuer=issuer,
            oidc_subject=subject,
        )
        session.add(user)
    else:
        user.username, user.role = username, role
    await session.commit()
    return user
