"""Saved canvases: storage and the owner rule."""

from __future__ import annotations

from uuid import UUID

import msgspec
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService

from dlv.dashboards._schemas import DashboardCreate, DashboardUpdate
from dlv.db.models import Dashboard


class DashboardService(SQLAlchemyAsyncRepositoryService[Dashboard]):
    class Repo(SQLAlchemyAsyncRepository[Dashboard]):
        model_type = Dashboard

    repository_type = Repo

    async def create_for(self, data: DashboardCreate, owner_id: UUID | None, owner: str) -> Dashboard:
        return await self.create(
            Dashboard(
                name=data.name,
                description=data.description,
                owner_id=owner_id,
                owner=owner,
                layout=msgspec.to_builtins(data.layout),
            )
        )

    async def change(self, dashboard_id: UUID, data: DashboardUpdate) -> Dashboard:
        dashboard = await self.get(dashboard_id)
        if data.name is not msgspec.UNSET:
            dashboard.name = data.name
        if data.description is not msgspec.UNSET:
            dashboard.description = data.description
        if data.layout is not msgspec.UNSET:
            dashboard.layout = msgspec.to_builtins(data.layout)
        return await self.update(dashboard)
