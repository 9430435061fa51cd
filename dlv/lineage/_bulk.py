"""``POST /api/lineage/bulk``: upsert assets, processes and edges by natural key, set-based.

Core statements, not the ORM's unit of work: each kind is read in a few queries (chunks of
names or ids) and written with one executemany per statement shape, so a request of
100,000 rows costs a few seconds of database work instead of a minute of object
bookkeeping. Because Core statements pass the session's events by, this module records
what they would have: the changed edges in the graph outbox (dlv.graph), an audit entry per
changed asset or process (dlv.audit) and one for the request's edges. The caller's
transaction makes it all or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from dlv.audit import Change, record, record_changes
from dlv.db.models import ASSET, DataAsset, LineageEdge, Node, Process
from dlv.db.sql import among_values, chunks, new_ids, pair_params, pairs_among, with_defaults
from dlv.graph import outbox_enabled, outbox_write
from dlv.lib.exceptions import BadRequest
from dlv.lineage._edges import now
from dlv.lineage._schemas import AssetCreate, BulkEdge, ProcessCreate
from dlv.lineage.rules import check_edge_shape, to_builtins

Key = tuple[str, str, str]  # (type, namespace, name)
Ends = tuple[tuple[UUID, str], tuple[UUID, str]]
EDGES = LineageEdge.__table__
# The columns a current edge is compared on, and what ending it changes.
EDGE_READ = (EDGES.c.id, EDGES.c.source_id, EDGES.c.target_id, EDGES.c.columns, EDGES.c.valid_from)
# Every column a new asset or process row gets (the ones a request lacks take the model's defaults).
NEW_ROW_COLUMNS = {model: [c.name for c in model.__table__.c if c.name != "sa_orm_sentinel"] for model in (DataAsset, Process)}
END_EDGE = update(EDGES).where(EDGES.c.id == bindparam("edge_id")).values(valid_to=bindparam("ended_at"))


async def bulk_upsert(
    session: AsyncSession, assets: Sequence[AssetCreate], processes: Sequence[ProcessCreate], edges: Sequence[BulkEdge]
) -> dict[str, dict[str, int]]:
    """Upsert everything by natural key, rows in request order (a name sent twice: the later
    row updates what the earlier one made); returns created/updated counts per kind."""
    counts = {name: {"created": 0, "updated": 0} for name in ("assets", "processes", "edges")}
    connection = await session.connection()
    await _check_nodes(connection, assets)
    at, changes = now(), []
    ids: dict[Key, UUID] = {}
    for label, model, rows in (("assets", DataAsset, assets), ("processes", Process, processes)):
        ids.update(await _upsert_named(connection, model, rows, counts[label], at, changes))
    ends = await _edge_ends(connection, edges, ids)
    written, replaced = await _write_edges(connection, edges, ends, counts["edges"], at)
    if outbox_enabled(session) and written:
        await connection.execute(*outbox_write(written))
    await record_changes(session, changes, at)
    if written:
        # One entry for the request's edges rather than one per edge: they were a third of a
        # bulk request's cost, and an edge's versions (valid_from/valid_to) already say when
        # it changed; this says who changed it, in which request.
        added = len(written) - replaced
        record(session, "create", "lineage_edge", None, f"bulk: {added} edges", summary=f"{added} edge versions added, {replaced} replaced ones retired")
    return counts


async def _check_nodes(connection: AsyncConnection, assets: Sequence[AssetCreate]) -> None:
    named = {asset.node_id for asset in assets if asset.node_id is not None}
    known: set[UUID] = set()
    for chunk in chunks(list(named)):
        known.update((await connection.scalars(select(Node.id).where(_among(connection, Node.id, chunk)))).all())
    for index, asset in enumerate(assets):
        if asset.node_id is not None and asset.node_id not in known:
            raise BadRequest(
                f"assets[{index}] ({asset.namespace}/{asset.name}): Invalid field node_id: no catalog node with id {asset.node_id}; "
                "send the id of a node from /api/nodes or null.",
                field=f"assets[{index}]",
            )


async def _upsert_named(
    connection: AsyncConnection, model: Any, rows: Sequence[Any], counts: dict[str, int], at: datetime, changes: list[Change]
) -> dict[Key, UUID]:
    kind = ASSET if model is DataAsset else "process"
    table = model.__table__
    stored = await _named(connection, table, list(dict.fromkeys((row.namespace, row.name) for row in rows)))
    final: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row.namespace, row.name)
        counts["updated" if key in stored or key in final else "created"] += 1
        final[key] = {**final.get(key, {}), **_values(row), "deleted_at": None}
    ids, created, updated = {}, [], []
    fresh = iter(new_ids(len(final) - len(stored)))
    for (namespace, name), values in final.items():
        old = stored.get((namespace, name))
        if old is None:
            new = {**values, "id": next(fresh), "created_at": at, "updated_at": at}
            created.append(new)
            changes.append(Change(model, "create", {}, new))
        else:
            new = {**old, **values}
            changed = {column: value for column, value in values.items() if old[column] != value}
            if changed:
                updated.append((old["id"], changed))
                changes.append(Change(model, "update", old, new))
        ids[(kind, namespace, name)] = new["id"]
    if created:
        await connection.execute(insert(table), with_defaults(table, created, NEW_ROW_COLUMNS[model]))
    await _update_rows(connection, table, updated, at)
    return ids


def _values(row: AssetCreate | ProcessCreate) -> dict[str, Any]:
    values = to_builtins(row)
    if values.get("node_id") is not None:
        values["node_id"] = UUID(values["node_id"])
    return values


async def _update_rows(connection: AsyncConnection, table: Any, updated: list[tuple[UUID, dict[str, Any]]], at: datetime) -> None:
    """One executemany per set of changed columns (most re-sent rows change the same few)."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row_id, changed in updated:
        names = tuple(sorted(changed))
        by_columns.setdefault(names, []).append({"row_id": row_id, "changed_at": at, **{f"new_{name}": changed[name] for name in names}})
    for names, params in by_columns.items():
        values = {name: bindparam(f"new_{name}", type_=table.c[name].type) for name in names}
        statement = update(table).where(table.c.id == bindparam("row_id")).values(**values, updated_at=bindparam("changed_at"))
        await connection.execute(statement, params)


async def _named(
    connection: AsyncConnection, table: Any, keys: list[tuple[str, str]], columns: Sequence[str] = ()
) -> dict[tuple[str, str], dict[str, Any]]:
    """The stored rows with these (namespace, name) keys: every column, or only ``columns``."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    read = select(*(table.c[name] for name in columns)) if columns else select(table)
    for chunk in chunks(keys):
        statement = read.where(pairs_among(table.c.namespace, table.c.name, connection.dialect.name))
        for row in await connection.execute(statement, pair_params(chunk)):
            found[(row.namespace, row.name)] = dict(row._mapping)
    return found


async def stored_keys(session: AsyncSession, keys: set[Key]) -> set[Key]:
    """Which of these (type, namespace, name) keys name a live stored asset or process."""
    return set(await _live_ids(await session.connection(), keys))


async def _live_ids(connection: AsyncConnection, keys: set[Key]) -> dict[Key, UUID]:
    """The ids of the live (not deleted) stored assets and processes these keys name."""
    found: dict[Key, UUID] = {}
    for model, kind in ((DataAsset, ASSET), (Process, "process")):
        wanted = [(namespace, name) for end_type, namespace, name in keys if end_type == kind]
        for (namespace, name), row in (await _named(connection, model.__table__, wanted, ("id", "namespace", "name", "deleted_at"))).items():
            if row["deleted_at"] is None:
                found[(kind, namespace, name)] = row["id"]
    return found


async def _edge_ends(connection: AsyncConnection, edges: Sequence[BulkEdge], ids: dict[Key, UUID]) -> list[Ends]:
    """Each edge's (id, type) ends: rows of this request, else live assets and processes."""
    missing = {(end.type, end.namespace, end.name) for edge in edges for end in (edge.source, edge.target)} - ids.keys()
    ids.update(await _live_ids(connection, missing))
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
    connection: AsyncConnection, edges: Sequence[BulkEdge], ends: list[Ends], counts: dict[str, int], at: datetime
) -> tuple[list[UUID], int]:
    """What ``EdgeWriter.add`` does for each edge: an identical current edge stays, one with
    other columns ends where its successor starts. Ends are written before the new versions
    (a pair has one current edge). Returns the ids of every edge written and how many of
    them were stored versions this request ended."""
    current = await _current_edges(connection, {source for (source, _), _ in ends})
    added: dict[UUID, dict[str, Any]] = {}
    ended: list[dict[str, Any]] = []
    fresh = iter(new_ids(len(edges)))
    for edge, ((source, source_type), (target, target_type)) in zip(edges, ends):
        columns = to_builtins(list(edge.columns))
        previous = current.get((source, target))
        if previous is not None and previous["columns"] == columns:
            counts["updated"] += 1
            continue
        counts["created" if previous is None else "updated"] += 1
        start = at if previous is None else max(at, previous["valid_from"])
        if previous is not None:
            if previous["id"] in added:  # sent twice in this request: the first version ends at once
                previous["valid_to"] = start
            else:
                ended.append({"edge_id": previous["id"], "ended_at": start})
        version = {
            "id": next(fresh), "source_id": source, "source_type": source_type, "target_id": target, "target_type": target_type,
            "columns": columns, "origin": edge.origin, "valid_from": start, "valid_to": None, "run_id": None,
        }
        current[(source, target)] = added[version["id"]] = version
    if ended:
        await connection.execute(END_EDGE, ended)
    if added:
        await connection.execute(insert(EDGES), list(added.values()))
    return [item["edge_id"] for item in ended] + list(added), len(ended)


async def _current_edges(connection: AsyncConnection, sources: set[UUID]) -> dict[tuple[UUID, UUID], dict[str, Any]]:
    current: dict[tuple[UUID, UUID], dict[str, Any]] = {}
    for chunk in chunks(list(sources)):
        statement = select(*EDGE_READ).where(EDGES.c.valid_to.is_(None), _among(connection, EDGES.c.source_id, chunk))
        for row in await connection.execute(statement):
            current[(row.source_id, row.target_id)] = dict(row._mapping)
    return current


def _among(connection: AsyncConnection, column: Any, values: Sequence[UUID]) -> Any:
    return among_values(column, values, connection.dialect.name, PG_UUID(as_uuid=True))
