"""Lineage endpoints: assets, processes, edges, bulk import, graph, impact and search."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from advanced_alchemy.extensions.litestar.providers import FilterTypes, create_service_dependencies
from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, SkipValidation
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.auth import requires_admin, requires_viewer
from dlv.config import Settings
from dlv.events import EventBroker, publish_lineage_changed
from dlv.db.models import LineageEdge
from dlv.graph import Direction
from dlv.lib.exceptions import BadRequest, NotFound
from dlv.lib.input_policy import Offset
from dlv.lib.paging import check_page
from dlv.lineage._graph import HideFilter, LineageGraph, Start, impact_csv
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
    Paths,
    ProcessCreate,
    ProcessRead,
    ProcessUpdate,
    SearchResults,
)
from dlv.lineage._search import search
from dlv.lineage._edges import EdgeService
from dlv.lineage._bulk import bulk_upsert
from dlv.lineage._service import AssetService, ProcessService
from dlv.lineage.deps import EDGES, LINEAGE_GRAPH

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


def _check_depth(depth: int, settings: Settings, parameter: str = "depth") -> None:
    if not 0 <= depth <= settings.max_graph_depth:
        raise BadRequest(
            f"{parameter}={depth} is out of range: send a value between 0 and {settings.max_graph_depth}.", field=parameter, source="query"
        )


HEALTH_VALUES = ("ok", "error", "failed", "running", "unknown")


def _values(values: list[str] | None) -> list[str]:
    """A list parameter sent repeated (hide_kinds=a&hide_kinds=b) or comma-separated (a,b)."""
    return [item.strip() for value in values or () for item in value.split(",") if item.strip()]


def _hide_filter(
    kinds: list[str] | None, namespaces: list[str] | None, tags: list[str] | None, owners: list[str] | None, health: list[str] | None
) -> HideFilter:
    unknown = sorted(set(_values(health)) - set(HEALTH_VALUES))
    if unknown:
        raise BadRequest(
            f"hide_health has unknown values {', '.join(unknown)}: send some of {', '.join(HEALTH_VALUES)}.", field="hide_health", source="query"
        )
    return HideFilter(_values(kinds), _values(namespaces), _values(tags), _values(owners), _values(health))


async def _resolve_id(lineage: LineageGraph, node_id: UUID, parameter: str) -> Start:
    try:
        return await lineage.resolve(node_id, None, None, None, allow_catalog_node=True)
    except NotFound:
        raise NotFound(
            f"{parameter}={node_id}: no asset, process or catalog node has this id; send the id of one.", field=parameter, source="query"
        ) from None


def _check_max_nodes(max_nodes: int | None, settings: Settings) -> int:
    if max_nodes is None:
        return settings.graph_max_nodes
    if not 1 <= max_nodes <= settings.graph_max_nodes:
        raise BadRequest(
            f"max_nodes={max_nodes} is out of range: send a value between 1 and {settings.graph_max_nodes}.", field="max_nodes", source="query"
        )
    return max_nodes


def _live_only(include_deleted: bool) -> dict[str, Any]:
    return {} if include_deleted else {"deleted_at": None}


def _equal_filters(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


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
        return assets.to_schema(await assets.get_any(asset_id), schema_type=AssetRead)

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
        return processes.to_schema(await processes.get_any(process_id), schema_type=ProcessRead)

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
    dependencies = EDGES

    @get("/", summary="List lineage edges")
    async def list_edges(
        self,
        edges: NamedDependency[EdgeService],
        source_id: FromQuery[UUID | None] = None,
        target_id: FromQuery[UUID | None] = None,
        node_id: FromQuery[UUID | None] = None,
        origin: FromQuery[Literal["manual", "openlineage", "discovery"] | None] = None,
        include_retired: FromQuery[bool] = False,
        limit: FromQuery[int] = 100,
        offset: Offset = 0,
    ) -> OffsetPagination[EdgeRead]:
        """`node_id` matches either end; retired edges (history) only with `include_retired=true`."""
        check_page(limit, offset, 1000)
        rows, total = await edges.page(
            source_id=source_id, target_id=target_id, node_id=node_id, origin=origin, include_retired=include_retired, limit=limit, offset=offset
        )
        return OffsetPagination(items=[_edge_read(edge) for edge in rows], total=total, limit=limit, offset=offset)

    @post("/", guards=[requires_admin], summary="Create a lineage edge")
    async def create_edge(self, edges: NamedDependency[EdgeService], data: JSONBody[EdgeCreate]) -> EdgeRead:
        return _edge_read(await edges.create(data.source_id, data.target_id, data.columns, data.origin))

    @get("/{edge_id:uuid}", summary="One lineage edge")
    async def get_edge(self, edges: NamedDependency[EdgeService], edge_id: FromPath[UUID]) -> EdgeRead:
        return _edge_read(await edges.get(edge_id))

    @patch("/{edge_id:uuid}", guards=[requires_admin], summary="Replace an edge's column mappings")
    async def update_edge(self, edges: NamedDependency[EdgeService], edge_id: FromPath[UUID], data: JSONBody[EdgeUpdate]) -> EdgeRead:
        """The current version is retired and a new one starts, so `as_of` keeps the old mapping."""
        return _edge_read(await edges.replace_columns(edge_id, data.columns))

    @delete("/{edge_id:uuid}", guards=[requires_admin], summary="Retire or purge a lineage edge")
    async def delete_edge(self, edges: NamedDependency[EdgeService], edge_id: FromPath[UUID], purge: FromQuery[bool] = False) -> None:
        await edges.remove(edge_id, purge=purge)


class GraphController(Controller):
    path = "/api/lineage"
    tags = ["lineage"]
    guards = [requires_viewer]
    dependencies = LINEAGE_GRAPH

    @post("/bulk", guards=[requires_admin], status_code=200, summary="Upsert many assets, processes and edges at once")
    async def bulk(
        self, db_session: NamedDependency[AsyncSession], events: NamedDependency[EventBroker], data: JSONBody[BulkRequest]
    ) -> BulkResult:
        """All or nothing: one bad row answers 400 naming it, and nothing is stored."""
        counts = await bulk_upsert(db_session, data.assets, data.processes, data.edges)
        edges = counts["edges"]["created"] + counts["edges"]["updated"]
        if any(sum(changed.values()) for changed in counts.values()):
            # Too many ids to list: the event gives the counts and says to reload (complete false).
            publish_lineage_changed(
                events, db_session, "bulk", edges=edges, complete=False, assets=counts["assets"], processes=counts["processes"]
            )
        return BulkResult(**{name: Counts(**values) for name, values in counts.items()})

    @get("/graph", summary="Upstream/downstream lineage graph around a node")
    async def graph(
        self,
        settings: NamedDependency[Settings],
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
        hide_kinds: FromQuery[list[str] | None] = None,
        hide_namespaces: FromQuery[list[str] | None] = None,
        hide_tags: FromQuery[list[str] | None] = None,
        hide_owners: FromQuery[list[str] | None] = None,
        hide_health: FromQuery[list[str] | None] = None,
        run_id: FromQuery[str | None] = None,
    ) -> Graph:
        """`direction=both` is the union of the upstream and downstream cones. `as_of` shows the
        graph as it was at that instant; `field` follows one column of the start asset.
        `run_id` (an OpenLineage runId) answers what that run touched instead: its process,
        what it read and wrote, and the edges between them when it ended.
        `node_id` may name a catalog node: the graph starts from every asset it holds.
        The `hide_*` filters (repeated or comma-separated) take matching nodes out (a kind
        matches a node's type or kind, e.g. `hide_kinds=process`) and keep every path through
        them as a direct edge whose `via` says how many hidden nodes it crosses."""
        if run_id is not None:
            return await lineage.run_graph(run_id, columns=columns)
        _check_depth(depth, settings)
        cap = _check_max_nodes(max_nodes, settings)
        hide = _hide_filter(hide_kinds, hide_namespaces, hide_tags, hide_owners, hide_health)
        start = await lineage.resolve(node_id, type, namespace, name, allow_catalog_node=True)
        return await lineage.graph(start, direction, depth, as_of=as_of, columns=columns, field=field, max_nodes=cap, hide=hide)

    @get("/paths", summary="Every node and edge on a directed path between two nodes")
    async def paths(
        self,
        settings: NamedDependency[Settings],
        lineage: NamedDependency[LineageGraph],
        from_id: FromQuery[UUID],
        to_id: FromQuery[UUID],
        max_depth: FromQuery[int | None] = None,
        as_of: FromQuery[datetime | None] = None,
        columns: FromQuery[bool] = False,
        max_nodes: FromQuery[int | None] = None,
    ) -> Paths:
        """Data flows from `from_id` to `to_id` (assets, processes or catalog nodes) along the
        answer's edges. `max_depth` (default: the configured maximum) bounds how far from
        either end a node may lie; `complete` is false when longer paths may exist beyond it
        or the answer was cut at `max_nodes`."""
        max_depth = settings.max_graph_depth if max_depth is None else max_depth
        _check_depth(max_depth, settings, "max_depth")
        cap = _check_max_nodes(max_nodes, settings)
        source = await _resolve_id(lineage, from_id, "from_id")
        target = await _resolve_id(lineage, to_id, "to_id")
        return await lineage.paths(source, target, max_depth, as_of=as_of, columns=columns, max_nodes=cap)

    @get("/impact", summary="What breaks if this fails: downstream impact and upstream root causes")
    async def impact(
        self,
        settings: NamedDependency[Settings],
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
            raise BadRequest("q is empty: send some text to search for, e.g. q=orders.", field="q", source="query")
        check_page(limit, offset, 200)
        return await search(db_session, q.strip(), set(type or ("asset", "process", "node")), limit, offset)
