"""Signed access tokens (JWT, HS256) for logged-in users."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from uuid import UUID

import jwt

ALGORITHM = "HS256"


def key_id(secret_key: str) -> str:
    """Name the signing key in the token header so a rotated key can be told apart."""
    return hashlib.sha256(secret_key.encode()).hexdigest()[:12]


def issue_access_token(user_id: UUID, secret_key: str, lifetime: timedelta) -> str:
    now = datetime.now(timezone.utc)
    claims = {"sub": str(user_id), "iat": now, "exp": now + lifetime, "typ": "access"}
    return jwt.encode(claims, secret_key, algorithm=ALGORITHM, headers={"kid": key_id(secret_key)})


class InvalidToken(Exception):
    """The token is expired, tampered with or not ours; the message says which."""


def read_access_token(token: str, secret_key: str) -> UUID:
    try:
        claims = jwt.decode(token, secret_key, algorithms=[ALGORITHM], options={"require": ["sub", "exp", "iat"]})
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the access token has expired; log in again") from None
    except jwt.InvalidTokenError:
        raise InvalidToken("the access token is not valid; log in again to get a new one") from None
    if claims.get("typ") != "access":
        raise InvalidToken("the access token is not valid; log in again to get a new one")
    try:
        return UUID(claims["sub"])
    except (ValueError, TypeError):
        raise InvalidToken("the access token is not valid; log in again to get a new one") from None
