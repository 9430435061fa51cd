"""Password hashing with argon2, off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified when the username is unknown, so a wrong username costs the same time as a
# wrong password and the response cannot reveal which users exist.
_DUMMY_HASH = _hasher.hash("dlv-dummy-password-for-constant-time")

# DLV_PASSWORD_MIN_LENGTH's default: length is what makes a password hard to guess.
DEFAULT_MIN_PASSWORD_LENGTH = 12
# Usernames shorter than this are not looked for inside passwords ("al" is in too many words).
MIN_USERNAME_TO_MATCH = 3
# The most used passwords of breach lists (lower-cased), the first ones a guesser tries:
# long enough to pass a length check, but not secret.
COMMON_PASSWORDS = frozenset(
    """
    123456789012 1234567890123 12345678901234 123456789abc 1q2w3e4r5t6y 1qaz2wsx3edc 1qaz2wsx3edc4rfv
    abc123456789 abcdefghijkl administrator changeme1234 changemenow! correcthorsebatterystaple
    iloveyou1234 letmein12345 letmeinplease monkey123456 p@ssw0rd1234 p@ssword1234 passw0rd1234
    password password1 password12 password123 password1234 password12345 password123! password2024
    password2025 password2026 passwordpassword qazwsxedcrfv qwerty123456 qwertyuiop12 qwertyuiop123
    qwertyuiopasdf sunshine1234 superman1234 trustno11234 welcome12345 welcome123456 zaq12wsxcde3
    000000000000 111111111111 123123123123 123456123456 987654321098 aaaaaaaaaaaa qwertyqwerty
    12345678 123456789 1234567890 11111111 qwertyuiop iloveyou sunshine princess football
    baseball welcome1 admin123 letmein1 trustno1 dragon123 master123 abc12345 qwerty123
    """.split()
)


def password_problem(password: str, username: str, min_length: int = DEFAULT_MIN_PASSWORD_LENGTH) -> str | None:
    """Say which rule a new password breaks, or None when it is acceptable."""
    lowered, name = password.casefold(), username.casefold()
    if len(password) < min_length:
        return f"it must have at least {min_length} characters (DLV_PASSWORD_MIN_LENGTH); a few unrelated words work well"
    if lowered == name or (len(name) >= MIN_USERNAME_TO_MATCH and name in lowered):
        return "it must not be or contain the username"
    if lowered in COMMON_PASSWORDS:
        return "it is one of the most common passwords, which are tried first; choose another"
    return None


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(_verify, password_hash, password)

