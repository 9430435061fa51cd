"""Scheduled health checks: nodes with ``check_interval_seconds`` are tested in the background.

One asyncio task per process ticks every few seconds, asks the database which nodes are due
and starts their checks: at most ``concurrency`` at a time, never two for the same node, and
a failing check (or a failing tick) is logged and does not stop the loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol

from dlv.nodes._connectors import Connectors
from dlv.nodes._service import NodeService

logger = logging.getLogger("dlv.nodes.scheduler")

TICK_SECONDS = 2.0
CONCURRENCY = 4


class HealthCheckScheduler:
    def __init__(
        self,
        due: Callable[[], Awaitable[list[UUID]]],
        check: Callable[[UUID], Awaitable[None]],
        *,
        tick_seconds: float = TICK_SECONDS,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self._due = due
        self._check = check
        self._tick_seconds = tick_seconds
        self._slots = asyncio.Semaphore(concurrency)
        self._pending: set[UUID] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._run(), name="dlv-health-checks")

    async def stop(self) -> None:
        tasks = [task for task in (self._loop_task, *self._tasks) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop_task = None

    async def _run(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(self._tick_seconds)

    async def tick(self) -> None:
        """Start the checks that are due (and not already queued or running)."""
        try:
            due = await self._due()
        except Exception:  # the database may be briefly away; try again next tick
            logger.exception("could not list the nodes due for a health check")
            return
        for node_id in due:
            if node_id in self._pending:
                continue
            self._pending.add(node_id)
            task = asyncio.create_task(self._guarded_check(node_id), name=f"dlv-health-check-{node_id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _guarded_check(self, node_id: UUID) -> None:
        try:
            async with self._slots:
                await self._check(node_id)
        except Exception:
            logger.exception("the scheduled health check of node %s failed", node_id)
        finally:
            self._pending.discard(node_id)

    async def wait_idle(self) -> None:
        """Wait until the checks started so far have finished (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def database_scheduler(alchemy: SQLAlchemyAsyncConfig, connectors: Connectors, **options: Any) -> HealthCheckScheduler:
    """A scheduler that reads due nodes from, and writes results to, DLV's database."""

    async def due() -> list[UUID]:
        async with alchemy.get_session() as session:
            return await NodeService(session=session).due_for_check(datetime.now(timezone.utc))

    async def check(node_id: UUID) -> None:
        # The test runs between two short sessions, so a slow target never holds a database connection.
        async with alchemy.get_session() as session:
            node = await NodeService(session=session).get_one_or_none(id=node_id)
        if node is None:
            return
        report = await connectors.test_node(node)
        async with alchemy.get_session() as session:
            service = NodeService(session=session)
            node = await service.get_one_or_none(id=node_id)
            if node is None:
                return  # deleted while it was being checked
            await service.record_check(node, report, trigger="scheduled")
            await session.commit()

    return HealthCheckScheduler(due, check, **options)


@asynccontextmanager
async def _health_checks(app: Litestar) -> AsyncIterator[None]:
    scheduler = database_scheduler(app.state.alchemy, app.state.connectors)
    app.state.health_checks = scheduler
    scheduler.start()
    try:
        yield
    finally:
        await scheduler.stop()


class HealthChecksPlugin(InitPluginProtocol):
    """Runs the scheduler for the app's lifetime. Added after the SQLAlchemy plugin so its
    lifespan starts after the database engine exists and stops before the engine is disposed."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.lifespan.append(_health_checks)
        return app_config
