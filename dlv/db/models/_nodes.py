"""The node catalog: registered systems and their test-connection history."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import UUIDAuditBase, UUIDBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship


class Node(UUIDAuditBase):
    """A system data lives in or passes through: a database, an API, a plugin's connector."""

    __tablename__ = "nodes"

    name: Mapped[str] = mapped_column(String(200), unique=True, index=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    tags: Mapped[list[str]] = mapped_column(JsonB, default=list)
    # The validated config with every secret field set to null; the secret values live only
    # in ``encrypted_secrets`` (dlv.lib.crypto), and ``secrets_set`` names the ones that are set
    # so reads never need the key.
    config: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    encrypted_secrets: Mapped[str | None] = mapped_column(Text, default=None)
    secrets_set: Mapped[list[str]] = mapped_column(JsonB, default=list)
    status: Mapped[str] = mapped_column(String(20), default="unknown", index=True)
    status_message: Mapped[str | None] = mapped_column(Text, default=None)
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    last_latency_ms: Mapped[float | None] = mapped_column(default=None)
    check_interval_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    # Seconds between scheduled discoveries (types that can discover); the last run is the
    # newest ``NodeCheck`` with trigger ``discovery``.
    discovery_interval_seconds: Mapped[int | None] = mapped_column(Integer, default=None)

    checks: Mapped[list[NodeCheck]] = relationship(
        back_populates="node", cascade="all, delete-orphan", lazy="noload", order_by="NodeCheck.checked_at.desc()"
    )


class NodeCheck(UUIDBase):
    """One "test connection" result, kept as the node's check history."""

    __tablename__ = "node_checks"

    node_id: Mapped[UUID] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, default="")
    latency_ms: Mapped[float | None] = mapped_column(default=None)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    checked_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    trigger: Mapped[str] = mapped_column(String(20), default="manual")

    node: Mapped[Node] = relationship(back_populates="checks", lazy="noload")
