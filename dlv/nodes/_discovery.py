"""Discovery: read a node's catalog through its node type and keep its assets and view
lineage current.

One run is one transaction (the caller's session): assets are created or updated through
``AssetService``, missing ones retired (soft delete, so ``as_of`` still shows them), and view
lineage written through ``EdgeWriter`` with origin ``discovery``. The outcome is recorded in
the node's check history with trigger ``discovery``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Literal
from uuid import UUID

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dlv import audit
from dlv.connectors import ConfigError, NodeType, Step, TestReport
from dlv.db.models import ASSET, DataAsset, LineageEdge, Node
from dlv.connectors import Catalog, ColumnUse, Discovery, DiscoveryScope, RelationKind
from dlv.events import EventBroker, publish_node_status
from dlv.lib.crypto import SecretsUnreadable
from dlv.lib.exceptions import BadRequest
from dlv.lineage import AssetCreate, AssetService, ColumnMapping, EdgeWriter, Field, now
from dlv.nodes._connectors import Connectors, failed_report
from dlv.nodes._service import DISCOVERY_TRIGGER, NodeService

logger = logging.getLogger("dlv.nodes.discovery")

ORIGIN = "discovery"
# Marks an asset DLV only knows as the source of a discovered view (its schema was not read).
PLACEHOLDER = "placeholder"
# The target field of a column a view reads without outputting it (join key, filter, expression).
WHOLE_ROW = "*"
INDIRECT = "indirect: shapes the view's rows (join, filter or expression)"

Progress = Callable[[int, int], None]
# Connectors bound their own steps (postgresql: connect_timeout, then 10 minutes to read the
# catalog); this only stops a broken plugin from holding the request for ever.
DISCOVERY_HARD_LIMIT_SECONDS = 15 * 60


class DiscoverySummary(msgspec.Struct, kw_only=True):
    relations: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    placeholders: int = 0
    edges_created: int = 0
    edges_updated: int = 0
    edges_unchanged: int = 0
    edges_retired: int = 0

    def sentence(self) -> str:
        return (
            f"{self.relations} tables and views: {self.created} created, {self.updated} updated, "
            f"{self.retired} retired, {self.placeholders} placeholder(s); view lineage: {self.edges_created} edges "
            f"created, {self.edges_updated} replaced, {self.edges_retired} retired"
        )


class DiscoveryResult(msgspec.Struct, kw_only=True):
    """The test-connection report of the run plus, when it got that far, what changed."""

    status: Literal["ok", "error"]
    message: str
    latency_ms: float | None
    steps: list[Step]
    summary: DiscoverySummary | None = None


def _result(report: TestReport, summary: DiscoverySummary | None = None) -> DiscoveryResult:
    return DiscoveryResult(
        status=report.status, message=report.message, latency_ms=report.latency_ms, steps=report.steps, summary=summary
    )


async def _read(connectors: Connectors, node: Node, scope: DiscoveryScope) -> Discovery:
    """Run the node type's ``discover``; whatever stops it becomes an error report, as for a test."""
    node_type: NodeType[Any] | None = connectors.types.get(node.type)
    if node_type is None:
        return Discovery(report=failed_report(f"node type {node.type!r} is not installed; install the plugin that provides it"))
    if not node_type.can_discover():
        discoverable = ", ".join(sorted(t.key for t in connectors.types if t.can_discover())) or "none installed"
        raise BadRequest(f"Nodes of type {node.type} cannot be discovered; discovery works for: {discoverable}.", field="type")
    try:
        config = node_type.parse(connectors.stored_config(node))
    except SecretsUnreadable as exc:
        return Discovery(report=failed_report(f"cannot read the stored secrets: {exc}"))
    except ConfigError as exc:
        return Discovery(report=failed_report(f"the stored config is not valid for {node.type} any more ({exc}); edit the node"))
    try:
        async with asyncio.timeout(DISCOVERY_HARD_LIMIT_SECONDS):
            return await node_type.discover(config, connectors.context, scope=scope)
    except TimeoutError:
        return Discovery(report=failed_report(f"the {node.type} connector did not finish discovering in time"))
    except Exception as exc:  # a plugin's bug must not turn discovery into a 500
        logger.exception("the %s connector failed while discovering", node.type)
        return Discovery(
            report=failed_report(f"the {node.type} connector failed unexpectedly ({type(exc).__name__}); the server log has details")
        )


async def discover_node(
    session: AsyncSession,
    connectors: Connectors,
    node_id: UUID,
    scope: DiscoveryScope | None = None,
    progress: Progress | None = None,
    *,
    events: EventBroker | None = None,
) -> DiscoveryResult:
    """Discover one node; failing credentials give the test-connection report and change no asset."""
    scope = scope or DiscoveryScope()
    # A scheduled run has no caller: the catalog changes it makes are the system's.
    audit.act_as_system(session)
    nodes = NodeService(session=session)
    node = await nodes.get(node_id)
    previous = node.status
    discovery = await _read(connectors, node, scope)
    if discovery.catalog is None:
        await nodes.record_check(node, discovery.report, trigger=DISCOVERY_TRIGGER)
        audit.record_node_run(session, "discover", node.id, node.name, discovery.report)
        publish_node_status(events, node, previous)
        return _result(discovery.report)
    summary = await CatalogWriter(session, node.id, scope).apply(discovery.catalog, progress)
    report = discovery.report
    report = TestReport(
        status="ok",
        message=f"{report.message}: {summary.sentence()}",
        latency_ms=report.latency_ms,
        steps=[*report.steps, Step(name="store assets", passed=True, message=summary.sentence())],
    )
    await nodes.record_check(node, report, trigger=DISCOVERY_TRIGGER)
    audit.record_node_run(session, "discover", node.id, node.name, report)
    publish_node_status(events, node, previous)
    return _result(report, summary)


def _schema_of(name: str, database: str) -> str | None:
    prefix = f"{database}."
    return name[len(prefix) :].split(".", 1)[0] if name.startswith(prefix) else None


def _mapping(use: ColumnUse) -> ColumnMapping:
    if use.transformation is not None:  # read from the view's SQL
        target = use.target_column or WHOLE_ROW
        return ColumnMapping(source_field=use.source_column, target_field=target, transformation=use.transformation, origin="sql")
    if use.target_column is None:
        return ColumnMapping(source_field=use.source_column, target_field=WHOLE_ROW, transformation=INDIRECT)
    return ColumnMapping(source_field=use.source_column, target_field=use.target_column)


class CatalogWriter:
    """Applies one catalog to the assets of one node, within the caller's transaction."""

    def __init__(self, session: AsyncSession, node_id: UUID, scope: DiscoveryScope) -> None:
        self.session = session
        self.node_id = node_id
        self.scope = scope
        self.assets = AssetService(session=session)
        self.edges = EdgeWriter(session)
        self.summary = DiscoverySummary()

    async def apply(self, catalog: Catalog, progress: Progress | None = None) -> DiscoverySummary:
        known = {
            asset.name: asset
            for asset in await self.session.scalars(select(DataAsset).where(DataAsset.namespace == catalog.namespace))
        }
        total = len(catalog.relations) + len(catalog.dependencies)
        done = 0
        ids: dict[str, UUID] = {}
        for relation in catalog.relations:
            fields = [Field(name=column.name, type=column.type) for column in relation.columns]
            ids[relation.name] = await self._upsert(catalog.namespace, relation.name, relation.kind, fields, known, placeholder=False)
            done += 1
            if progress:
                progress(done, total)
        self.summary.relations = len(catalog.relations)

        wanted: set[tuple[UUID, UUID]] = set()
        for dependency in catalog.dependencies:
            if dependency.source not in ids:
                ids[dependency.source] = await self._placeholder(catalog.namespace, dependency.source, dependency.source_kind, known)
            source, target = ids[dependency.source], ids[dependency.target]
            wanted.add((source, target))
            await self._link(source, target, [_mapping(use) for use in dependency.columns])
            done += 1
            if progress:
                progress(done, total)

        await self._retire_edges(catalog, known, ids, wanted)
        await self._retire_assets(catalog, known, ids)
        return self.summary

    async def _upsert(
        self,
        namespace: str,
        name: str,
        kind: RelationKind,
        fields: list[Field],
        known: dict[str, DataAsset],
        *,
        placeholder: bool,
    ) -> UUID:
        """Create or update by natural key; what people added (owner, description, tags) stays."""
        existing = known.get(name)
        tags = [tag for tag in (existing.tags if existing else []) if tag != PLACEHOLDER]
        tags += [PLACEHOLDER] if placeholder else []
        if (
            existing is not None
            and existing.deleted_at is None
            and existing.kind == kind
            and existing.node_id == self.node_id
            and existing.tags == tags
            and existing.fields == msgspec.to_builtins(fields)
        ):
            self.summary.unchanged += 1
            return existing.id
        data = AssetCreate(
            namespace=namespace,
            name=name,
            kind=kind,
            node_id=self.node_id,
            owner=existing.owner if existing else None,
            tags=tags,
            description=existing.description if existing else None,
            criticality=existing.criticality if existing else None,  # type: ignore[arg-type]
            fields=fields,
        )
        asset, created = await self.assets.upsert_from(data)
        if created:
            self.summary.created += 1
        else:
            self.summary.updated += 1
        return asset.id

    async def _placeholder(self, namespace: str, name: str, kind: RelationKind, known: dict[str, DataAsset]) -> UUID:
        """The source of a view in a schema that was not read: an asset that exists and is not
        a placeholder is used as it is; otherwise a placeholder stands in, fields kept."""
        existing = known.get(name)
        if existing is not None and existing.deleted_at is None and PLACEHOLDER not in existing.tags:
            return existing.id
        self.summary.placeholders += 1
        fields = msgspec.convert(existing.fields, list[Field]) if existing else []
        return await self._upsert(namespace, name, kind, fields, known, placeholder=True)

    async def _link(self, source: UUID, target: UUID, columns: list[ColumnMapping]) -> None:
        before = await self.session.scalar(
            select(LineageEdge.id).where(
                LineageEdge.source_id == source, LineageEdge.target_id == target, LineageEdge.valid_to.is_(None)
            )
        )
        edge, created = await self.edges.add((source, ASSET), (target, ASSET), columns, ORIGIN)
        if created:
            self.summary.edges_created += 1
        elif edge.id != before:
            self.summary.edges_updated += 1
        else:
            self.summary.edges_unchanged += 1

    async def _retire_edges(
        self, catalog: Catalog, known: dict[str, DataAsset], ids: dict[str, UUID], wanted: set[tuple[UUID, UUID]]
    ) -> None:
        """End the discovered lineage of views in scope that the catalog no longer shows."""
        in_scope = {
            asset.id
            for name, asset in known.items()
            if asset.node_id == self.node_id and self._covers(name, catalog.database)
        } | {ids[relation.name] for relation in catalog.relations}
        current = await self.session.execute(
            select(LineageEdge.id, LineageEdge.source_id, LineageEdge.target_id).where(
                LineageEdge.valid_to.is_(None),
                LineageEdge.origin == ORIGIN,
                LineageEdge.target_id.in_(select(DataAsset.id).where(DataAsset.namespace == catalog.namespace)),
            )
        )
        stale = [edge_id for edge_id, source, target in current if target in in_scope and (source, target) not in wanted]
        if stale:
            self.summary.edges_retired += await self.edges.retire(stale, at=now())

    async def _retire_assets(self, catalog: Catalog, known: dict[str, DataAsset], ids: dict[str, UUID]) -> None:
        """Retire this node's assets in the scope that the catalog no longer lists, and
        placeholders no view reads any more."""
        for name, asset in known.items():
            if asset.deleted_at is not None or asset.node_id != self.node_id or name in ids:
                continue
            if PLACEHOLDER in asset.tags or self._covers(name, catalog.database):
                await self.assets.retire(asset.id)
                self.summary.retired += 1

    def _covers(self, name: str, database: str) -> bool:
        schema = _schema_of(name, database)
        return schema is not None and self.scope.covers(schema)
