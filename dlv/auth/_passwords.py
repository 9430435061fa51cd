"""Password hashing with argon2, off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified when the username is unknown, so a wrong username costs the same time as a
# wrong password and the response cannot reveal which users exist.
_DUMMY_HASH = _hasher.hash("dlv-dummy-password-for-constant-time")

MIN_PASSWORD_LENGTH = 8


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(_verify, password_hash, password)


def password_problem(password: str) -> str | None:
    """Say what is wrong with a new password, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password must have at least {MIN_PASSWORD_LENGTH} characters"
    return None
