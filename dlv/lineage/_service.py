"""Lineage writes: assets and processes (edges: ``dlv.lineage._edges``; bulk upserts: ``dlv.lineage._bulk``)."""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

import msgspec
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService

from dlv.db.models import DataAsset, Node, Process
from dlv.lib.exceptions import BadRequest, Conflict, NotFound
from dlv.lineage._edges import EdgeWriter, now
from dlv.lineage.rules import to_builtins

Entity = TypeVar("Entity", DataAsset, Process)


class _EntityService(SQLAlchemyAsyncRepositoryService[Entity]):
    """Shared life cycle of assets and processes: unique natural key, soft delete, purge."""

    entity_label = "entity"

    async def get_live(self, item_id: UUID) -> Entity:
        item = await self.get_one_or_none(id=item_id)
        if item is None or item.deleted_at is not None:
            raise NotFound(f"No {self.entity_label} with id {item_id}; search for it at /api/search?q=...", field=f"{self.entity_label}_id")
        return item

    async def get_any(self, item_id: UUID) -> Entity:
        """Live or deleted (a deleted one reads back with its ``deleted_at``)."""
        item = await self.get_one_or_none(id=item_id)
        if item is None:
            raise NotFound(f"No {self.entity_label} with id {item_id}.", field=f"{self.entity_label}_id")
        return item

    async def find(self, namespace: str, name: str) -> Entity | None:
        return await self.get_one_or_none(namespace=namespace, name=name)

    async def to_model_on_create(self, data: Any) -> Any:
        return await self._values(data)

    async def to_model_on_update(self, data: Any) -> Any:
        return await self._values(data)

    async def _values(self, data: Any) -> Any:
        """A request's Struct as column values (fields not sent are left out), references checked."""
        if isinstance(data, msgspec.Struct):
            data = to_builtins(data)
        if isinstance(data, dict):
            await self._check_references(data)
        return data

    async def create_from(self, data: msgspec.Struct) -> Entity:
        existing = await self.find(data.namespace, data.name)  # type: ignore[attr-defined]
        if existing is not None and existing.deleted_at is None:
            raise Conflict(
                f"A {self.entity_label} named {data.name!r} already exists in namespace "  # type: ignore[attr-defined]
                f"{data.namespace!r} (id {existing.id}); PATCH it or use POST /api/lineage/bulk to upsert.",  # type: ignore[attr-defined]
                field="name",
            )
        if existing is not None:  # re-created after a delete: the same identity comes back
            return await self.update({**to_builtins(data), "deleted_at": None}, item_id=existing.id)
        return await self.create(data)

    async def upsert_from(self, data: msgspec.Struct) -> tuple[Entity, bool]:
        """Create or update by (namespace, name); return (entity, created?)."""
        existing = await self.find(data.namespace, data.name)  # type: ignore[attr-defined]
        if existing is None:
            return await self.create(data), True
        return await self.update({**to_builtins(data), "deleted_at": None}, item_id=existing.id), False

    async def change(self, item_id: UUID, data: msgspec.Struct) -> Entity:
        await self.get_live(item_id)
        return await self.update(data, item_id=item_id)

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
            raise BadRequest(
                f"Invalid field node_id: no catalog node with id {node_id}; send the id of a node from /api/nodes or null.", field="node_id"
            )


class ProcessService(_EntityService[Process]):
    class Repo(SQLAlchemyAsyncRepository[Process]):
        model_type = Process

    repository_type = Repo
    entity_label = "process"
