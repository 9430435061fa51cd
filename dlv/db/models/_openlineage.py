"""OpenLineage storage: the raw event log and the dataset aliases (symlinks) events declare."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import UUIDBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column


class LineageEvent(UUIDBase):
    """One accepted OpenLineage event exactly as it was sent (custom facets included);
    ``dlv replay`` rebuilds the OpenLineage part of the lineage from these rows."""

    __tablename__ = "lineage_events"
    __table_args__ = (Index("ix_lineage_events_received", "received_at", "id"),)

    # SHA-256 of the event's canonical JSON: the same event sent twice is stored once.
    event_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # run | job | dataset
    event_type: Mapped[str | None] = mapped_column(String(20), default=None)
    event_time: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    run_id: Mapped[str | None] = mapped_column(String(100), index=True, default=None)
    job_namespace: Mapped[str | None] = mapped_column(String(500), default=None)
    job_name: Mapped[str | None] = mapped_column(String(1000), default=None)
    producer: Mapped[str | None] = mapped_column(String(1000), default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonB)


class AssetAlias(UUIDBase):
    """Another (namespace, name) of an asset, from a ``symlinks`` facet or a RENAME: events
    using it resolve to the same asset."""

    __tablename__ = "asset_aliases"
    __table_args__ = (UniqueConstraint("namespace", "name", name="uq_asset_aliases_namespace_name"),)

    namespace: Mapped[str] = mapped_column(String(500))
    name: Mapped[str] = mapped_column(String(1000))
    type: Mapped[str | None] = mapped_column(String(50), default=None)
    asset_id: Mapped[UUID] = mapped_column(ForeignKey("data_assets.id", ondelete="CASCADE"), index=True)
