"""Namespaces, sources, datasets, their versions and tags, read from DLV's model the way
Marquez answers them. A namespace is every namespace an asset or a process is named in."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import AssetAlias, DataAsset, Process, Run, RunDataset
from dlv.history import RunHistory
from dlv.lib.exceptions import NotFound
from dlv.marquez import _schemas as m
from dlv.marquez._ids import version_uuid
from dlv.marquez._shapes import OWNER, dataset, dataset_type, field, latest_writes, run


class MarquezCatalog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- namespaces and sources

    def _namespaces(self, *models: Any) -> Any:
        named = union_all(*(
            select(model.namespace.label("name"), model.created_at.label("created_at"), model.updated_at.label("updated_at")).where(model.deleted_at.is_(None))
            for model in models
        )).subquery()
        grouped = select(named.c.name, func.min(named.c.created_at).label("created_at"), func.max(named.c.updated_at).label("updated_at"))
        return grouped.group_by(named.c.name).subquery()

    async def namespaces(self, limit: int, offset: int) -> m.Namespaces:
        named = self._namespaces(DataAsset, Process)
        rows = await self.session.execute(select(named).order_by(named.c.name).limit(limit).offset(offset))
        return m.Namespaces(namespaces=[_namespace(*row) for row in rows])

    async def namespace(self, name: str) -> m.Namespace:
        named = self._namespaces(DataAsset, Process)
        row = (await self.session.execute(select(named).where(named.c.name == name))).first()
        if row is None:
            raise NotFound(f"Namespace '{name}' not found: send one from GET /api/v1/namespaces.", field="namespace", source="path")
        return _namespace(*row)

    async def sources(self, limit: int, offset: int) -> m.Sources:
        named = self._namespaces(DataAsset)
        rows = await self.session.execute(select(named).order_by(named.c.name).limit(limit).offset(offset))
        return m.Sources(sources=[_source(*row) for row in rows])

    async def source(self, name: str) -> m.Source:
        named = self._namespaces(DataAsset)
        row = (await self.session.execute(select(named).where(named.c.name == name))).first()
        if row is None:
            raise NotFound(f"Source '{name}' not found: send one from GET /api/v1/sources.", field="source", source="path")
        return _source(*row)

    # --- datasets

    async def datasets(self, namespace: str, limit: int, offset: int) -> m.Datasets:
        await self.namespace(namespace)
        where = (DataAsset.namespace == namespace, DataAsset.deleted_at.is_(None))
        total = await self.session.scalar(select(func.count()).select_from(DataAsset).where(*where)) or 0
        assets = (await self.session.scalars(select(DataAsset).where(*where).order_by(DataAsset.name).limit(limit).offset(offset))).all()
        latest = await latest_writes(self.session, [asset.id for asset in assets])
        return m.Datasets(total_count=total, datasets=[dataset(asset, latest.get(asset.id)) for asset in assets])

    async def asset(self, namespace: str, name: str) -> DataAsset:
        """The asset named so, or called so by an event (an alias); 404 in Marquez's words."""
        found = await self.session.scalar(select(DataAsset).where(DataAsset.namespace == namespace, DataAsset.name == name))
        if found is None:
            found = await self.session.scalar(
                select(DataAsset).join(AssetAlias, AssetAlias.asset_id == DataAsset.id).where(AssetAlias.namespace == namespace, AssetAlias.name == name)
            )
        if found is None:
            raise NotFound(
                f"Dataset '{name}' not found in namespace '{namespace}': send a name from GET /api/v1/namespaces/{{namespace}}/datasets.",
                field="dataset", source="path",
            )
        return found

    async def dataset(self, namespace: str, name: str) -> m.Dataset:
        asset = await self.asset(namespace, name)
        versions, _ = await RunHistory(self.session).versions_of(asset.id, 1, 0)
        latest = (versions[0].run_id, versions[0].created_at) if versions else None
        return dataset(asset, latest, versions[0].facets if versions else None)

    async def versions(self, namespace: str, name: str, limit: int, offset: int) -> m.DatasetVersions:
        asset = await self.asset(namespace, name)
        versions, total = await RunHistory(self.session).versions_of(asset.id, limit, offset)
        runs = await self._runs([version.run_id for version in versions])
        return m.DatasetVersions(total_count=total, versions=[self._version(asset, version, runs) for version in versions])

    async def version(self, namespace: str, name: str, version: UUID) -> m.MarquezDatasetVersion:
        asset = await self.asset(namespace, name)
        written = await self.session.scalars(select(RunDataset.run_id).where(RunDataset.asset_id == asset.id, RunDataset.direction == "output"))
        run_id = next((run_id for run_id in written if version_uuid(asset.id, run_id) == version), None)
        if run_id is None:
            raise NotFound(
                f"Dataset version '{version}' of '{name}' not found: send a version from GET .../datasets/{{name}}/versions.",
                field="version", source="path",
            )
        found = await RunHistory(self.session).version(asset.id, run_id)
        return self._version(asset, found, await self._runs([run_id]))

    async def _runs(self, run_ids: list[str]) -> dict[str, m.Run]:
        rows = (await self.session.execute(select(Run, Process).join(Process, Process.id == Run.process_id).where(Run.run_id.in_(run_ids)))).all() if run_ids else []
        return {row.run_id: run(row, process, outputs=[]) for row, process in rows}

    @staticmethod
    def _version(asset: DataAsset, version: Any, runs: dict[str, m.Run]) -> m.MarquezDatasetVersion:
        uuid = version_uuid(asset.id, version.run_id)
        return m.MarquezDatasetVersion(
            id=m.DatasetVersionId(namespace=asset.namespace, name=asset.name, version=uuid), type=dataset_type(asset.kind), name=asset.name,
            physical_name=asset.name, created_at=version.created_at, version=uuid, namespace=asset.namespace, source_name=asset.namespace,
            fields=[field({"name": item.name, "type": item.type, "description": item.description}) for item in version.fields],
            tags=list(asset.tags or []), lifecycle_state=version.lifecycle_state_change, description=asset.description,
            created_by_run=runs.get(version.run_id), facets=version.facets,
        )

    # --- tags (admin)

    async def tag(self, namespace: str, name: str, tag: str, *, add: bool, field_name: str | None = None) -> m.Dataset:
        asset = await self.asset(namespace, name)
        if field_name is None:
            asset.tags = _retag(asset.tags, tag, add)
        else:
            if not any(item.get("name") == field_name for item in asset.fields or []):
                raise NotFound(f"Field '{field_name}' not found in dataset '{name}': send one of its fields.", field="field", source="path")
            asset.fields = [
                {**item, "tags": _retag(item.get("tags"), tag, add)} if item.get("name") == field_name else item for item in asset.fields
            ]
        await self.session.flush()
        return await self.dataset(asset.namespace, asset.name)


def _retag(tags: Any, tag: str, add: bool) -> list[str]:
    kept = [item for item in (tags if isinstance(tags, list) else []) if item != tag]
    return [*kept, tag] if add else kept


def _namespace(name: str, created: Any, updated: Any) -> m.Namespace:
    return m.Namespace(name=name, created_at=created, updated_at=updated, owner_name=OWNER, description=None)


def _source(name: str, created: Any, updated: Any) -> m.Source:
    return m.Source(type=_scheme(name), name=name, created_at=created, updated_at=updated, connection_url=name)


def _scheme(namespace: str) -> str:
    scheme, separator, _ = namespace.partition("://")
    return scheme.upper() if separator else "UNKNOWN"
