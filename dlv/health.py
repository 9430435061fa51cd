"""Liveness and readiness: the process answers and its database is reachable."""

from __future__ import annotations

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


@get("/health", tags=["health"], summary="Process up and database reachable")
async def health(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> Response[Health]:
    try:
        await db_session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database is "not ready"
        body = Health(status="error", database=f"unreachable ({type(exc).__name__})", version=__version__)
        return Response(body, status_code=503)
    return Response(Health(status="ok", database="ok", version=__version__))
