"""Liveness and readiness: the process answers and its database is reachable; with Neo4j
configured, whether Neo4j answers and how far its projection lags behind; and which
background duties (projector, scheduler) this process leads right now."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from dlv import __version__


class Health(msgspec.Struct):
    status: str
    database: str
    version: str
    neo4j: str = "disabled"
    outbox_lag: int | None = None
    projection_error: str | None = None
    # duty -> whether this process runs it now (the projector is a duty only with Neo4j on).
    leader: dict[str, bool] = msgspec.field(default_factory=dict)


def provide_projector(state: State) -> Any:
    """The Neo4j projector the lifespan started (None without Neo4j)."""
    return state.get("projector")


def provide_leadership(state: State) -> dict[str, Any]:
    """duty -> this process's ``Leadership`` of it (dlv.lib.leadership keeps them in app state)."""
    return state.get("leadership", {})


async def _neo4j_status(projector: Any) -> tuple[str, int | None, str | None]:
    if projector is None:
        return "disabled", None, None
    try:
        await asyncio.wait_for(projector.driver.verify_connectivity(), timeout=3)
        neo4j = "ok"
    except Exception as exc:  # any failure to reach Neo4j is reported, not raised
        neo4j = f"unreachable ({type(exc).__name__})"
    return neo4j, await projector.lag(), projector.last_error


@get(
    "/health",
    tags=["health"],
    summary="Process up and database reachable",
    dependencies={
        "projector": Provide(provide_projector, sync_to_thread=False),
        "leadership": Provide(provide_leadership, sync_to_thread=False),
    },
)
async def health(
    db_session: NamedDependency[AsyncSession], projector: NamedDependency[Any], leadership: NamedDependency[dict[str, Any]]
) -> Response[Health]:
    leader = {duty: lead.is_leader for duty, lead in leadership.items()}
    try:
        await db_session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database is "not ready"
        body = Health(status="error", database=f"unreachable ({type(exc).__name__})", version=__version__, leader=leader)
        return Response(body, status_code=503)
    neo4j, lag, error = await _neo4j_status(projector)
    status = "ok" if neo4j in ("ok", "disabled") else "degraded"
    body = Health(status=status, database="ok", version=__version__, neo4j=neo4j, outbox_lag=lag, projection_error=error, leader=leader)
    return Response(body)
