"""``GET /lineage`` and ``GET /column-lineage`` in Marquez's graph shape ({id, type, data,
inEdges, outEdges}), answered by DLV's own traversal (SQL or Neo4j, ``as_of`` included)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import ASSET, PROCESS, DataAsset, Process
from dlv.db.sql import chunks
from dlv.lineage import LineageGraph
from dlv.marquez import _schemas as m
from dlv.marquez._ids import DATASET_FIELD, JOB, NodeId, dataset_node, field_node, job_node, version_uuid
from dlv.marquez._shapes import JobContext, dataset, latest_writes


class MarquezLineage:
    def __init__(self, session: AsyncSession, graph: LineageGraph, max_nodes: int) -> None:
        self.session, self.graph, self.max_nodes = session, graph, max_nodes

    async def _start(self, node: NodeId) -> Any:
        return await self.graph.resolve(None, PROCESS if node.kind == JOB else ASSET, node.namespace, node.name)

    async def lineage(self, node: NodeId, depth: int, as_of: datetime | None) -> m.Lineage:
        found = await self.graph.graph(await self._start(node), "both", depth, as_of=as_of, columns=False, field=None, max_nodes=self.max_nodes)
        kinds = {item.id: item.type for item in found.nodes}
        assets = await _rows(self.session, DataAsset, [key for key, kind in kinds.items() if kind == ASSET])
        processes = await _rows(self.session, Process, [key for key, kind in kinds.items() if kind == PROCESS])
        latest = await latest_writes(self.session, list(assets))
        context = await JobContext.read(self.session, list(processes.values()), as_of)
        ids = {key: dataset_node(row.namespace, row.name) for key, row in assets.items()}
        ids |= {key: job_node(row.namespace, row.name) for key, row in processes.items()}
        into, out_of = _index([m.Edge(origin=ids[edge.source_id], destination=ids[edge.target_id]) for edge in found.edges if edge.source_id in ids and edge.target_id in ids])
        graph = [
            m.Node(id=ids[key], type="DATASET", data=dataset(row, latest.get(key)), in_edges=into[ids[key]], out_edges=out_of[ids[key]])
            for key, row in assets.items()
        ] + [
            m.Node(id=ids[key], type="JOB", data=context.job(row), in_edges=into[ids[key]], out_edges=out_of[ids[key]])
            for key, row in processes.items()
        ]
        return m.Lineage(graph=sorted(graph, key=lambda item: item.id))

    async def column_lineage(self, node: NodeId, depth: int, with_downstream: bool) -> m.Lineage:
        """Each column a column mapping names is a node; a job between two datasets is a hop of
        DLV's graph, so ``depth`` column hops are twice as many graph edges."""
        field = node.field if node.kind == DATASET_FIELD else None
        # A job's columns are its outputs' (one edge downstream) and what feeds them upstream.
        direction = "both" if with_downstream or node.kind == JOB else "upstream"
        edges = depth * 2 - 1 if node.kind == JOB and not with_downstream else depth * 2
        found = await self.graph.graph(await self._start(node), direction, max(edges, 0), as_of=None, columns=True, field=field, max_nodes=self.max_nodes)
        kinds = {item.id: item.type for item in found.nodes}
        assets = await _rows(self.session, DataAsset, [key for key, kind in kinds.items() if kind == ASSET])
        latest = await latest_writes(self.session, list(assets))
        reads: dict[UUID, list[UUID]] = defaultdict(list)
        for edge in found.edges:
            if kinds.get(edge.target_id) == PROCESS and edge.source_id in assets:
                reads[edge.target_id].append(edge.source_id)
        columns = _Columns(assets, latest)
        for edge in found.edges:
            if edge.target_id not in assets:
                continue
            for mapping in edge.columns or []:
                source = edge.source_id if edge.source_id in assets else mapping.source_asset_id or _sole(reads[edge.source_id])
                if source in assets:
                    columns.link(source, mapping.source_field, edge.target_id, mapping.target_field, mapping.transformation)
        return m.Lineage(graph=columns.nodes())


class _Columns:
    def __init__(self, assets: dict[UUID, DataAsset], latest: dict[UUID, tuple[str, datetime]]) -> None:
        self.assets, self.latest = assets, latest
        self.inputs: dict[tuple[UUID, str], list[tuple[UUID, str, str | None]]] = {}
        self.edges: list[m.Edge] = []

    def _id(self, asset: UUID, name: str) -> str:
        return field_node(self.assets[asset].namespace, self.assets[asset].name, name)

    def _version(self, asset: UUID) -> UUID | None:
        latest = self.latest.get(asset)
        return version_uuid(asset, latest[0]) if latest else None

    def link(self, source: UUID, source_field: str, target: UUID, target_field: str, transformation: str | None) -> None:
        self.inputs.setdefault((source, source_field), [])
        inputs = self.inputs.setdefault((target, target_field), [])
        if (source, source_field, transformation) not in inputs:
            inputs.append((source, source_field, transformation))
            self.edges.append(m.Edge(origin=self._id(source, source_field), destination=self._id(target, target_field)))

    def nodes(self) -> list[m.Node]:
        into, out_of = _index(self.edges)
        nodes = []
        for (asset, name), inputs in sorted(self.inputs.items(), key=lambda item: self._id(*item[0])):
            row, key = self.assets[asset], self._id(asset, name)
            types = {item.get("name"): item.get("type") for item in row.fields or []}
            transformation = inputs[0][2] if inputs else None
            data = m.FieldData(
                namespace=row.namespace, dataset=row.name, dataset_version=self._version(asset), field=name, field_type=types.get(name),
                transformation_type=transformation,
                input_fields=[
                    m.InputField(namespace=self.assets[source].namespace, dataset=self.assets[source].name, dataset_version=self._version(source),
                                 field=source_field, transformation_type=kind)
                    for source, source_field, kind in inputs
                ],
            )
            nodes.append(m.Node(id=key, type="DATASET_FIELD", data=data, in_edges=into[key], out_edges=out_of[key]))
        return nodes


def _sole(items: Sequence[UUID]) -> UUID | None:
    return items[0] if len(set(items)) == 1 else None


def _index(edges: list[m.Edge]) -> tuple[dict[str, list[m.Edge]], dict[str, list[m.Edge]]]:
    """Each node's incoming and outgoing edges."""
    into: dict[str, list[m.Edge]] = defaultdict(list)
    out_of: dict[str, list[m.Edge]] = defaultdict(list)
    for edge in edges:
        into[edge.destination].append(edge)
        out_of[edge.origin].append(edge)
    return into, out_of


# The columns a graph node shows: plain rows, not ORM objects (no identity map, no aliases
# loaded), read by the same attribute names.
SHOWN = {
    DataAsset: ("id", "namespace", "name", "kind", "created_at", "updated_at", "fields", "tags", "description", "deleted_at"),
    Process: ("id", "namespace", "name", "kind", "created_at", "updated_at", "tags", "description", "parent_id"),
}


async def _rows(session: AsyncSession, model: Any, ids: list[UUID]) -> dict[UUID, Any]:
    rows: dict[UUID, Any] = {}
    columns = [getattr(model, name) for name in SHOWN[model]]
    for chunk in chunks(ids):
        rows.update({row.id: row for row in await session.execute(select(*columns).where(model.id.in_(chunk)))})
    return rows
