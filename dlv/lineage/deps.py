"""The lineage domain's request-scoped dependencies besides its repository services
(``create_service_dependencies`` in the controllers): the edge service and the lineage graph."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.auth import Principal
from dlv.graph import FallbackGraphStore, Neo4jGraphStore, SqlGraphStore, TraversalGate
from dlv.lineage._edges import EdgeService
from dlv.lineage._graph import LineageGraph
from dlv.config import Settings
from dlv.observability import Metrics, measured_store

async def provide_edges(db_session: NamedDependency[AsyncSession]) -> EdgeService:
    return EdgeService(db_session)


async def provide_lineage_graph(
    db_session: NamedDependency[AsyncSession], state: State, settings: NamedDependency[Settings], metrics: NamedDependency[Metrics],
    graph_gate: NamedDependency[TraversalGate], request: Request[Principal, Any, Any],
) -> AsyncGenerator[LineageGraph, None]:
    """Neo4j answers traversals when configured (falling back to SQL while it is away); each
    traversal is timed for /metrics and stopped after DLV_GRAPH_QUERY_TIMEOUT_SECONDS. The
    driver is the Neo4j lifespan's (``app.state``). The request holds a slot of the traversal
    gate (per caller and per process) before it touches the database, and until it answers."""
    sql = SqlGraphStore(db_session)
    driver = state.get("neo4j_driver")
    store = FallbackGraphStore(Neo4jGraphStore(driver), sql) if driver else sql
    measured = measured_store(metrics, store, db_session.get_bind().dialect.name)
    caller = f"{request.user.kind}:{request.user.id}" if request.user is not None else f"address:{request.client.host if request.client else ''}"
    async with graph_gate.slot(caller):
        yield LineageGraph(db_session, measured, timeout=settings.graph_query_timeout_seconds)


EDGES = {"edges": Provide(provide_edges)}
LINEAGE_GRAPH = {"lineage": Provide(provide_lineage_graph)}
