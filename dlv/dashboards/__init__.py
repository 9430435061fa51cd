"""Dashboards: saved lineage canvases (graph, layout, viewport, annotations)."""

from dlv.dashboards._controllers import DashboardController
from dlv.dashboards._service import DashboardService

__all__ = ["DashboardController", "DashboardService"]
