"""API tokens: create (the value is returned once), find by value, list, revoke.

A token is ``dlv_`` + 256 random bits; with that much entropy a plain SHA-256 is a safe
way to store it (no salt or slow hash needed) and lets a request find its token by index.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import bindparam, event as orm_event, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import ApiToken
from dlv.lib.exceptions import BadRequest, NotFound

TOKEN_PREFIX = "dlv_"
# Recording every use would turn each ingested event into an extra UPDATE; a minute is
# precise enough to see whether a token is still in use.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# A token meant to outlive this is better created without an expiry and revoked when done.
MAX_EXPIRES_IN_DAYS = 3650


class RejectedToken(Exception):
    """The API token cannot be used; the message says why and what to do."""


def expiry(expires_in_days: int | None, now: datetime) -> datetime | None:
    """When a token created ``now`` stops working (None: never), refusing impossible lifetimes."""
    if expires_in_days is None:
        return None
    if not 1 <= expires_in_days <= MAX_EXPIRES_IN_DAYS:
        raise BadRequest(
            f"Invalid field expires_in_days: {expires_in_days} is out of range; send a whole number of days "
            f"from 1 to {MAX_EXPIRES_IN_DAYS}, or leave it out for a token that works until it is revoked.",
            field="expires_in_days",
        )
    return now + timedelta(days=expires_in_days)


def hash_token(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def is_api_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX)


@dataclass
class KnownToken:
    """What a request needs of a live API token."""

    id: UUID
    name: str
    role: str
    expires_at: datetime | None
    last_used_at: datetime | None


class TokenCache:
    """API tokens checked recently, per process and database, by hash: an ingesting pipeline
    posts many events a second, and each would otherwise read its token (and hold a
    session) before its event is even parsed. Token writes in this process (revoke, delete)
    clear the cache at once (ORM events); a revocation made by another process is seen
    within ``TTL`` seconds. Expiry is checked on every request from the cached time."""

    TTL = 5.0

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], tuple[float, KnownToken]] = {}
        for change in ("after_insert", "after_update", "after_delete"):
            orm_event.listen(ApiToken, change, self.clear)

    def clear(self, *_: Any) -> None:
        self._known.clear()

    async def authenticate(self, sessions: Callable[[], AbstractAsyncContextManager[AsyncSession]], database: str, value: str) -> KnownToken:
        """The live token with this value; RejectedToken otherwise. Its last use is recorded
        (at most once per LAST_USED_RESOLUTION) in a transaction of its own, so a request
        never holds a write it did not ask for."""
        key, now = (database, hash_token(value)), datetime.now(timezone.utc)
        loaded_at, token = self._known.get(key, (float("-inf"), None))
        if token is None or time.monotonic() - loaded_at > self.TTL:
            async with sessions() as session:
                row = await session.scalar(select(ApiToken).where(ApiToken.token_hash == key[1]))
            if row is None or row.revoked_at is not None:
                self._known.pop(key, None)
                raise RejectedToken("This API token is not valid or was revoked; ask an admin for a new one.")
            token = KnownToken(id=row.id, name=row.name, role=row.role, expires_at=row.expires_at, last_used_at=row.last_used_at)
            self._known[key] = (time.monotonic(), token)
        if token.expires_at is not None and token.expires_at <= now:
            raise RejectedToken(
                f"This API token ({token.name!r}) expired at {token.expires_at.isoformat(timespec='seconds')}; "
                "ask an admin for a new one."
            )
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            token.last_used_at = now
            async with sessions() as session:
                await session.execute(RECORD_USE, {"token_id": token.id, "used_at": now})
                await session.commit()
        return token


# Core, not ORM: the use of a token is not an audited change of it.
RECORD_USE = (
    update(ApiToken.__table__).where(ApiToken.__table__.c.id == bindparam("token_id")).values(last_used_at=bindparam("used_at"))
)
TOKENS = TokenCache()


class ApiTokenService(SQLAlchemyAsyncRepositoryService[ApiToken]):
    class Repo(SQLAlchemyAsyncRepository[ApiToken]):
        model_type = ApiToken

    repository_type = Repo

    async def issue(
        self, name: str, role: str, created_by: UUID | None = None, *, expires_in_days: int | None = None
    ) -> tuple[ApiToken, str]:
        """Create a token; return it with its value, which is never stored nor shown again."""
        expires_at = expiry(expires_in_days, datetime.now(timezone.utc))
        value = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = await self.create(
            ApiToken(
                name=name,
                role=role,
                prefix=value[: len(TOKEN_PREFIX) + 6],
                token_hash=hash_token(value),
                created_by=created_by,
                expires_at=expires_at,
            )
        )
        return token, value

    async def revoke(self, token_id: UUID) -> ApiToken:
        token = await self.get_one_or_none(id=token_id)
        if token is None:
            raise NotFound(f"No API token with id {token_id}; GET /api/tokens lists them.")
        if token.revoked_at is None:
            token.revoked_at = datetime.now(timezone.utc)
            token = await self.update(token)
        return token
