"""Dashboards endpoints: every logged-in user opens saved canvases; admins save them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from advanced_alchemy.extensions.litestar.providers import FilterTypes, create_service_dependencies
from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, SkipValidation

from dlv.auth import Principal, requires_admin, requires_viewer
from dlv.dashboards._schemas import DashboardCreate, DashboardRead, DashboardSummary, DashboardUpdate
from dlv.dashboards._service import DashboardService


class DashboardController(Controller):
    path = "/api/dashboards"
    tags = ["dashboards"]
    guards = [requires_viewer]
    dependencies = create_service_dependencies(
        DashboardService,
        key="dashboards",
        filters={
            "id_filter": UUID,
            "pagination_type": "limit_offset",
            "pagination_size": 50,
            "search": "name,description,owner",
            "search_ignore_case": True,
            "sort_field": "updated_at",
            "sort_order": "desc",
        },
    )

    @get("/", summary="List saved dashboards (without their layouts)")
    async def list_dashboards(
        self,
        dashboards: NamedDependency[DashboardService],
        filters: NamedDependency[SkipValidation[list[FilterTypes]]],
    ) -> OffsetPagination[DashboardSummary]:
        results, total = await dashboards.get_many_and_count(*filters)
        return dashboards.to_schema(results, total, filters=filters, schema_type=DashboardSummary)

    @post("/", guards=[requires_admin], summary="Save a canvas as a dashboard")
    async def create_dashboard(
        self,
        request: Request[Principal, Any, Any],
        dashboards: NamedDependency[DashboardService],
        data: JSONBody[DashboardCreate],
    ) -> DashboardRead:
        # A dashboard saved with an API token belongs to no account (like one whose owner was
        # deleted); its owner field names the token.
        owner_id = UUID(request.user.id) if request.user.kind == "user" else None
        created = await dashboards.create_for(data, owner_id, request.user.name)
        return dashboards.to_schema(created, schema_type=DashboardRead)

    @get("/{dashboard_id:uuid}", summary="One dashboard with its layout")
    async def get_dashboard(self, dashboards: NamedDependency[DashboardService], dashboard_id: FromPath[UUID]) -> DashboardRead:
        return dashboards.to_schema(await dashboards.get(dashboard_id), schema_type=DashboardRead)

    @patch("/{dashboard_id:uuid}", guards=[requires_admin], summary="Rename, describe or re-save a dashboard")
    async def update_dashboard(
        self,
        dashboards: NamedDependency[DashboardService],
        dashboard_id: FromPath[UUID],
        data: JSONBody[DashboardUpdate],
    ) -> DashboardRead:
        return dashboards.to_schema(await dashboards.change(dashboard_id, data), schema_type=DashboardRead)

    @delete("/{dashboard_id:uuid}", guards=[requires_admin], summary="Delete a dashboard")
    async def delete_dashboard(self, dashboards: NamedDependency[DashboardService], dashboard_id: FromPath[UUID]) -> None:
        await dashboards.delete(dashboard_id)
