"""Liveness and readiness: the process answers and its database is reachable; with Neo4j
configured, whether Neo4j answers and how far its projection lags behind; and which
background duties (projector, scheduler) this process leads right now."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency
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


async def _neo4j_status(request: Request[Any, Any, Any]) -> tuple[str, int | None, str | None]:
    projector = request.app.state.get("projector")
    if projector is None:
        return "disabled", None, None
    try:
        await asyncio.wait_for(projector.driver.verify_connectivity(), timeout=3)
        neo4j = "ok"
    except Exception as exc:  # any failure to reach Neo4j is reported, not raised
        neo4j = f"unreachable ({type(exc).__name__})"
    return neo4j, await projector.lag(), projector.last_error


@get("/health", tags=["health"], summary="Process up and database reachable")
async def health(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> Response[Health]:
    leader = {duty: leadership.is_leader for duty, leadership in request.app.state.get("leadership", {}).items()}
    try:
        await db_session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database is "not ready"
        body = Health(status="error", database=f"unreachable ({type(exc).__name__})", version=__version__, leader=leader)
        return Response(body, status_code=503)
    neo4j, lag, error = await _neo4j_status(request)
    status = "ok" if neo4j in ("ok", "disabled") else "degraded"
    body = Health(status=status, database="ok", version=__version__, neo4j=neo4j, outbox_lag=lag, projection_error=error, leader=leader)
    return Response(body)
