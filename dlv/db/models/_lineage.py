from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.base import UUIDAuditBase, UUIDBase
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

ASSET = "asset"
PROCESS = "process"


class DataAsset(UUIDAuditBase):
    """A dataset: table, view, topic, file, API resource... named the OpenLineage way."""

    __tablename__ = "data_assets"
    __table_args__ = (UniqueConstraint("namespace", "name", name="uq_data_assets_namespace_name"),)

    namespace: Mapped[str] = mapped_column(String(500))
    name: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(50), default="table")
    node_id: Mapped[UUID | None] = mapped_column(ForeignKey("nodes.id", ondelete="SET NULL"), index=True, default=None)
    owner: Mapped[str | None] = mapped_column(String(200), index=True, default=None)
    tags: Mapped[list[str]] = mapped_column(JsonB, default=list)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    criticality: Mapped[str | None] = mapped_column(String(20), default=None)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    # When each OpenLineage facet shown here was observed (facet name -> ISO time): an event
    # applies a facet only when it is at least as new, so arrival order does not matter.
    facet_times: Mapped[dict[str, str]] = mapped_column(JsonB, default=dict, server_default=text("'{}'"))
    # The newest data quality assertions a run reported on it: {"status": "passing"|"failing",
    # "failing": [{"assertion", "column"}], "total": n}; null when none were ever reported.
    quality: Mapped[dict[str, Any] | None] = mapped_column(JsonB, default=None)
    # A deleted asset keeps its row (and its retired edges) so past lineage stays answerable.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None, index=True)
    # The other names events call it by (symlinks, renames); read with the asset, never written through it.
    aliases: Mapped[list["AssetAlias"]] = relationship(  # noqa: F821  (dlv.db.models._openlineage)
        lazy="selectin", viewonly=True, order_by="(AssetAlias.namespace, AssetAlias.name)"
    )


class Process(UUIDAuditBase):
    """Something that moves data: a Spark app, an Airflow task, a dbt model, a SQL script."""

    __tablename__ = "processes"
    __table_args__ = (UniqueConstraint("namespace", "name", name="uq_processes_namespace_name"),)

    namespace: Mapped[str] = mapped_column(String(500))
    name: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(50), default="job")
    owner: Mapped[str | None] = mapped_column(String(200), index=True, default=None)
    tags: Mapped[list[str]] = mapped_column(JsonB, default=list)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    criticality: Mapped[str | None] = mapped_column(String(20), default=None)
    schedule: Mapped[str | None] = mapped_column(String(200), default=None)
    last_run_state: Mapped[str | None] = mapped_column(String(20), default=None)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None, index=True)
    # The enclosing process (an Airflow DAG for its tasks, a Spark application for its jobs).
    parent_id: Mapped[UUID | None] = mapped_column(ForeignKey("processes.id", ondelete="SET NULL"), index=True, default=None)
    sql: Mapped[str | None] = mapped_column(Text, default=None)
    # When each OpenLineage job facet shown here was observed (see DataAsset.facet_times).
    facet_times: Mapped[dict[str, str]] = mapped_column(JsonB, default=dict, server_default=text("'{}'"))


class LineageEdge(UUIDBase):
    """Data flows from source to target during [valid_from, valid_to); valid_to null = current.

    Ends are asset or process ids (the ``*_type`` columns say which), so one table and
    two indexes serve every traversal.
    """

    __tablename__ = "lineage_edges"
    __table_args__ = (
        # Traversal walks these: (start, time window) -> next node, in either direction.
        Index("ix_lineage_edges_source_walk", "source_id", "valid_to", "valid_from", "target_id"),
        Index("ix_lineage_edges_target_walk", "target_id", "valid_to", "valid_from", "source_id"),
        # At most one current edge between two nodes; history may hold many.
        Index(
            "uq_lineage_edges_current",
            "source_id",
            "target_id",
            unique=True,
            postgresql_where=text("valid_to IS NULL"),
            sqlite_where=text("valid_to IS NULL"),
        ),
    )

    source_id: Mapped[UUID] = mapped_column(GUID)
    source_type: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[UUID] = mapped_column(GUID)
    target_type: Mapped[str] = mapped_column(String(10))
    origin: Mapped[str] = mapped_column(String(20), default="manual")
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    valid_from: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    valid_to: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    # The OpenLineage run that last produced this edge: a newer completed run of the same job
    # retires the edges only older runs produced.
    run_id: Mapped[str | None] = mapped_column(String(100), default=None)


class Run(UUIDBase):
    """One execution of a process (OpenLineage runId)."""

    __tablename__ = "runs"

    process_id: Mapped[UUID] = mapped_column(ForeignKey("processes.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    ended_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    error_message: Mapped[str | None] = mapped_column(Text, default=None)


class RunDataset(UUIDBase):
    """A dataset one OpenLineage run read (``input``) or wrote (``output``), from any of its
    events: the run's inputs and outputs, and an asset's versions (one per run that wrote it)."""

    __tablename__ = "run_datasets"
    __table_args__ = (
        UniqueConstraint("run_id", "asset_id", "direction", name="uq_run_datasets_run_asset_direction"),
        Index("ix_run_datasets_asset", "asset_id", "direction", "observed_at"),
    )

    run_id: Mapped[str] = mapped_column(String(100), index=True)
    asset_id: Mapped[UUID] = mapped_column(ForeignKey("data_assets.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(10))
    # The run's earliest event naming the dataset this way.
    observed_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
