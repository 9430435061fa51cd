"""The audit log: who changed what, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import BigInteger, Identity, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column


class AuditEntry(DefaultBase):
    """One write by a user, a token or the system, stored in the transaction of the write.

    ``diff`` maps each changed field to ``{"old": ..., "new": ...}``; a secret field maps to
    ``"set"``, ``"changed"`` or ``"removed"`` instead, so no secret (or hash of one) is ever
    copied here.
    Names are copied, not referenced, so an entry still reads the same after its actor or
    entity is deleted.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    # Identity order is the order entries were written in: the list's "newest first".
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), Identity(), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    # user (a login), token (an API token) or system (scheduled discovery, the CLI's discover).
    actor_kind: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    actor_name: Mapped[str] = mapped_column(String(150), index=True)
    action: Mapped[str] = mapped_column(String(20), index=True)
    entity_type: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str | None] = mapped_column(String(64), default=None)
    entity_name: Mapped[str | None] = mapped_column(String(1000), default=None)
    diff: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    summary: Mapped[str | None] = mapped_column(Text, default=None)
    request_id: Mapped[str | None] = mapped_column(String(100), default=None)
