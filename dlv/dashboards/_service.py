"""Saved canvases: storage and the owner rule."""

from __future__ import annotations

from typing import Any
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

    async def to_model_on_update(self, data: Any) -> Any:
        # Fields not sent are left out; the layout becomes plain JSON for its column.
        return msgspec.to_builtins(data) if isinstance(data, DashboardUpdate) else data

    async def change(self, dashboard_id: UUID, data: DashboardUpdate) -> Dashboard:
        return await self.update(data, item_id=dashboard_id)
