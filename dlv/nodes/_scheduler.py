"""Scheduled health checks and discoveries: nodes with ``check_interval_seconds`` are tested,
and nodes with ``discovery_interval_seconds`` discovered, in the background.

One asyncio task, in the one process that leads the ``scheduler`` duty (dlv.lib.leadership),
ticks every few seconds, asks the database which nodes are due and starts their checks: at
most ``concurrency`` at a time, never two for the same node, and a failing check (or a
failing tick) is logged and does not stop the loop.
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
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.connectors import DiscoveryScope
from dlv.events import EventBroker, publish_lineage_changed, publish_node_status
from dlv.lib.leadership import leading
from dlv.nodes._connectors import Connectors
from dlv.nodes._discovery import ORIGIN, DiscoveryResult, discover_node
from dlv.nodes._service import NodeService

logger = logging.getLogger("dlv.nodes.scheduler")

TICK_SECONDS = 2.0
CONCURRENCY = 4


Due = Callable[[], Awaitable[list[UUID]]]
Run = Callable[[UUID], Awaitable[None]]


class HealthCheckScheduler:
    """Runs due work per node: health checks, plus any job added with :meth:`add_job`
    (scheduled discovery). All jobs share one concurrency bound, and a node never has two
    jobs queued or running at once (a job that finds its node busy waits for the next tick)."""

    def __init__(
        self,
        due: Due,
        check: Run,
        *,
        tick_seconds: float = TICK_SECONDS,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self._jobs: list[tuple[str, Due, Run]] = [("health check", due, check)]
        self._tick_seconds = tick_seconds
        self._slots = asyncio.Semaphore(concurrency)
        self._pending: set[UUID] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None

    def add_job(self, name: str, due: Due, run: Run) -> None:
        self._jobs.append((name, due, run))

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._run(), name="dlv-health-checks")

    async def stop(self) -> None:
        tasks = [task for task in (self._loop_task, *self._tasks) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop_task = None
        # A job cancelled before it began never cleared its node: clear them all, so a
        # scheduler started again (leadership regained) finds every node free.
        self._pending.clear()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Started on entry; stopped on exit, its running jobs cancelled and awaited."""
        self.start()
        try:
            yield
        finally:
            await self.stop()

    async def _run(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(self._tick_seconds)

    async def tick(self) -> None:
        """Start the jobs that are due (and whose node has nothing queued or running)."""
        for name, due, run in self._jobs:
            try:
                node_ids = await due()
            except Exception:  # the database may be briefly away; try again next tick
                logger.exception("could not list the nodes due for a %s", name)
                continue
            for node_id in node_ids:
                if node_id in self._pending:
                    continue
                self._pending.add(node_id)
                task = asyncio.create_task(self._guarded(name, run, node_id), name=f"dlv-{name.replace(' ', '-')}-{node_id}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _guarded(self, name: str, run: Run, node_id: UUID) -> None:
        try:
            async with self._slots:
                await run(node_id)
        except Exception:
            logger.exception("the scheduled %s of node %s failed", name, node_id)
        finally:
            self._pending.discard(node_id)

    async def wait_idle(self) -> None:
        """Wait until the checks started so far have finished (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def discover_and_publish(
    session: AsyncSession,
    connectors: Connectors,
    node_id: UUID,
    scope: DiscoveryScope | None = None,
    *,
    events: EventBroker | None = None,
) -> DiscoveryResult:
    """:func:`discover_node`, plus a ``lineage.changed`` event (sent on commit) when the run
    created, changed or retired anything."""
    result = await discover_node(session, connectors, node_id, scope, events=events)
    summary = result.summary
    if summary is not None:
        edges = summary.edges_created + summary.edges_updated + summary.edges_retired
        if edges or summary.created or summary.updated or summary.retired:
            publish_lineage_changed(
                events, session, ORIGIN, edges=edges, complete=False, node_id=str(node_id),
                assets={"created": summary.created, "updated": summary.updated, "retired": summary.retired},
            )  # fmt: skip
    return result


def database_scheduler(
    alchemy: SQLAlchemyAsyncConfig, connectors: Connectors, events: EventBroker | None = None, **options: Any
) -> HealthCheckScheduler:
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
            previous = node.status
            await service.record_check(node, report, trigger="scheduled")
            await session.commit()
        publish_node_status(events, node, previous)

    async def due_discoveries() -> list[UUID]:
        async with alchemy.get_session() as session:
            return await NodeService(session=session).due_for_discovery(datetime.now(timezone.utc))

    async def discover(node_id: UUID) -> None:
        # One transaction per run, as for POST /api/nodes/{id}/discover; default scope.
        async with alchemy.get_session() as session:
            node = await NodeService(session=session).get_one_or_none(id=node_id)
            if node is None:
                return
            node_type = connectors.types.get(node.type)
            if node_type is None or not node_type.can_discover():
                logger.warning("node %s has a discovery interval but its type %r cannot discover", node.name, node.type)
                return
            await discover_and_publish(session, connectors, node_id, events=events)
            await session.commit()

    scheduler = HealthCheckScheduler(due, check, **options)
    scheduler.add_job("discovery", due_discoveries, discover)
    return scheduler


@asynccontextmanager
async def _health_checks(app: Litestar) -> AsyncIterator[None]:
    scheduler = database_scheduler(app.state.alchemy, app.state.connectors, app.state.events)
    app.state.health_checks = scheduler
    async with leading(app, "scheduler", scheduler.running):
        yield


class HealthChecksPlugin(InitPluginProtocol):
    """Runs the scheduler while this process leads the ``scheduler`` duty. Added after the
    SQLAlchemy plugin so its lifespan starts after the database engine exists and stops
    before the engine is disposed."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.lifespan.append(_health_checks)
        return app_config
