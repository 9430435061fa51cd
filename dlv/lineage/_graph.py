"""Read side of lineage: graph neighbourhoods, column-level lineage, impact and root cause."""

from __future__ import annotations

import csv
import io
import logging
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import noload
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import ASSET, PROCESS, AssetAlias, DataAsset, LineageEdge, Node, Process, Run, RunDataset
from dlv.db.sql import among_values, chunks
from dlv.graph import Direction, GraphStore, Hop, Reached, Traversal, fold_hidden, paths_between
from dlv.history import RunHistory
from dlv.lib.exceptions import BadRequest, NotFound
from dlv.lineage._schemas import (
    ColumnMapping,
    Graph,
    GraphEdge,
    GraphNode,
    Impact,
    ImpactItem,
    ImpactRoot,
    ImpactSummary,
    Paths,
    RootCause,
)

log = logging.getLogger(__name__)
CHUNK = 5000
CRITICALITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, None: 4}
RUN_HEALTH = {"COMPLETE": "ok", "FAIL": "failed", "ABORT": "failed", "START": "running", "RUNNING": "running"}
UNHEALTHY = {"failed", "error"}
SCHEMA_CHANGES_READ = 100  # upstream assets, nearest first, whose newest versions are compared
IMPACT_CSV_COLUMNS = ("id", "type", "namespace", "name", "kind", "distance", "owner", "criticality", "health")


def _stored_mappings(edge_id: UUID, stored: list[dict[str, Any]] | None) -> list[ColumnMapping]:
    """An edge's column mappings as typed values: JSON keeps ``source_asset_id`` as a string,
    and only a UUID compares equal to the asset ids a traversal walks. A mapping that no longer
    fits the schema is left out (and logged) rather than failing the whole answer."""
    mappings = []
    for item in stored or []:
        try:
            mappings.append(msgspec.convert(item, ColumnMapping))
        except msgspec.ValidationError as exc:
            log.warning("edge %s: a stored column mapping is unreadable and left out: %s", edge_id, exc)
    return mappings


def _chunks(ids: list[UUID]) -> Iterable[Sequence[UUID]]:
    return chunks(ids, CHUNK)


class HideFilter:
    """Which nodes a graph answer folds away (hide_kinds=, hide_namespaces=, ...); the start
    nodes always stay, and paths through hidden nodes stay as edges carrying ``via``."""

    def __init__(
        self,
        kinds: Iterable[str] = (),
        namespaces: Iterable[str] = (),
        tags: Iterable[str] = (),
        owners: Iterable[str] = (),
        health: Iterable[str] = (),
    ) -> None:
        self.kinds, self.namespaces, self.tags = set(kinds), set(namespaces), set(tags)
        self.owners, self.health = set(owners), set(health)

    def __bool__(self) -> bool:
        return bool(self.kinds or self.namespaces or self.tags or self.owners or self.health)

    def hides(self, node: GraphNode) -> bool:
        return (
            node.type in self.kinds
            or node.kind in self.kinds
            or node.namespace in self.namespaces
            or bool(self.tags.intersection(node.tags or ()))
            or (node.owner or "") in self.owners
            or node.health in self.health
        )


NO_FILTER = HideFilter()


class Start:
    """Where a query begins: one asset or process, or every asset of a catalog node."""

    def __init__(self, ids: dict[UUID, str], root: ImpactRoot, asset: DataAsset | None = None) -> None:
        self.ids, self.root, self.asset = ids, root, asset


class LineageGraph:
    def __init__(self, session: AsyncSession, store: GraphStore, timeout: float | None = None) -> None:
        self.session, self.store = session, store
        self.timeout = timeout  # DLV_GRAPH_QUERY_TIMEOUT_SECONDS (dlv.lineage.deps)

    async def resolve(
        self,
        node_id: UUID | None,
        entity_type: str | None,
        namespace: str | None,
        name: str | None,
        *,
        allow_catalog_node: bool = False,
    ) -> Start:
        if node_id is None:
            if not (entity_type and namespace and name):
                raise BadRequest(
                    "Say where to start: send node_id=<uuid>, or type=asset|process with namespace and name.", field="node_id", source="query"
                )
            model = DataAsset if entity_type == ASSET else Process
            found = await self.session.scalar(select(model).where(model.namespace == namespace, model.name == name))
            if found is None and model is DataAsset:
                # Another name of the asset (an OpenLineage symlink, or its name before a RENAME).
                found = await self.session.scalar(
                    select(DataAsset).join(AssetAlias, AssetAlias.asset_id == DataAsset.id).where(
                        AssetAlias.namespace == namespace, AssetAlias.name == name
                    )
                )
            if found is None:
                raise NotFound(f"No {entity_type} named {name!r} in namespace {namespace!r}.", field="name", source="query")
            return self._start_at(found, entity_type)
        for model, kind in ((DataAsset, ASSET), (Process, PROCESS)):
            # Not the asset's aliases (a second query, loaded with every asset otherwise): a
            # start needs its name and fields.
            found = await self.session.get(model, node_id, options=[noload(DataAsset.aliases)] if model is DataAsset else None)
            if found is not None:
                return self._start_at(found, kind)
        if allow_catalog_node:
            catalog_node = await self.session.get(Node, node_id)
            if catalog_node is not None:
                asset_ids = (await self.session.scalars(select(DataAsset.id).where(DataAsset.node_id == node_id))).all()
                return Start({asset_id: ASSET for asset_id in asset_ids}, ImpactRoot(id=node_id, type="node", name=catalog_node.name))
        raise NotFound(f"No asset, process{' or catalog node' if allow_catalog_node else ''} with id {node_id}.", field="node_id", source="query")

    @staticmethod
    def _start_at(found: DataAsset | Process, kind: str) -> Start:
        root = ImpactRoot(id=found.id, type=kind, name=found.name, namespace=found.namespace)
        return Start({found.id: kind}, root, found if kind == ASSET else None)  # type: ignore[arg-type]

    async def graph(
        self,
        start: Start,
        direction: Direction,
        depth: int,
        *,
        as_of: datetime | None,
        columns: bool,
        field: str | None,
        max_nodes: int,
        hide: HideFilter = NO_FILTER,
    ) -> Graph:
        traversal = await self.store.traverse(start.ids, direction, depth, as_of=as_of, max_nodes=max_nodes, timeout=self.timeout)
        mappings = await self._edge_details(traversal) if (columns or field) else {}
        fields_by_node: dict[UUID, set[str]] | None = None
        if field is not None:
            declared = await self._declared_fields(traversal)
            traversal, fields_by_node, mappings = self._follow_field(start, field, direction, traversal, mappings, declared)
        nodes = await self._describe(traversal)
        if fields_by_node is not None:
            for node in nodes:
                node.fields = sorted(fields_by_node.get(node.id, ()))
        edges = [self._edge(hop.id, hop.source_id, hop.target_id, mappings) for hop in traversal.edges]
        hidden: list[UUID] = []
        if hide:
            nodes, edges, hidden = self._fold(start, nodes, traversal, hide, mappings)
        return Graph(nodes=nodes, edges=edges, truncated=traversal.truncated, source=traversal.source, hidden=hidden)

    @staticmethod
    def _edge(
        edge_id: UUID, source_id: UUID, target_id: UUID, mappings: dict[UUID, tuple[str, list[ColumnMapping]]], via: int = 0
    ) -> GraphEdge:
        origin, columns = mappings.get(edge_id, (None, None))
        return GraphEdge(id=edge_id, source_id=source_id, target_id=target_id, origin=origin, columns=columns, via=via or None)

    def _fold(
        self,
        start: Start,
        nodes: list[GraphNode],
        traversal: Traversal,
        hide: HideFilter,
        mappings: dict[UUID, tuple[str, list[ColumnMapping]]],
    ) -> tuple[list[GraphNode], list[GraphEdge], list[UUID]]:
        hidden = {node.id for node in nodes if node.id not in start.ids and hide.hides(node)}
        folded = fold_hidden([node.id for node in nodes], traversal.edges, hidden)
        edges = [self._edge(item.id, item.source_id, item.target_id, mappings, item.via) for item in folded]
        return [node for node in nodes if node.id not in hidden], edges, sorted(hidden, key=str)

    async def run_graph(self, run_id: str, *, columns: bool) -> Graph:
        """What one OpenLineage run touched: its process, what it read and wrote, and the edges
        between them as they stood when the run ended (the latest version if none did then)."""
        run = await self.session.scalar(select(Run).where(Run.run_id == run_id))
        if run is None:
            raise NotFound(f"No run has runId {run_id!r}: send one from GET /api/lineage/processes/{{id}}/runs.", field="run_id", source="query")
        touched = (await self.session.execute(select(RunDataset.asset_id, RunDataset.direction).where(RunDataset.run_id == run_id))).all()
        nodes = {run.process_id: Reached(run.process_id, PROCESS, 0), **{asset: Reached(asset, ASSET, 1) for asset, _ in touched}}
        at, hops = run.ended_at or run.updated_at, []
        for asset, direction in touched:
            source, target = (asset, run.process_id) if direction == "input" else (run.process_id, asset)
            versions = select(LineageEdge.id).where(LineageEdge.source_id == source, LineageEdge.target_id == target)
            then = versions.where(LineageEdge.valid_from <= at, (LineageEdge.valid_to.is_(None)) | (LineageEdge.valid_to > at))
            edge_id = await self.session.scalar(then.limit(1)) or await self.session.scalar(versions.order_by(LineageEdge.valid_from.desc()).limit(1))
            hops.append(Hop(edge_id or uuid5(NAMESPACE_URL, f"dlv:run:{run_id}:{source}:{target}"), source, target))
        traversal = Traversal(nodes=nodes, edges=hops, truncated=False, source="sql")
        mappings = await self._edge_details(traversal) if columns else {}
        edges = [self._edge(hop.id, hop.source_id, hop.target_id, mappings) for hop in hops]
        return Graph(nodes=await self._describe(traversal), edges=edges, truncated=False, source="sql")

    async def paths(
        self, source: Start, target: Start, max_depth: int, *, as_of: datetime | None, columns: bool, max_nodes: int
    ) -> Paths:
        """Every node and edge on a directed path from ``source`` to ``target``."""
        traversal, complete = await paths_between(
            self.store, source.ids, target.ids, max_depth, as_of=as_of, max_nodes=max_nodes, timeout=self.timeout
        )
        mappings = await self._edge_details(traversal) if columns else {}
        edges = [self._edge(hop.id, hop.source_id, hop.target_id, mappings) for hop in traversal.edges]
        return Paths(nodes=await self._describe(traversal), edges=edges, complete=complete, source=traversal.source)

    def _among(self, column: Any, ids: Sequence[UUID]) -> Any:
        return among_values(column, ids, self.session.bind.dialect.name, PG_UUID(as_uuid=True))

    async def _edge_details(self, traversal: Traversal) -> dict[UUID, tuple[str, list[ColumnMapping]]]:
        details: dict[UUID, tuple[str, list[ColumnMapping]]] = {}
        for chunk in _chunks([hop.id for hop in traversal.edges]):
            rows = await self.session.execute(
                select(LineageEdge.id, LineageEdge.origin, LineageEdge.columns).where(self._among(LineageEdge.id, chunk))
            )
            for edge_id, origin, mapped in rows:
                details[edge_id] = (origin, _stored_mappings(edge_id, mapped))
        return details

    async def _declared_fields(self, traversal: Traversal) -> dict[UUID, set[str]]:
        """Each reached asset's declared columns, so a field is not traced into an input lacking it."""
        declared: dict[UUID, set[str]] = {}
        asset_ids = [node_id for node_id, reached in traversal.nodes.items() if reached.type == ASSET]
        for chunk in _chunks(asset_ids):
            for asset_id, fields in await self.session.execute(select(DataAsset.id, DataAsset.fields).where(self._among(DataAsset.id, chunk))):
                declared[asset_id] = {item.get("name") for item in fields or []}
        return declared

    def _follow_field(
        self,
        start: Start,
        field: str,
        direction: Direction,
        traversal: Traversal,
        mappings: dict[UUID, tuple[str, list[ColumnMapping]]],
        declared_fields: dict[UUID, set[str]],
    ) -> tuple[Traversal, dict[UUID, set[str]], dict[UUID, tuple[str, list[ColumnMapping]]]]:
        """Column-level lineage inside the table-level neighbourhood.

        A state is (node, field); at a process the field travels on as "which input
        asset, which field", so the process's output mappings can match it.
        """
        if start.asset is None:
            raise BadRequest("field= starts a column-level traversal from an asset column: send the node_id of an asset.")
        known = {item.get("name") for item in start.asset.fields or []}
        if known and field not in known:
            raise BadRequest(
                f"Asset {start.asset.name!r} has no field {field!r}; its fields are {', '.join(sorted(known))}.", field="field", source="query"
            )
        types = {node_id: reached.type for node_id, reached in traversal.nodes.items()}
        out_edges: dict[UUID, list[Any]] = {}
        in_edges: dict[UUID, list[Any]] = {}
        for hop in traversal.edges:
            out_edges.setdefault(hop.source_id, []).append(hop)
            in_edges.setdefault(hop.target_id, []).append(hop)

        used: dict[UUID, list[ColumnMapping]] = {}
        crossed: set[UUID] = set()  # edges the field really travelled (both ends reached)
        fields_by_node: dict[UUID, set[str]] = {start.asset.id: {field}}
        depths: dict[UUID, int] = {start.asset.id: 0}

        def walk(forward: bool) -> None:
            # state: (node id, field, the asset the field belongs to when node is a process)
            queue = deque([(start.asset.id, field, None, 0)])
            seen = {(start.asset.id, field, None)}
            while queue:
                node_id, name, owner_asset, depth = queue.popleft()
                for hop in (out_edges if forward else in_edges).get(node_id, []):
                    other = hop.target_id if forward else hop.source_id
                    steps = self._field_steps(hop, types, name, owner_asset, forward, mappings, used, declared_fields)
                    if steps:
                        crossed.add(hop.id)
                    for next_state in steps:
                        key = (other, next_state[0], next_state[1])
                        if key in seen:
                            continue
                        seen.add(key)
                        depths[other] = min(depths.get(other, depth + 1), depth + 1)
                        if types[other] == ASSET:
                            fields_by_node.setdefault(other, set()).add(next_state[0])
                        else:
                            fields_by_node.setdefault(other, set())
                        queue.append((other, next_state[0], next_state[1], depth + 1))

        if direction in ("downstream", "both"):
            walk(True)
        if direction in ("upstream", "both"):
            walk(False)
        nodes = {node_id: traversal.nodes[node_id] for node_id in depths}
        edges = [hop for hop in traversal.edges if hop.id in crossed]
        narrowed = {hop.id: (mappings.get(hop.id, (None, []))[0], used.get(hop.id, [])) for hop in edges}
        return Traversal(nodes=nodes, edges=edges, truncated=traversal.truncated, source=traversal.source), fields_by_node, narrowed

    @staticmethod
    def _field_steps(
        hop: Any,
        types: dict[UUID, str],
        name: str,
        owner_asset: UUID | None,
        forward: bool,
        mappings: dict[UUID, tuple[str, list[ColumnMapping]]],
        used: dict[UUID, list[ColumnMapping]],
        declared_fields: dict[UUID, set[str]],
    ) -> list[tuple[str, UUID | None]]:
        """Where the field ``name`` goes across one edge: [(field on the far side, owning asset)].

        Processes pass fields through: entering one, the field keeps its name and remembers
        the asset it belongs to; leaving one, the process -> asset edge's mappings apply.
        """
        source_type, target_type = types[hop.source_id], types[hop.target_id]
        columns = mappings.get(hop.id, ("", []))[1]
        steps: list[tuple[str, UUID | None]] = []
        if source_type == ASSET and target_type == PROCESS:
            if forward:
                return [(name, hop.source_id)]
            declared = declared_fields.get(hop.source_id)
            if owner_asset not in (None, hop.source_id) or (declared and name not in declared):
                return []
            return [(name, None)]
        for mapping in columns:
            near, far = (mapping.source_field, mapping.target_field) if forward else (mapping.target_field, mapping.source_field)
            if near != name:
                continue
            if source_type == PROCESS and forward and mapping.source_asset_id not in (None, owner_asset):
                continue
            if mapping not in used.setdefault(hop.id, []):
                used[hop.id].append(mapping)
            steps.append((far, mapping.source_asset_id if source_type == PROCESS and not forward else None))
        return steps

    async def _describe(self, traversal: Traversal) -> list[GraphNode]:
        """Attach names, owners and health to the reached ids (from the relational truth).

        Plain column selects, not ORM entities: this runs for every node of every answer.
        """
        by_type: dict[str, list[UUID]] = {ASSET: [], PROCESS: []}
        for node_id, reached in traversal.nodes.items():
            by_type[reached.type].append(node_id)
        asset_rows = []
        for chunk in _chunks(by_type[ASSET]):
            asset_rows.extend(
                await self.session.execute(
                    select(
                        DataAsset.id, DataAsset.namespace, DataAsset.name, DataAsset.kind,
                        DataAsset.owner, DataAsset.criticality, DataAsset.node_id, DataAsset.tags, DataAsset.quality,
                    ).where(self._among(DataAsset.id, chunk))
                )
            )
        node_status: dict[UUID, str] = {}
        for chunk in _chunks(list({row.node_id for row in asset_rows if row.node_id})):
            node_status.update((await self.session.execute(select(Node.id, Node.status).where(self._among(Node.id, chunk)))).all())
        depth_of = traversal.nodes
        described = [
            GraphNode(
                id=row.id, type=ASSET, namespace=row.namespace, name=row.name, kind=row.kind, depth=depth_of[row.id].depth,
                owner=row.owner, criticality=row.criticality,
                health=node_status.get(row.node_id, "unknown") if row.node_id else "unknown", node_id=row.node_id,
                tags=row.tags or None,
                quality=row.quality.get("status") if isinstance(row.quality, dict) else None,
            )
            for row in asset_rows
        ]
        for chunk in _chunks(by_type[PROCESS]):
            rows = await self.session.execute(
                select(
                    Process.id, Process.namespace, Process.name, Process.kind,
                    Process.owner, Process.criticality, Process.last_run_state, Process.tags, Process.parent_id,
                ).where(self._among(Process.id, chunk))
            )
            described.extend(
                GraphNode(
                    id=row.id, type=PROCESS, namespace=row.namespace, name=row.name, kind=row.kind,
                    depth=depth_of[row.id].depth, owner=row.owner, criticality=row.criticality,
                    health=RUN_HEALTH.get(row.last_run_state or "", "unknown"), tags=row.tags or None, parent_id=row.parent_id,
                )
                for row in rows
            )
        await self._name_parents(described)
        described.sort(key=lambda node: (node.depth, node.type, node.namespace, node.name))
        return described

    async def _name_parents(self, described: list[GraphNode]) -> None:
        """The enclosing job's name on each process that has one (the UI groups by it)."""
        parent_ids = list({node.parent_id for node in described if node.parent_id})
        names: dict[UUID, str] = {}
        for chunk in _chunks(parent_ids):
            names.update((await self.session.execute(select(Process.id, Process.name).where(self._among(Process.id, chunk)))).all())
        for node in described:
            if node.parent_id:
                node.parent_name = names.get(node.parent_id)

    async def impact(self, start: Start, depth: int, *, max_nodes: int) -> Impact:
        downstream = await self.store.traverse(start.ids, "downstream", depth, max_nodes=max_nodes, timeout=self.timeout)
        upstream = await self.store.traverse(start.ids, "upstream", depth, max_nodes=max_nodes, timeout=self.timeout)
        impacted_nodes = [node for node in await self._describe(downstream) if node.id not in start.ids]
        impacted = [
            ImpactItem(
                id=node.id,
                type=node.type,
                namespace=node.namespace,
                name=node.name,
                kind=node.kind,
                distance=node.depth,
                owner=node.owner,
                criticality=node.criticality,
                health=node.health,
            )
            for node in sorted(impacted_nodes, key=lambda n: (n.depth, CRITICALITY_RANK.get(n.criticality, 4), n.name))
        ]
        summary = ImpactSummary(
            total=len(impacted),
            assets=sum(item.type == ASSET for item in impacted),
            processes=sum(item.type == PROCESS for item in impacted),
            unhealthy=sum(item.health in UNHEALTHY for item in impacted),
            by_criticality=dict(Counter(item.criticality or "unset" for item in impacted)),
            by_owner=dict(Counter(item.owner or "unowned" for item in impacted)),
        )
        return Impact(
            root=start.root,
            impacted=impacted,
            summary=summary,
            root_causes=await self._root_causes(upstream),
            truncated=downstream.truncated or upstream.truncated,
            source=downstream.source,
        )

    async def _root_causes(self, upstream: Traversal) -> list[RootCause]:
        """Failing processes and catalog nodes in error at or above the start."""
        causes: list[RootCause] = []
        seen_catalog: set[UUID] = set()
        described = await self._describe(upstream)
        catalog_ids = [node.node_id for node in described if node.node_id]
        names: dict[UUID, str] = {}
        for chunk in _chunks(list(set(catalog_ids))):
            names.update((await self.session.execute(select(Node.id, Node.name).where(self._among(Node.id, chunk)))).all())
        nearest = sorted((node for node in described if node.type == ASSET), key=lambda node: node.depth)[:SCHEMA_CHANGES_READ]
        changes = await RunHistory(self.session).breaking_changes([node.id for node in nearest])
        for node in described:
            if (change := changes.get(node.id)) is not None:
                causes.append(RootCause(
                    id=node.id, type=ASSET, namespace=node.namespace, name=node.name, distance=node.depth, health=node.health,
                    reason=change.reason(), columns=change.columns(),
                ))
            if node.type == PROCESS and node.health == "failed":
                causes.append(
                    RootCause(
                        id=node.id, type=PROCESS, namespace=node.namespace, name=node.name, distance=node.depth,
                        health=node.health, reason="its last run failed",
                    )
                )
            if node.type == ASSET and node.quality == "failing":
                causes.append(
                    RootCause(
                        id=node.id, type=ASSET, namespace=node.namespace, name=node.name, distance=node.depth,
                        health=node.health, reason="its data quality checks fail",
                    )
                )
            if node.type == ASSET and node.node_id and node.health == "error" and node.node_id not in seen_catalog:
                seen_catalog.add(node.node_id)
                causes.append(
                    RootCause(
                        id=node.node_id, type="node", name=names.get(node.node_id, str(node.node_id)), distance=node.depth,
                        health="error", reason=f"catalog node holding {node.name} is in error",
                    )
                )
        return sorted(causes, key=lambda cause: (cause.distance, cause.name))


def impact_csv(impact: Impact) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(IMPACT_CSV_COLUMNS)
    for item in impact.impacted:
        writer.writerow([getattr(item, column) if getattr(item, column) is not None else "" for column in IMPACT_CSV_COLUMNS])
    return buffer.getvalue()
