"""Alerts: where they go (channels), when they fire (rules), and the outbox of fired alerts
with every delivery and attempt (dlv.alerts)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import UUIDAuditBase, UUIDBase
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column


class AlertChannel(UUIDAuditBase):
    """A webhook, a Slack incoming webhook or a list of e-mail addresses."""

    __tablename__ = "alert_channels"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    # The config with every secret field set to null (as dlv.db.models.Node keeps it); the
    # secrets live sealed in ``encrypted_secrets`` and ``secrets_set`` names those set.
    config: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    encrypted_secrets: Mapped[str | None] = mapped_column(Text, default=None)
    secrets_set: Mapped[list[str]] = mapped_column(JsonB, default=list)


class AlertRule(UUIDAuditBase):
    """When to alert (``condition``), about what (``scope``) and whom (``channel_ids``)."""

    __tablename__ = "alert_rules"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # condition["kind"], kept apart so a write path reads only the rules of its kinds.
    kind: Mapped[str] = mapped_column(String(30), index=True)
    condition: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    scope: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    channel_ids: Mapped[list[str]] = mapped_column(JsonB, default=list)
    notify_downstream_owners: Mapped[bool] = mapped_column(Boolean, default=False)


class AlertEvent(UUIDBase):
    """One fired alert, written in the transaction of what caused it (the outbox). Its id is
    what receivers dedupe by; ``payload`` is built once by the dispatcher (with the downstream
    impact) so every delivery and retry sends the same body."""

    __tablename__ = "alert_events"
    __table_args__ = (UniqueConstraint("rule_id", "dedupe_key", name="uq_alert_events_rule_dedupe"),)

    # No foreign keys to rules and channels: deleting one while an ingest fires an alert for it
    # must not fail the ingest. The names are kept, and a delivery to a channel that is gone fails.
    rule_id: Mapped[UUID | None] = mapped_column(GUID, default=None)
    rule_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    # What makes two firings the same alert (a run id, a stale period): fired once each.
    dedupe_key: Mapped[str] = mapped_column(String(300))
    subject_type: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[UUID] = mapped_column(GUID, index=True)
    subject_name: Mapped[str] = mapped_column(String(1500))
    message: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JsonB, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)


class AlertDelivery(UUIDBase):
    """One alert to one channel: pending until delivered, or failed after the retry window."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_due", "state", "next_attempt_at"),)

    alert_id: Mapped[UUID] = mapped_column(ForeignKey("alert_events.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[UUID | None] = mapped_column(GUID, default=None)
    channel_name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class AlertAttempt(UUIDBase):
    """One try at a delivery: when, whether it worked, what the receiver answered."""

    __tablename__ = "alert_attempts"

    delivery_id: Mapped[UUID] = mapped_column(ForeignKey("alert_deliveries.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    message: Mapped[str] = mapped_column(Text, default="")
