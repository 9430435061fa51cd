"""The Neo4j driver lives as long as the app (one driver per event loop); the projector task
runs only while this process leads the ``projector`` duty (dlv.lib.leadership)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from litestar import Litestar
from neo4j import AsyncGraphDatabase

from dlv.graph.neo4j import Projector
from dlv.lib.leadership import leading

logger = logging.getLogger("dlv.graph")


@contextlib.asynccontextmanager
async def neo4j_lifespan(app: Litestar) -> AsyncIterator[None]:
    settings = app.state.settings
    auth: Any = (settings.neo4j_user, settings.neo4j_password or "") if settings.neo4j_user else None
    driver = AsyncGraphDatabase.driver(
        settings.neo4j_uri,
        auth=auth,
        connection_timeout=3,
        max_transaction_retry_time=2,
        # Schema statements repeat on every start; their "already exists" notes are noise.
        notifications_min_severity="OFF",
    )
    projector = Projector(app.state.alchemy.create_session_maker(), driver)
    app.state.neo4j_driver = driver
    app.state.projector = projector
    try:
        async with leading(app, "projector", lambda: _projecting(projector)):
            yield
    finally:
        await driver.close()


@contextlib.asynccontextmanager
async def _projecting(projector: Projector) -> AsyncIterator[None]:
    task = asyncio.create_task(projector.run(), name="dlv-graph-projector")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
