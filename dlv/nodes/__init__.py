"""The node catalog: registered systems, their test connections and scheduled health checks."""

from dlv.nodes._connectors import Connectors
from dlv.nodes._controllers import NodeController, NodeTypeController
from dlv.nodes._discovery import DiscoveryResult, discover_node
from dlv.nodes._scheduler import HealthCheckScheduler, HealthChecksPlugin, database_scheduler
from dlv.nodes._service import NodeService

__all__ = [
    "Connectors",
    "DiscoveryResult",
    "HealthCheckScheduler",
    "HealthChecksPlugin",
    "NodeController",
    "NodeService",
    "NodeTypeController",
    "database_scheduler",
    "discover_node",
]
