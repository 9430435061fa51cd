"""``POST /api/lineage/bulk``: upsert assets, processes and edges by natural key, set-based.

Each kind is read in a few queries (chunks of names or ids) and written in one flush of the
unit of work, instead of a query and a flush per row, so a request of tens of thousands of
rows is seconds, not minutes. Writes still go through the ORM, so the audit log and the graph
outbox see every row as they do for single writes; the caller's transaction makes it all or
nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import ASSET, DataAsset, LineageEdge, Node, Process
from dlv.db.sql import among_values, chunks, pair_params, pairs_among
from dlv.lib.exceptions import BadRequest
from dlv.lineage._edges import now
from dlv.lineage._schemas import AssetCreate, BulkEdge, ProcessCreate
from dlv.lineage.rules import check_edge_shape, end_version, to_builtins

Key = tuple[str, str, str]  # (type, namespace, name)


async def bulk_upsert(
    session: AsyncSession, assets: Sequence[AssetCreate], processes: Sequence[ProcessCreate], edges: Sequence[BulkEdge]
) -> dict[str, dict[str, int]]:
    """Upsert everything by natural key, rows in request order (a name sent twice: the later
    row updates what the earlier one made); returns created/updated counts per kind."""
    counts = {name: {"created": 0, "updated": 0} for name in ("assets", "processes", "edges")}
    await _check_nodes(session, assets)
    ids: dict[Key, UUID] = {}
    for label, model, rows in (("assets", DataAsset, assets), ("processes", Process, processes)):
        ids.update(await _upsert_named(session, label, model, rows, counts[label]))
    ends = await _edge_ends(session, edges, ids)
    await _write_edges(session, edges, ends, counts["edges"])
    return counts


async def _check_nodes(session: AsyncSession, assets: Sequence[AssetCreate]) -> None:
    named = {asset.node_id for asset in assets if asset.node_id is not None}
    known: set[UUID] = set()
    for chunk in chunks(list(named)):
        known.update(await session.scalars(select(Node.id).where(_among(session, Node.id, chunk))))
    for index, asset in enumerate(assets):
        if asset.node_id is not None and asset.node_id not in known:
            raise BadRequest(
                f"assets[{index}] ({asset.namespace}/{asset.name}): Invalid field node_id: no catalog node with id {asset.node_id}; "
                "send the id of a node from /api/nodes or null.",
                field=f"assets[{index}]",
            )


async def _upsert_named(session: AsyncSession, label: str, model: Any, rows: Sequence[Any], counts: dict[str, int]) -> dict[Key, UUID]:
    kind = ASSET if model is DataAsset else "process"
    items = await _named(session, model, list(dict.fromkeys((row.namespace, row.name) for row in rows)))
    for row in rows:
        values = _values(row)
        item = items.get((row.namespace, row.name))
        if item is None:
            item = items[(row.namespace, row.name)] = model(**values)
            session.add(item)
            counts["created"] += 1
            continue
        for name, value in {**values, "deleted_at": None}.items():
            if getattr(item, name) != value:
                setattr(item, name, value)
        counts["updated"] += 1
    await session.flush()
    return {(kind, namespace, name): item.id for (namespace, name), item in items.items()}


def _values(row: AssetCreate | ProcessCreate) -> dict[str, Any]:
    values = to_builtins(row)
    if values.get("node_id") is not None:
        values["node_id"] = UUID(values["node_id"])
    return values


async def _named(session: AsyncSession, model: Any, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    found: dict[tuple[str, str], Any] = {}
    dialect = session.get_bind().dialect.name
    for chunk in chunks(keys):
        statement = select(model).where(pairs_among(model.namespace, model.name, dialect))
        for item in await session.scalars(statement, pair_params(chunk)):
            found[(item.namespace, item.name)] = item
    return found


async def _edge_ends(session: AsyncSession, edges: Sequence[BulkEdge], ids: dict[Key, UUID]) -> list[tuple[tuple[UUID, str], tuple[UUID, str]]]:
    """Each edge's (id, type) ends: rows of this request, else live assets and processes."""
    missing = {(end.type, end.namespace, end.name) for edge in edges for end in (edge.source, edge.target)} - ids.keys()
    for model, kind in ((DataAsset, ASSET), (Process, "process")):
        wanted = [(namespace, name) for end_type, namespace, name in missing if end_type == kind]
        for (namespace, name), item in (await _named(session, model, wanted)).items():
            if item.deleted_at is None:
                ids[(kind, namespace, name)] = item.id
    ends = []
    for index, edge in enumerate(edges):
        for end in (edge.source, edge.target):
            if (end.type, end.namespace, end.name) not in ids:
                raise BadRequest(
                    f"edges[{index}]: no {end.type} {end.namespace}/{end.name}; add it to the "
                    f"{'assets' if end.type == ASSET else 'processes'} of this request or create it first.",
                    field=f"edges[{index}]",
                )
        source, target = ids[(edge.source.type, edge.source.namespace, edge.source.name)], ids[(edge.target.type, edge.target.namespace, edge.target.name)]
        try:
            check_edge_shape(edge.source.type, edge.target.type, source, target)
        except BadRequest as exc:
            raise BadRequest(f"edges[{index}]: {exc.detail}", field=f"edges[{index}]") from None
        ends.append(((source, edge.source.type), (target, edge.target.type)))
    return ends


async def _write_edges(
    session: AsyncSession, edges: Sequence[BulkEdge], ends: list[tuple[tuple[UUID, str], tuple[UUID, str]]], counts: dict[str, int]
) -> None:
    """``EdgeWriter.add`` for every edge: an identical current edge stays, one with other
    columns ends where its successor starts. Ends are flushed before the new versions (a pair
    has one current edge)."""
    current = await _current_edges(session, {source for (source, _), _ in ends})
    at, added = now(), []
    for edge, ((source, source_type), (target, target_type)) in zip(edges, ends):
        columns = to_builtins(list(edge.columns))
        previous = current.get((source, target))
        if previous is not None and previous.columns == columns:
            counts["updated"] += 1
            continue
        counts["created" if previous is None else "updated"] += 1
        version = LineageEdge(
            source_id=source, source_type=source_type, target_id=target, target_type=target_type,
            columns=columns, origin=edge.origin, valid_from=end_version(previous, at),
        )
        current[(source, target)] = version
        added.append(version)
    await session.flush()
    session.add_all(added)
    await session.flush()


async def _current_edges(session: AsyncSession, sources: set[UUID]) -> dict[tuple[UUID, UUID], LineageEdge]:
    current: dict[tuple[UUID, UUID], LineageEdge] = {}
    for chunk in chunks(list(sources)):
        statement = select(LineageEdge).where(LineageEdge.valid_to.is_(None), _among(session, LineageEdge.source_id, chunk))
        for edge in await session.scalars(statement):
            current[(edge.source_id, edge.target_id)] = edge
    return current


def _among(session: AsyncSession, column: Any, values: Sequence[UUID]) -> Any:
    return among_values(column, values, session.get_bind().dialect.name, PG_UUID(as_uuid=True))
