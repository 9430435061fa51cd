from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import BigInteger, Identity, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column


class GraphOutbox(DefaultBase):
    """One lineage edge changed and Neo4j has not seen it yet.

    Rows name the edge, not the change: the projector reads the edge's current row (or
    finds it purged) and makes Neo4j match, so applying a row twice or late is harmless.
    """

    __tablename__ = "graph_outbox"
    __table_args__ = (Index("ix_graph_outbox_pending", "applied_at", "id"),)

    # Identity order is the order the projector applies rows in.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), Identity(), primary_key=True)
    edge_id: Mapped[UUID] = mapped_column(GUID)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    applied_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
