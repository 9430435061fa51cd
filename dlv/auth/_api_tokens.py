"""API tokens: create (the value is returned once), find by value, list, revoke.

A token is ``dlv_`` + 256 random bits; with that much entropy a plain SHA-256 is a safe
way to store it (no salt or slow hash needed) and lets a request find its token by index.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from uuid import UUID

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService

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
            f"from 1 to {MAX_EXPIRES_IN_DAYS}, or leave it out for a token that works until it is revoked."
        )
    return now + timedelta(days=expires_in_days)


def hash_token(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def is_api_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX)


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

    async def authenticate(self, value: str) -> ApiToken:
        """The live token with this value (its last use recorded); RejectedToken otherwise."""
        token = await self.get_one_or_none(token_hash=hash_token(value))
        if token is None or token.revoked_at is not None:
            raise RejectedToken("This API token is not valid or was revoked; ask an admin for a new one.")
        now = datetime.now(timezone.utc)
        if token.expires_at is not None and token.expires_at <= now:
            raise RejectedToken(
                f"This API token ({token.name!r}) expired at {token.expires_at.isoformat(timespec='seconds')}; "
                "ask an admin for a new one."
            )
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            token.last_used_at = now
            await self.update(token)
        return token

    async def revoke(self, token_id: UUID) -> ApiToken:
        token = await self.get_one_or_none(id=token_id)
        if token is None:
            raise NotFound(f"No API token with id {token_id}; GET /api/tokens lists them.")
        if token.revoked_at is None:
            token.revoked_at = datetime.now(timezone.utc)
            token = await self.update(token)
        return token
