"""Lineage writes: assets, processes and bulk upserts (edges: ``dlv.lineage._edges``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar
from uuid import UUID

import msgspec
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import ASSET, PROCESS, DataAsset, Node, Process
from dlv.lib.exceptions import BadRequest, Conflict, NotFound
from dlv.lineage._edges import EdgeWriter, now
from dlv.lineage._schemas import AssetCreate, ProcessCreate
from dlv.lineage.rules import to_builtins

Entity = TypeVar("Entity", DataAsset, Process)


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
