"""Shapes of the lineage API (snake_case JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

Criticality = Literal["low", "medium", "high", "critical"]
Origin = Literal["manual", "openlineage", "discovery"]
EntityType = Literal["asset", "process"]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
Namespace = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
Kind = Annotated[str, msgspec.Meta(min_length=1, max_length=50, pattern=r"^[a-z0-9_\-]+$")]
Tags = Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=100)]], msgspec.Meta(max_length=100)]
# The lengths of their columns (dlv.db.models); description is TEXT, bounded like a node's.
Owner = Annotated[str, msgspec.Meta(max_length=200)]
Schedule = Annotated[str, msgspec.Meta(max_length=200)]
Description = Annotated[str, msgspec.Meta(max_length=10_000)]
UNSET = msgspec.UNSET
Unset = msgspec.UnsetType


class Field(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A column of an asset."""

    name: Text
    type: str | None = None
    description: str | None = None
    tags: Tags = []


class ColumnMapping(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Column-level lineage on an edge: ``source_field`` of the source feeds ``target_field``.

    On a process -> asset edge the source field belongs to one of the process's inputs;
    ``source_asset_id`` says which when the process reads several.
    """

    source_field: Text
    target_field: Text
    transformation: str | None = None
    source_asset_id: UUID | None = None
    # ``sql``: derived from SQL (a job's sql facet, a view's definition, a dbt model), not stated.
    origin: Literal["sql"] | None = None


class AssetCreate(msgspec.Struct, forbid_unknown_fields=True):
    namespace: Namespace
    name: Text
    kind: Kind = "table"
    node_id: UUID | None = None
    owner: Owner | None = None
    tags: Tags = []
    description: Description | None = None
    criticality: Criticality | None = None
    fields: list[Field] = []


class AssetUpdate(msgspec.Struct, forbid_unknown_fields=True):
    kind: Kind | Unset = UNSET
    node_id: UUID | None | Unset = UNSET
    owner: Owner | None | Unset = UNSET
    tags: Tags | Unset = UNSET
    description: Description | None | Unset = UNSET
    criticality: Criticality | None | Unset = UNSET
    fields: list[Field] | Unset = UNSET


class AliasRead(msgspec.Struct):
    """Another name of an asset: ``type`` is the symlink's (TABLE, LOCATION...), RENAME for a
    former name, or null."""

    namespace: str
    name: str
    type: str | None


class FailingAssertion(msgspec.Struct):
    assertion: str
    column: str | None = None


class Quality(msgspec.Struct):
    """The newest data quality assertions a run reported on an asset (OpenLineage
    ``dataQualityAssertions``)."""

    status: Literal["passing", "failing"]
    failing: list[FailingAssertion]
    total: int


class AssetRead(msgspec.Struct):
    id: UUID
    namespace: str
    name: str
    kind: str
    node_id: UUID | None
    owner: str | None
    tags: list[str]
    description: str | None
    criticality: str | None
    fields: list[Field]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    aliases: list[AliasRead] = []
    quality: Quality | None = None


class ProcessCreate(msgspec.Struct, forbid_unknown_fields=True):
    namespace: Namespace
    name: Text
    kind: Kind = "job"
    owner: Owner | None = None
    tags: Tags = []
    description: Description | None = None
    criticality: Criticality | None = None
    schedule: Schedule | None = None


class ProcessUpdate(msgspec.Struct, forbid_unknown_fields=True):
    kind: Kind | Unset = UNSET
    owner: Owner | None | Unset = UNSET
    tags: Tags | Unset = UNSET
    description: Description | None | Unset = UNSET
    criticality: Criticality | None | Unset = UNSET
    schedule: Schedule | None | Unset = UNSET


class ProcessRead(msgspec.Struct):
    id: UUID
    namespace: str
    name: str
    kind: str
    owner: str | None
    tags: list[str]
    description: str | None
    criticality: str | None
    schedule: str | None
    last_run_state: str | None
    last_run_at: datetime | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    # Set by OpenLineage: the enclosing process (DAG, Spark application) and the job's SQL.
    parent_id: UUID | None = None
    sql: str | None = None


class EdgeCreate(msgspec.Struct, forbid_unknown_fields=True):
    source_id: UUID
    target_id: UUID
    columns: list[ColumnMapping] = []
    origin: Origin = "manual"


class EdgeUpdate(msgspec.Struct, forbid_unknown_fields=True):
    columns: list[ColumnMapping]


class EdgeRead(msgspec.Struct):
    id: UUID
    source_id: UUID
    source_type: str
    target_id: UUID
    target_type: str
    origin: str
    columns: list[ColumnMapping]
    valid_from: datetime
    valid_to: datetime | None


class EntityRef(msgspec.Struct, forbid_unknown_fields=True):
    type: EntityType
    namespace: Namespace
    name: Text


class BulkEdge(msgspec.Struct, forbid_unknown_fields=True):
    source: EntityRef
    target: EntityRef
    columns: list[ColumnMapping] = []
    origin: Origin = "manual"


class BulkRequest(msgspec.Struct, forbid_unknown_fields=True):
    assets: list[AssetCreate] = []
    processes: list[ProcessCreate] = []
    edges: list[BulkEdge] = []


class Counts(msgspec.Struct):
    created: int = 0
    updated: int = 0


class BulkResult(msgspec.Struct):
    assets: Counts
    processes: Counts
    edges: Counts


class GraphNode(msgspec.Struct, omit_defaults=True):
    id: UUID
    type: str
    namespace: str
    name: str
    kind: str
    depth: int
    owner: str | None = None
    criticality: str | None = None
    health: str = "unknown"
    node_id: UUID | None = None
    fields: list[str] | None = None
    # passing / failing: the newest data quality assertions reported on an asset
    quality: str | None = None
    tags: list[str] | None = None
    # A process's enclosing job (an Airflow DAG, a Spark application), from OpenLineage.
    parent_id: UUID | None = None
    parent_name: str | None = None


class GraphEdge(msgspec.Struct, omit_defaults=True):
    id: UUID
    source_id: UUID
    target_id: UUID
    origin: str | None = None
    columns: list[ColumnMapping] | None = None
    # Set on an edge standing for a path through nodes the request hid: how many it crosses.
    via: int | None = None


class Graph(msgspec.Struct):
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool
    source: str
    # The ids of the nodes the hide_* filters took out, so a client can say how many it hid.
    hidden: list[UUID] = msgspec.field(default_factory=list)


class Paths(msgspec.Struct):
    """Every node and edge on a directed path between two nodes; ``complete`` is false when
    longer paths may exist past max_depth or the answer was cut at max_nodes."""

    nodes: list[GraphNode]
    edges: list[GraphEdge]
    complete: bool
    source: str


class ImpactItem(msgspec.Struct):
    id: UUID
    type: str
    namespace: str
    name: str
    kind: str
    distance: int
    owner: str | None
    criticality: str | None
    health: str


class RootCause(msgspec.Struct, omit_defaults=True):
    id: UUID
    type: str
    name: str
    distance: int
    health: str
    reason: str
    namespace: str | None = None
    # For a schema change: the columns dropped or retyped.
    columns: list[str] | None = None


class ImpactSummary(msgspec.Struct):
    total: int
    assets: int
    processes: int
    unhealthy: int
    by_criticality: dict[str, int]
    by_owner: dict[str, int]


class ImpactRoot(msgspec.Struct, omit_defaults=True):
    id: UUID
    type: str
    name: str
    namespace: str | None = None


class Impact(msgspec.Struct):
    root: ImpactRoot
    impacted: list[ImpactItem]
    summary: ImpactSummary
    root_causes: list[RootCause]
    truncated: bool
    source: str


class SearchHit(msgspec.Struct):
    id: UUID
    type: Literal["asset", "process", "node"]
    name: str
    namespace: str | None
    kind: str
    description: str | None
    owner: str | None
    score: int


class SearchResults(msgspec.Struct):
    items: list[SearchHit]
    total: int
    limit: int
    offset: int
