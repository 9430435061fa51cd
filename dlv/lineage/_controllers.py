"""Lineage endpoints: assets, processes, edges, bulk import, graph, impact and search."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from advanced_alchemy.extensions.litestar.providers import FilterTypes, create_service_dependencies
from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, SkipValidation
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.auth import requires_admin, requires_viewer
from dlv.config import Settings
from dlv.events import publish_lineage_changed
from dlv.db.models import LineageEdge
from dlv.graph import Direction, FallbackGraphStore, Neo4jGraphStore, SqlGraphStore
from dlv.lib.exceptions import BadRequest, NotFound
from dlv.lib.input_policy import Offset
from dlv.lineage._graph import LineageGraph, impact_csv
from dlv.lineage._schemas import (
    AssetCreate,
    AssetRead,
    AssetUpdate,
    BulkRequest,
    BulkResult,
    Counts,
    EdgeCreate,
    EdgeRead,
    EdgeUpdate,
    Graph,
    Impact,
    ProcessCreate,
    ProcessRead,
    ProcessUpdate,
    SearchResults,
)
from dlv.lineage._search import search
from dlv.lineage._service import AssetService, EdgeWriter, ProcessService, bulk_upsert, entity_types
from dlv.observability import measured_store

_LIST_FILTERS = {
    "id_filter": UUID,
    "pagination_type": "limit_offset",
    "pagination_size": 50,
    "search": "name,namespace,description",
    "search_ignore_case": True,
    "sort_field": "name",
    "sort_order": "asc",
    "created_at": True,
    "updated_at": True,
}


def _settings(request: Request[Any, Any, Any]) -> Settings:
    return request.app.state.settings


def _check_depth(depth: int, settings: Settings) -> None:
    if not 0 <= depth <= settings.max_graph_depth:
        raise BadRequest(f"depth={depth} is out of range: send a depth between 0 and {settings.max_graph_depth}.")


def _check_max_nodes(max_nodes: int | None, settings: Settings) -> int:
    if max_nodes is None:
        return settings.graph_max_nodes
    if not 1 <= max_nodes <= settings.graph_max_nodes:
        raise BadRequest(f"max_nodes={max_nodes} is out of range: send a value between 1 and {settings.graph_max_nodes}.")
    return max_nodes


def _live_only(include_deleted: bool) -> dict[str, Any]:
    return {} if include_deleted else {"deleted_at": None}


def _equal_filters(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


async def provide_lineage_graph(db_session: NamedDependency[AsyncSession], state: State) -> LineageGraph:
    """Neo4j answers traversals when configured (falling back to SQL while it is away); each
    traversal is timed for /metrics."""
    sql = SqlGraphStore(db_session)
    driver = state.get("neo4j_driver")
    store = FallbackGraphStore(Neo4jGraphStore(driver), sql) if driver else sql
    return LineageGraph(db_session, measured_store(db_session, store))


class AssetController(Controller):
    path = "/api/lineage/assets"
    tags = ["lineage"]
    guards = [requires_viewer]
    dependencies = create_service_dependencies(AssetService, key="assets", filters=_LIST_FILTERS)

    @get("/", summary="List data assets")
    async def list_assets(
        self,
        assets: NamedDependency[AssetService],
        filters: NamedDependency[SkipValidation[list[FilterTypes]]],
        kind: FromQuery[str | None] = None,
        owner: FromQuery[str | None] = None,
        namespace: FromQuery[str | None] = None,
        node_id: FromQuery[UUID | None] = None,
        include_deleted: FromQuery[bool] = False,
    ) -> OffsetPagination[AssetRead]:
        results, total = await assets.get_many_and_count(
            *filters, **_live_only(include_deleted), **_equal_filters(kind=kind, owner=owner, namespace=namespace, node_id=node_id)
        )
        return assets.to_schema(results, total, filters=filters, schema_type=AssetRead)

    @post("/", guards=[requires_admin], summary="Create a data asset")
    async def create_asset(self, assets: NamedDependency[AssetService], data: JSONBody[AssetCreate]) -> AssetRead:
        return assets.to_schema(await assets.create_from(data), schema_type=AssetRead)

    @get("/{asset_id:uuid}", summary="One data asset")
    async def get_asset(self, assets: NamedDependency[AssetService], asset_id: FromPath[UUID]) -> AssetRead:
        found = await assets.get_one_or_none(id=asset_id)
        if found is None:
            raise NotFound(f"No asset with id {asset_id}.")
        return assets.to_schema(found, schema_type=AssetRead)

    @patch("/{asset_id:uuid}", guards=[requires_admin], summary="Change a data asset")
    async def update_asset(
        self, assets: NamedDependency[AssetService], asset_id: FromPath[UUID], data: JSONBody[AssetUpdate]
    ) -> AssetRead:
        return assets.to_schema(await assets.change(asset_id, data), schema_type=AssetRead)

    @delete("/{asset_id:uuid}", guards=[requires_admin], summary="Delete (retire) or purge a data asset")
    async def delete_asset(
        self, assets: NamedDependency[AssetService], asset_id: FromPath[UUID], purge: FromQuery[bool] = False
    ) -> None:
        """Deleting retires the asset's edges and keeps history for `as_of`; `purge=true` erases it all."""
        await (assets.purge(asset_id) if purge else assets.retire(asset_id))


class ProcessController(Controller):
    path = "/api/lineage/processes"
    tags = ["lineage"]
    guards = [requires_viewer]
    dependencies = create_service_dependencies(ProcessService, key="processes", filters=_LIST_FILTERS)

    @get("/", summary="List processes")
    async def list_processes(
        self,
        processes: NamedDependency[ProcessService],
        filters: NamedDependency[SkipValidation[list[FilterTypes]]],
        kind: FromQuery[str | None] = None,
        owner: FromQuery[str | None] = None,
        namespace: FromQuery[str | None] = None,
        last_run_state: FromQuery[str | None] = None,
        include_deleted: FromQuery[bool] = False,
    ) -> OffsetPagination[ProcessRead]:
        results, total = await processes.get_many_and_count(
            *filters,
            **_live_only(include_deleted),
            **_equal_filters(kind=kind, owner=owner, namespace=namespace, last_run_state=last_run_state),
        )
        return processes.to_schema(results, total, filters=filters, schema_type=ProcessRead)

    @post("/", guards=[requires_admin], summary="Create a process")
    async def create_process(self, processes: NamedDependency[ProcessService], data: JSONBody[ProcessCreate]) -> ProcessRead:
        return processes.to_schema(await processes.create_from(data), schema_type=ProcessRead)

    @get("/{process_id:uuid}", summary="One process")
    async def get_process(self, processes: NamedDependency[ProcessService], process_id: FromPath[UUID]) -> ProcessRead:
        found = await processes.get_one_or_none(id=process_id)
        if found is None:
            raise NotFound(f"No process with id {process_id}.")
        return processes.to_schema(found, schema_type=ProcessRead)

    @patch("/{process_id:uuid}", guards=[requires_admin], summary="Change a process")
    async def update_process(
        self, processes: NamedDependency[ProcessService], process_id: FromPath[UUID], data: JSONBody[ProcessUpdate]
    ) -> ProcessRead:
        return processes.to_schema(await processes.change(process_id, data), schema_type=ProcessRead)

    @delete("/{process_id:uuid}", guards=[requires_admin], summary="Delete (retire) or purge a process")
    async def delete_process(
        self, processes: NamedDependency[ProcessService], process_id: FromPath[UUID], purge: FromQuery[bool] = False
    ) -> None:
        await (processes.purge(process_id) if purge else processes.retire(process_id))


def _edge_read(edge: LineageEdge) -> EdgeRead:
    return EdgeRead(
        id=edge.id,
        source_id=edge.source_id,
        source_type=edge.source_type,
        target_id=edge.target_id,
        target_type=edge.target_type,
        origin=edge.origin,
        columns=edge.columns,  # type: ignore[arg-type]
        valid_from=edge.valid_from,
        valid_to=edge.valid_to,
    )


class EdgeController(Controller):
    path = "/api/lineage/edges"
    tags = ["lineage"]
    guards = [requires_viewer]

    @get("/", summary="List lineage edges")
    async def list_edges(
        self,
        db_session: NamedDependency[AsyncSession],
        source_id: FromQuery[UUID | None] = None,
        target_id: FromQuery[UUID | None] = None,
        node_id: FromQuery[UUID | None] = None,
        origin: FromQuery[Literal["manual", "openlineage", "discovery"] | None] = None,
        include_retired: FromQuery[bool] = False,
        limit: FromQuery[int] = 100,
        offset: Offset = 0,
    ) -> OffsetPagination[EdgeRead]:
        """`node_id` matches either end; retired edges (history) only with `include_retired=true`."""
        if not 1 <= limit <= 1000 or offset < 0:
            raise BadRequest("limit must be between 1 and 1000 and offset at least 0.")
        statement = select(LineageEdge)
        if not include_retired:
            statement = statement.where(LineageEdge.valid_to.is_(None))
        for column, value in ((LineageEdge.source_id, source_id), (LineageEdge.target_id, target_id), (LineageEdge.origin, origin)):
            if value is not None:
                statement = statement.where(column == value)
        if node_id is not None:
            statement = statement.where((LineageEdge.source_id == node_id) | (LineageEdge.target_id == node_id))
        total = await db_session.scalar(select(func.count()).select_from(statement.subquery()))
        rows = await db_session.scalars(statement.order_by(LineageEdge.valid_from.desc(), LineageEdge.id).limit(limit).offset(offset))
        return OffsetPagination(items=[_edge_read(edge) for edge in rows], total=total or 0, limit=limit, offset=offset)

    @post("/", guards=[requires_admin], summary="Create a lineage edge")
    async def create_edge(self, db_session: NamedDependency[AsyncSession], data: JSONBody[EdgeCreate]) -> EdgeRead:
        types = await entity_types(db_session, (data.source_id, data.target_id))
        for end, value in (("source_id", data.source_id), ("target_id", data.target_id)):
            if value not in types:
                raise BadRequest(f"Invalid field {end}: no asset or process with id {value}.")
        edge, _ = await EdgeWriter(db_session).add(
            (data.source_id, types[data.source_id]), (data.target_id, types[data.target_id]), data.columns, data.origin
        )
        return _edge_read(edge)

    @get("/{edge_id:uuid}", summary="One lineage edge")
    async def get_edge(self, db_session: NamedDependency[AsyncSession], edge_id: FromPath[UUID]) -> EdgeRead:
        edge = await db_session.get(LineageEdge, edge_id)
        if edge is None:
            raise NotFound(f"No edge with id {edge_id}.")
        return _edge_read(edge)

    @patch("/{edge_id:uuid}", guards=[requires_admin], summary="Replace an edge's column mappings")
    async def update_edge(
        self, db_session: NamedDependency[AsyncSession], edge_id: FromPath[UUID], data: JSONBody[EdgeUpdate]
    ) -> EdgeRead:
        """The current version is retired and a new one starts, so `as_of` keeps the old mapping."""
        edge = await db_session.get(LineageEdge, edge_id)
        if edge is None or edge.valid_to is not None:
            raise NotFound(f"No current edge with id {edge_id}; retired edges are history and cannot change.")
        replaced, _ = await EdgeWriter(db_session).add(
            (edge.source_id, edge.source_type), (edge.target_id, edge.target_type), data.columns, edge.origin
        )
        return _edge_read(replaced)

    @delete("/{edge_id:uuid}", guards=[requires_admin], summary="Retire or purge a lineage edge")
    async def delete_edge(
        self, db_session: NamedDependency[AsyncSession], edge_id: FromPath[UUID], purge: FromQuery[bool] = False
    ) -> None:
        edge = await db_session.get(LineageEdge, edge_id)
        if edge is None:
            raise NotFound(f"No edge with id {edge_id}.")
        writer = EdgeWriter(db_session)
        await (writer.purge(edge_id=edge_id) if purge else writer.retire([edge_id]))


class GraphController(Controller):
    path = "/api/lineage"
    tags = ["lineage"]
    guards = [requires_viewer]
    dependencies = {"lineage": Provide(provide_lineage_graph)}

    @post("/bulk", guards=[requires_admin], status_code=200, summary="Upsert many assets, processes and edges at once")
    async def bulk(self, db_session: NamedDependency[AsyncSession], state: State, data: JSONBody[BulkRequest]) -> BulkResult:
        """All or nothing: one bad row answers 400 naming it, and nothing is stored."""
        counts = await bulk_upsert(db_session, data.assets, data.processes, data.edges)
        edges = counts["edges"]["created"] + counts["edges"]["updated"]
        if any(sum(changed.values()) for changed in counts.values()):
            # Too many ids to list: the event gives the counts and says to reload (complete false).
            publish_lineage_changed(
                state.events, db_session, "bulk", edges=edges, complete=False, assets=counts["assets"], processes=counts["processes"]
            )
        return BulkResult(**{name: Counts(**values) for name, values in counts.items()})

    @get("/graph", summary="Upstream/downstream lineage graph around a node")
    async def graph(
        self,
        request: Request[Any, Any, Any],
        lineage: NamedDependency[LineageGraph],
        node_id: FromQuery[UUID | None] = None,
        type: FromQuery[Literal["asset", "process"] | None] = None,  # noqa: A002 - the API's name
        namespace: FromQuery[str | None] = None,
        name: FromQuery[str | None] = None,
        direction: FromQuery[Direction] = "both",
        depth: FromQuery[int] = 3,
        as_of: FromQuery[datetime | None] = None,
        columns: FromQuery[bool] = False,
        field: FromQuery[str | None] = None,
        max_nodes: FromQuery[int | None] = None,
    ) -> Graph:
        """`direction=both` is the union of the upstream and downstream cones. `as_of` shows the
        graph as it was at that instant; `field` follows one column of the start asset."""
        settings = _settings(request)
        _check_depth(depth, settings)
        cap = _check_max_nodes(max_nodes, settings)
        start = await lineage.resolve(node_id, type, namespace, name)
        return await lineage.graph(start, direction, depth, as_of=as_of, columns=columns, field=field, max_nodes=cap)

    @get("/impact", summary="What breaks if this fails: downstream impact and upstream root causes")
    async def impact(
        self,
        request: Request[Any, Any, Any],
        lineage: NamedDependency[LineageGraph],
        node_id: FromQuery[UUID | None] = None,
        type: FromQuery[Literal["asset", "process"] | None] = None,  # noqa: A002
        namespace: FromQuery[str | None] = None,
        name: FromQuery[str | None] = None,
        depth: FromQuery[int | None] = None,
        max_nodes: FromQuery[int | None] = None,
        format: FromQuery[Literal["json", "csv"]] = "json",  # noqa: A002
    ) -> Impact:
        """`node_id` may be an asset, a process or a catalog node (every asset it holds).
        Depth defaults to the configured maximum."""
        settings = _settings(request)
        depth = settings.max_graph_depth if depth is None else depth
        _check_depth(depth, settings)
        start = await lineage.resolve(node_id, type, namespace, name, allow_catalog_node=True)
        result = await lineage.impact(start, depth, max_nodes=_check_max_nodes(max_nodes, settings))
        if format == "csv":
            filename = f"impact-{start.root.name}.csv".replace('"', "")
            return Response(
                impact_csv(result),
                media_type="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
        return result


class SearchController(Controller):
    path = "/api/search"
    tags = ["search"]
    guards = [requires_viewer]

    @get("/", summary="Search assets, processes and catalog nodes")
    async def search(
        self,
        db_session: NamedDependency[AsyncSession],
        q: FromQuery[str],
        type: FromQuery[list[Literal["asset", "process", "node"]] | None] = None,  # noqa: A002
        limit: FromQuery[int] = 20,
        offset: Offset = 0,
    ) -> SearchResults:
        """Matches name, namespace, description, tags and owner; exact and prefix name matches rank first."""
        if not q.strip():
            raise BadRequest("q is empty: send some text to search for, e.g. q=orders.")
        if not 1 <= limit <= 200 or offset < 0:
            raise BadRequest("limit must be between 1 and 200 and offset at least 0.")
        return await search(db_session, q.strip(), set(type or ("asset", "process", "node")), limit, offset)
