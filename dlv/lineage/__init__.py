"""Lineage: data assets, processes, temporal edges, graph queries, impact and search."""

from litestar import Router
from litestar.types import ControllerRouterHandler

from dlv.lineage._controllers import (
    AssetController,
    EdgeController,
    GraphController,
    ProcessController,
    SearchController,
)
from dlv.lineage._graph import LineageGraph
from dlv.lineage._edges import LATER_COMPLETIONS, PAIR_VERSIONS, RETIRE_SUPERSEDED, SUPERSEDED_EDGES, EdgeWriter, now, superseded_params
from dlv.lineage._schemas import AssetCreate, ColumnMapping, Field
from dlv.lineage._bulk import bulk_upsert
from dlv.lineage._import import import_lineage, read_lineage_file
from dlv.lineage._service import AssetService, ProcessService
from dlv.lib.http_policy import BODY_LIMIT_SETTING


def lineage_routes(bulk_max_body_bytes: int) -> list[ControllerRouterHandler]:
    """The lineage API. Bulk upsert carries whole graphs, so GraphController (bulk; its other
    routes only read) takes bodies up to DLV_BULK_MAX_BODY_BYTES instead of the app-wide limit."""
    bulk = Router(
        "/",
        route_handlers=[GraphController],
        request_max_body_size=bulk_max_body_bytes,
        opt={BODY_LIMIT_SETTING: "DLV_BULK_MAX_BODY_BYTES"},
    )
    return [AssetController, ProcessController, EdgeController, bulk, SearchController]


__all__ = [
    "LATER_COMPLETIONS",
    "PAIR_VERSIONS",
    "RETIRE_SUPERSEDED",
    "SUPERSEDED_EDGES",
    "AssetCreate",
    "AssetService",
    "ColumnMapping",
    "EdgeWriter",
    "LineageGraph",
    "Field",
    "LineageGraph",
    "ProcessService",
    "bulk_upsert",
    "import_lineage",
    "lineage_routes",
    "now",
    "read_lineage_file",
    "superseded_params",
]
