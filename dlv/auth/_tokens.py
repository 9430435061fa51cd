"""Signed access tokens (JWT, HS256) for logged-in users.

New tokens are signed with DLV_SECRET_KEY and name it by key id (``kid``). After a rotation
the former keys go in DLV_PREVIOUS_SECRET_KEYS: a token whose kid names one of them still
verifies until it expires, so nobody is logged out at the moment of the switch.

Each token also carries the user's credential version (``pwv``, derived from the stored
password hash): setting a new password changes it, which ends every earlier login.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import NamedTuple
from uuid import UUID

import jwt

ALGORITHM = "HS256"


def key_id(secret_key: str) -> str:
    """Name the signing key in the token header so a rotated key can be told apart."""
    return hashlib.sha256(secret_key.encode()).hexdigest()[:12]


def credential_version(password_hash: str) -> str:
    """Changes with every new password (a new salted hash); reveals nothing about it."""
    return hashlib.sha256(b"dlv credential version:" + password_hash.encode()).hexdigest()[:16]


class AccessClaims(NamedTuple):
    user_id: UUID
    credential_version: str | None


def issue_access_token(user_id: UUID, secret_key: str, lifetime: timedelta, credential: str) -> str:
    now = datetime.now(timezone.utc)
    claims = {"sub": str(user_id), "iat": now, "exp": now + lifetime, "typ": "access", "pwv": credential}
    return jwt.encode(claims, secret_key, algorithm=ALGORITHM, headers={"kid": key_id(secret_key)})


class InvalidToken(Exception):
    """The token is expired, tampered with or not ours; the message says which."""


INVALID = "the access token is not valid; log in again to get a new one"


def _verification_key(token: str, secret_key: str, previous_keys: Iterable[str]) -> str:
    """The key the token's kid names: the current one or a previous one still accepted."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.InvalidTokenError:
        raise InvalidToken(INVALID) from None
    keys = {key_id(key): key for key in previous_keys}
    keys[key_id(secret_key)] = secret_key
    if not isinstance(kid, str) or kid not in keys:
        raise InvalidToken("the access token was signed with a key DLV no longer accepts; log in again")
    return keys[kid]


def read_access_token(token: str, secret_key: str, previous_keys: Iterable[str] = ()) -> AccessClaims:
    key = _verification_key(token, secret_key, previous_keys)
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["sub", "exp", "iat"]})
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the access token has expired; log in again") from None
    except jwt.InvalidTokenError:
        raise InvalidToken(INVALID) from None
    if claims.get("typ") != "access":
        raise InvalidToken(INVALID)
    try:
        user_id = UUID(claims["sub"])
    except (ValueError, TypeError):
        raise InvalidToken(INVALID) from None
    version = claims.get("pwv")
    return AccessClaims(user_id, version if isinstance(version, str) else None)
