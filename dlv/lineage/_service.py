"""Lineage writes: assets, processes and the temporal edges between them.

Every edge change goes through ``EdgeWriter`` so history is kept the same way everywhere:
an edge is never updated in place, it is retired (``valid_to``) and, if needed, replaced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import ASSET, PROCESS, DataAsset, LineageEdge, Node, Process, Run
from dlv.lib.exceptions import BadRequest, Conflict, NotFound
from dlv.lineage._schemas import AssetCreate, ColumnMapping, ProcessCreate

Entity = TypeVar("Entity", DataAsset, Process)


def now() -> datetime:
    return datetime.now(timezone.utc)


def to_builtins(value: Any) -> Any:
    """msgspec Structs -> plain JSON-able values for JSON columns."""
    return msgspec.to_builtins(value)


async def entity_types(session: AsyncSession, ids: Iterable[UUID], *, include_deleted: bool = False) -> dict[UUID, str]:
    """Which of ``ids`` are assets and which are processes."""
    wanted = list(set(ids))
    found: dict[UUID, str] = {}
    for model, kind in ((DataAsset, ASSET), (Process, PROCESS)):
        statement = select(model.id).where(model.id.in_(wanted))
        if not include_deleted:
            statement = statement.where(model.deleted_at.is_(None))
        found.update({row: kind for row in (await session.scalars(statement)).all()})
    return found


def merge_columns(*mappings: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The union of column mappings (JSON form), one per (source asset, source field, target
    field), in a fixed order so the result does not depend on the order events arrived in."""
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for mapping in (item for group in mappings for item in group):
        key = (str(mapping.get("source_asset_id") or ""), mapping["source_field"], mapping["target_field"])
        known = merged.get(key)
        # Of two descriptions of one mapping keep the fuller one (ties: the larger), again order-free.
        text = mapping.get("transformation") or ""
        if known is None or (len(text), text) > (len(known.get("transformation") or ""), known.get("transformation") or ""):
            merged[key] = mapping
    return [merged[key] for key in sorted(merged, key=lambda key: (key[2], key[0], key[1]))]


def check_edge_shape(source_type: str, target_type: str, source_id: UUID, target_id: UUID) -> None:
    if source_id == target_id:
        raise BadRequest(
            "An edge cannot start and end at the same node: send a source_id and a target_id that differ."
        )
    if source_type == PROCESS and target_type == PROCESS:
        raise BadRequest(
            "An edge cannot join two processes: data flows asset -> process (reads), process -> asset "
            "(writes) or asset -> asset (derivation). Put the asset the processes share between them."
        )


# Statements run for every observed run (OpenLineage's hot path), built once with bound
# parameters so SQLAlchemy does not rebuild and re-hash them each time.
_node = bindparam("node_id")
CURRENT_EDGES_TOUCHING = select(LineageEdge).where(
    LineageEdge.valid_to.is_(None), or_(LineageEdge.source_id == _node, LineageEdge.target_id == _node)
)
_process = bindparam("process_id")
RETIRE_SUPERSEDED = (
    update(LineageEdge)
    .where(
        LineageEdge.valid_to.is_(None),
        LineageEdge.origin == bindparam("edge_origin"),
        LineageEdge.valid_from <= bindparam("at"),
        or_(LineageEdge.source_id == _process, LineageEdge.target_id == _process),
        LineageEdge.run_id.in_(select(Run.run_id).where(Run.process_id == _process, Run.started_at < bindparam("started_at"))),
    )
    .values(valid_to=bindparam("at"))
    .execution_options(synchronize_session="fetch")
)


class EdgeWriter:
    """The one place edges are created, replaced and retired."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        source: tuple[UUID, str],
        target: tuple[UUID, str],
        columns: Sequence[ColumnMapping],
        origin: str,
        *,
        at: datetime | None = None,
    ) -> tuple[LineageEdge, bool]:
        """Make ``source -> target`` current with these columns; return (edge, created?).

        An identical current edge is kept as is; one with other columns is retired and
        replaced, so ``as_of`` still shows the old mapping.
        """
        (source_id, source_type), (target_id, target_type) = source, target
        check_edge_shape(source_type, target_type, source_id, target_id)
        mapped = to_builtins(list(columns))
        current = await self.session.scalar(
            select(LineageEdge).where(
                LineageEdge.source_id == source_id, LineageEdge.target_id == target_id, LineageEdge.valid_to.is_(None)
            )
        )
        if current is not None and current.columns == mapped:
            return current, False
        edge = await self._new_version(current, source, target, mapped, origin, at or now())
        await self.session.flush()
        return edge, current is None

    async def _new_version(
        self,
        previous: LineageEdge | None,
        source: tuple[UUID, str],
        target: tuple[UUID, str],
        columns: list[dict[str, Any]],
        origin: str,
        at: datetime,
        run_id: str | None = None,
    ) -> LineageEdge:
        """End ``previous`` (if any) and start the edge's next version at the same instant,
        never before the previous one began."""
        if previous is not None:
            at = max(at, previous.valid_from)
            previous.valid_to = at
            await self.session.flush()
        edge = LineageEdge(
            source_id=source[0],
            source_type=source[1],
            target_id=target[0],
            target_type=target[1],
            columns=columns,
            origin=origin,
            valid_from=at,
            run_id=run_id,
        )
        self.session.add(edge)
        return edge

    async def observe(
        self,
        observed: Sequence[tuple[tuple[UUID, str], tuple[UUID, str], Sequence[ColumnMapping]]],
        *,
        touching: UUID,
        origin: str,
        run_id: str | None,
        at: datetime,
    ) -> None:
        """Record that run ``run_id`` produced these (source, target, columns) edges, all touching
        ``touching`` (the run's process), at ``at``.

        One run reports its lineage in several events (START, RUNNING, COMPLETE, in any order),
        so within a run observations accumulate: column mappings are merged into the run's
        edge and the edge starts at the run's earliest observation. Another run reporting
        different columns replaces the edge as ``add`` does; the same columns carry over.
        """
        current = {
            (edge.source_id, edge.target_id): edge for edge in await self.session.scalars(CURRENT_EDGES_TOUCHING, {"node_id": touching})
        }
        for (source_id, source_type), (target_id, target_type), columns in observed:
            check_edge_shape(source_type, target_type, source_id, target_id)
            mapped = merge_columns(to_builtins(list(columns)))
            edge = current.get((source_id, target_id))
            if edge is not None and run_id is not None and edge.run_id == run_id:
                merged = merge_columns(edge.columns, mapped)
                if merged != edge.columns:
                    edge.columns = merged
                if at < edge.valid_from:
                    await self._start_earlier(edge, at)
                continue
            if edge is not None and edge.columns == mapped:
                edge.run_id = run_id if run_id is not None else edge.run_id
                continue
            current[(source_id, target_id)] = await self._new_version(
                edge, (source_id, source_type), (target_id, target_type), mapped, origin, at, run_id
            )
        await self.session.flush()

    async def _start_earlier(self, edge: LineageEdge, at: datetime) -> None:
        """Move the start of ``edge`` back to ``at`` and end the version it replaced there too,
        so a late-arriving earlier event leaves the same history as in-order delivery."""
        replaced = await self.session.scalar(
            select(LineageEdge).where(
                LineageEdge.source_id == edge.source_id,
                LineageEdge.target_id == edge.target_id,
                LineageEdge.valid_to == edge.valid_from,
            )
        )
        start = at if replaced is None else max(at, replaced.valid_from)
        if replaced is not None:
            replaced.valid_to = start
        edge.valid_from = start

    async def retire_superseded(self, run: Run, origin: str, at: datetime) -> int:
        """``run`` completed, so it is what its process does now: end the current ``origin``
        edges of the process that only runs started before it produced."""
        result = await self.session.execute(
            RETIRE_SUPERSEDED, {"process_id": run.process_id, "started_at": run.started_at, "edge_origin": origin, "at": at}
        )
        return result.rowcount or 0

    async def retire(self, edge_ids: Iterable[UUID] | None = None, *, touching: UUID | None = None, at: datetime | None = None) -> int:
        """End current edges, by id or every edge touching one node."""
        statement = update(LineageEdge).where(LineageEdge.valid_to.is_(None)).values(valid_to=at or now())
        if edge_ids is not None:
            statement = statement.where(LineageEdge.id.in_(list(edge_ids)))
        if touching is not None:
            statement = statement.where(or_(LineageEdge.source_id == touching, LineageEdge.target_id == touching))
        result = await self.session.execute(statement.execution_options(synchronize_session=False))
        return result.rowcount or 0

    async def purge(self, *, edge_id: UUID | None = None, touching: UUID | None = None) -> None:
        """Erase history for good (admins only, e.g. data entered by mistake)."""
        statement = delete(LineageEdge)
        if edge_id is not None:
            statement = statement.where(LineageEdge.id == edge_id)
        if touching is not None:
            statement = statement.where(or_(LineageEdge.source_id == touching, LineageEdge.target_id == touching))
        await self.session.execute(statement.execution_options(synchronize_session=False))


class _EntityService(SQLAlchemyAsyncRepositoryService[Entity]):
    """Shared life cycle of assets and processes: unique natural key, soft delete, purge."""

    entity_label = "entity"

    async def get_live(self, item_id: UUID) -> Entity:
        item = await self.get_one_or_none(id=item_id)
        if item is None or item.deleted_at is not None:
            raise NotFound(f"No {self.entity_label} with id {item_id}; search for it at /api/search?q=...")
        return item

    async def find(self, namespace: str, name: str) -> Entity | None:
        return await self.get_one_or_none(namespace=namespace, name=name)

    async def create_from(self, data: msgspec.Struct) -> Entity:
        existing = await self.find(data.namespace, data.name)  # type: ignore[attr-defined]
        if existing is not None and existing.deleted_at is None:
            raise Conflict(
                f"A {self.entity_label} named {data.name!r} already exists in namespace "  # type: ignore[attr-defined]
                f"{data.namespace!r} (id {existing.id}); PATCH it or use POST /api/lineage/bulk to upsert."  # type: ignore[attr-defined]
            )
        values = to_builtins(data)
        await self._check_references(values)
        if existing is not None:  # re-created after a delete: the same identity comes back
            for key, value in values.items():
                setattr(existing, key, value)
            existing.deleted_at = None
            return await self.update(existing)
        return await self.create(self.repository.model_type(**values))

    async def upsert_from(self, data: msgspec.Struct) -> tuple[Entity, bool]:
        """Create or update by (namespace, name); return (entity, created?)."""
        values = to_builtins(data)
        await self._check_references(values)
        existing = await self.find(values["namespace"], values["name"])
        if existing is None:
            return await self.create(self.repository.model_type(**values)), True
        for key, value in values.items():
            setattr(existing, key, value)
        existing.deleted_at = None
        return await self.update(existing), False

    async def change(self, item_id: UUID, data: msgspec.Struct) -> Entity:
        item = await self.get_live(item_id)
        changes = {
            field: to_builtins(getattr(data, field))
            for field in data.__struct_fields__
            if getattr(data, field) is not msgspec.UNSET
        }
        await self._check_references(changes)
        for key, value in changes.items():
            setattr(item, key, value)
        return await self.update(item)

    async def retire(self, item_id: UUID) -> None:
        item = await self.get_live(item_id)
        when = now()
        item.deleted_at = when
        await EdgeWriter(self.repository.session).retire(touching=item.id, at=when)
        await self.update(item)

    async def purge(self, item_id: UUID) -> None:
        item = await self.get(item_id)
        await EdgeWriter(self.repository.session).purge(touching=item.id)
        await self.delete(item.id)

    async def _check_references(self, values: dict[str, Any]) -> None:
        return None


class AssetService(_EntityService[DataAsset]):
    class Repo(SQLAlchemyAsyncRepository[DataAsset]):
        model_type = DataAsset

    repository_type = Repo
    entity_label = "asset"

    async def _check_references(self, values: dict[str, Any]) -> None:
        node_id = values.get("node_id")
        if node_id is not None and await self.repository.session.get(Node, UUID(str(node_id))) is None:
            raise BadRequest(f"Invalid field node_id: no catalog node with id {node_id}; send the id of a node from /api/nodes or null.")


class ProcessService(_EntityService[Process]):
    class Repo(SQLAlchemyAsyncRepository[Process]):
        model_type = Process

    repository_type = Repo
    entity_label = "process"


async def bulk_upsert(session: AsyncSession, assets: Sequence[AssetCreate], processes: Sequence[ProcessCreate], edges: Sequence[Any]) -> dict[str, dict[str, int]]:
    """Upsert everything by natural key; the caller's transaction makes it all or nothing."""
    counts = {name: {"created": 0, "updated": 0} for name in ("assets", "processes", "edges")}
    ids: dict[tuple[str, str, str], UUID] = {}
    asset_service, process_service = AssetService(session=session), ProcessService(session=session)
    for label, service, rows, kind in (
        ("assets", asset_service, assets, ASSET),
        ("processes", process_service, processes, PROCESS),
    ):
        for index, row in enumerate(rows):
            try:
                item, created = await service.upsert_from(row)
            except BadRequest as exc:
                raise BadRequest(f"{label}[{index}] ({row.namespace}/{row.name}): {exc.detail}") from None
            counts[label]["created" if created else "updated"] += 1
            ids[(kind, row.namespace, row.name)] = item.id
    writer = EdgeWriter(session)
    for index, edge in enumerate(edges):
        ends = []
        for end in (edge.source, edge.target):
            key = (end.type, end.namespace, end.name)
            if key not in ids:
                service = asset_service if end.type == ASSET else process_service
                found = await service.find(end.namespace, end.name)
                if found is None or found.deleted_at is not None:
                    raise BadRequest(
                        f"edges[{index}]: no {end.type} {end.namespace}/{end.name}; add it to the "
                        f"{'assets' if end.type == ASSET else 'processes'} of this request or create it first."
                    )
                ids[key] = found.id
            ends.append((ids[key], end.type))
        try:
            _, created = await writer.add(ends[0], ends[1], edge.columns, edge.origin)
        except BadRequest as exc:
            raise BadRequest(f"edges[{index}]: {exc.detail}") from None
        counts["edges"]["created" if created else "updated"] += 1
    return counts
