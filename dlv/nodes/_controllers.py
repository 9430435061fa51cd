"""Node catalog endpoints: node types, nodes CRUD, test connection and check history.

Viewers read; only admins create, change, delete or test (a test makes DLV open network
connections with stored credentials).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from advanced_alchemy.extensions.litestar.providers import FilterTypes, create_service_dependencies
from advanced_alchemy.filters import OrderBy
from advanced_alchemy.service import OffsetPagination
from advanced_alchemy.utils.dependencies import ChoiceField
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter, SkipValidation
from sqlalchemy.ext.asyncio import AsyncSession

from dlv import audit
from dlv.auth import requires_admin, requires_viewer
from dlv.connectors import TestReport
from dlv.connectors import DiscoveryScope
from dlv.events import EventBroker, publish_node_status
from dlv.lib.exceptions import invalid
from dlv.nodes._connectors import Connectors
from dlv.nodes._discovery import DiscoveryResult
from dlv.nodes._scheduler import discover_and_publish
from dlv.nodes._schemas import NodeCheckRead, NodeCreate, NodeRead, NodeTestRequest, NodeTypeRead, NodeUpdate
from dlv.nodes._service import NodeService

SORTABLE = ("name", "type", "status", "created_at", "updated_at", "last_checked_at", "last_latency_ms")


def _check_sort(filters: list[FilterTypes]) -> None:
    for item in filters:
        if isinstance(item, OrderBy) and item.field_name not in SORTABLE:
            raise invalid("orderBy", f"cannot sort by {item.field_name!r}; use one of {', '.join(SORTABLE)}", "query")


class NodeTypeController(Controller):
    path = "/api/node-types"
    tags = ["nodes"]
    guards = [requires_viewer]

    @get("/", summary="The installed node types, with the JSON Schema of their config")
    async def list_node_types(self, connectors: NamedDependency[Connectors]) -> list[NodeTypeRead]:
        return [
            NodeTypeRead(
                key=node_type.key,
                label=node_type.label,
                description=node_type.description,
                config_schema=node_type.config_schema(),
                secret_fields=list(node_type.secret_fields),
            )
            for node_type in connectors.types
        ]


class NodeController(Controller):
    path = "/api/nodes"
    tags = ["nodes"]
    dependencies = {
        **create_service_dependencies(
            NodeService,
            key="nodes",
            filters={
                "id_filter": UUID,
                "pagination_type": "limit_offset",
                "pagination_size": 50,
                "search": "name,description",
                "search_ignore_case": True,
                "sort_field": "name",
                "sort_order": "asc",
                "choice_fields": ["type", ChoiceField("status", ("ok", "error", "unknown"))],
            },
        ),
    }

    @get("/", guards=[requires_viewer], summary="List nodes (filter by type, status, tag or text; sort; page)")
    async def list_nodes(
        self,
        nodes: NamedDependency[NodeService],
        filters: NamedDependency[SkipValidation[list[FilterTypes]]],
        tag: Annotated[str | None, QueryParameter(description="Only nodes with this tag.")] = None,
    ) -> OffsetPagination[NodeRead]:
        _check_sort(filters)
        results, total = await nodes.list_nodes(filters, tag)
        return nodes.to_schema(results, total, filters=filters, schema_type=NodeRead)

    @post("/", guards=[requires_admin], summary="Register a node")
    async def create_node(
        self, nodes: NamedDependency[NodeService], connectors: NamedDependency[Connectors], data: JSONBody[NodeCreate]
    ) -> NodeRead:
        node = await nodes.create_node(data, connectors)
        return nodes.to_schema(node, schema_type=NodeRead)

    @post("/test", guards=[requires_admin], status_code=200, summary="Test an unsaved config")
    async def test_config(
        self, db_session: NamedDependency[AsyncSession], connectors: NamedDependency[Connectors], data: JSONBody[NodeTestRequest]
    ) -> TestReport:
        node_type, config = connectors.parse(data.type, data.config)
        report = await connectors.test(node_type, config)
        audit.record_node_run(db_session, "test", None, f"unsaved {data.type} config", report)
        return report

    @get("/{node_id:uuid}", guards=[requires_viewer], summary="One node")
    async def get_node(self, nodes: NamedDependency[NodeService], node_id: FromPath[UUID]) -> NodeRead:
        return nodes.to_schema(await nodes.get(node_id), schema_type=NodeRead)

    @patch("/{node_id:uuid}", guards=[requires_admin], summary="Change a node; secrets not sent are kept")
    async def update_node(
        self,
        nodes: NamedDependency[NodeService],
        connectors: NamedDependency[Connectors],
        node_id: FromPath[UUID],
        data: JSONBody[NodeUpdate],
    ) -> NodeRead:
        node = await nodes.update_node(node_id, data, connectors)
        return nodes.to_schema(node, schema_type=NodeRead)

    @delete("/{node_id:uuid}", guards=[requires_admin], summary="Delete a node and its check history")
    async def delete_node(self, nodes: NamedDependency[NodeService], node_id: FromPath[UUID]) -> None:
        await nodes.remove(node_id)

    @post("/{node_id:uuid}/test", guards=[requires_admin], status_code=200, summary="Test a saved node and store the result")
    async def test_node(
        self,
        nodes: NamedDependency[NodeService],
        connectors: NamedDependency[Connectors],
        events: NamedDependency[EventBroker],
        node_id: FromPath[UUID],
    ) -> TestReport:
        node = await nodes.get(node_id)
        previous = node.status
        report = await connectors.test_node(node)
        await nodes.record_check(node, report, trigger="manual")
        audit.record_node_run(nodes.repository.session, "test", node.id, node.name, report)
        publish_node_status(events, node, previous)
        return report

    @post("/{node_id:uuid}/discover", guards=[requires_admin], status_code=200, summary="Discover the node's tables, views and view lineage")
    async def discover(
        self,
        db_session: NamedDependency[AsyncSession],
        connectors: NamedDependency[Connectors],
        events: NamedDependency[EventBroker],
        node_id: FromPath[UUID],
        data: JSONBody[DiscoveryScope | None] = None,
    ) -> DiscoveryResult:
        """Failing credentials answer 200 with status error and the test-connection steps, and
        change no asset; the run is recorded in the check history with trigger ``discovery``."""
        return await discover_and_publish(db_session, connectors, node_id, data, events=events)

    @get("/{node_id:uuid}/checks", guards=[requires_viewer], summary="The node's check history, newest first")
    async def list_checks(
        self,
        nodes: NamedDependency[NodeService],
        node_id: FromPath[UUID],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> list[NodeCheckRead]:
        return [nodes.to_schema(check, schema_type=NodeCheckRead) for check in await nodes.checks(node_id, limit)]  # type: ignore[misc]

