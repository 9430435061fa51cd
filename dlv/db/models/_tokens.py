"""API tokens: long-lived bearer credentials for machines (OpenLineage producers, scripts)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.base import UUIDAuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

# admin and viewer mean what they mean for users; ingest may only post OpenLineage events.
TOKEN_ROLES = ("admin", "viewer", "ingest")


class ApiToken(UUIDAuditBase):
    """Only the SHA-256 of the token is stored; the value is shown once, at creation."""

    __tablename__ = "api_tokens"

    name: Mapped[str] = mapped_column(String(150))
    role: Mapped[str] = mapped_column(String(20))
    # The first characters of the value, so an admin can tell tokens apart in a list.
    prefix: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # None: the token works until it is revoked.
    expires_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
