"""Lineage: data assets, processes, temporal edges, graph queries, impact and search."""

from dlv.lineage._controllers import (
    AssetController,
    EdgeController,
    GraphController,
    ProcessController,
    SearchController,
)
from dlv.lineage._service import AssetService, EdgeWriter, ProcessService, bulk_upsert

LINEAGE_CONTROLLERS = [AssetController, ProcessController, EdgeController, GraphController, SearchController]

__all__ = ["LINEAGE_CONTROLLERS", "AssetService", "EdgeWriter", "ProcessService", "bulk_upsert"]
