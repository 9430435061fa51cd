"""Background duties that must run in one process at a time: the Neo4j projector and the
scheduler of health checks and discoveries.

Every ``dlv serve`` process (every uvicorn worker) competes for each duty. On PostgreSQL the
winner is whoever holds a session-level advisory lock (``pg_try_advisory_lock``) on a
connection it keeps open for nothing else: the lock lives exactly as long as that session,
so a process that dies, or loses its connection, lets another one take over. A follower
tries again every few seconds; a leader checks its connection as often and stops the work
as soon as the check fails, before anyone else can have taken the lock over from it (unless
PostgreSQL ended the session first: then two leaders overlap for at most one check). On
SQLite (one embedded process) the only process always leads.

One lock per duty rather than one for both: the two duties may then lead in different
processes (spreading their load), and only processes with Neo4j configured compete for the
projector, so a replica started without DLV_NEO4J_URI can never hold the projection up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import asyncpg
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.config import Settings

logger = logging.getLogger("dlv.leadership")

# Advisory lock keys: one per duty, and one for creating the first admin (see take_turns);
# the migration lock is dlv.db.migrate.MIGRATION_LOCK_ID, 0x444C56.
LOCK_KEYS = {"projector": 0x444C5601, "scheduler": 0x444C5602, "first admin": 0x444C5603, "alerts": 0x444C5604}
# How often a follower tries to take the lock and a leader checks its connection: the
# longest a duty stays without a leader after its process dies.
RETRY_SECONDS = 2.0
# A lock query or a connection check slower than this counts as a lost connection.
QUERY_TIMEOUT_SECONDS = 5.0

Work = Callable[[], AbstractAsyncContextManager[Any]]
Connect = Callable[[], Awaitable[asyncpg.Connection]]


def postgres_connect(database_url: str) -> Connect:
    """Open a lock connection with the same parameters (host, credentials, ssl...) as the
    app's engine, outside its pool: closing it must end the session and so release the lock."""
    _, params = PGDialect_asyncpg().create_connect_args(make_url(database_url))
    for option in ("async_fallback", "prepared_statement_cache_size", "prepared_statement_name_func"):
        params.pop(option, None)  # URL options for SQLAlchemy's adapter, unknown to asyncpg

    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(**params, timeout=QUERY_TIMEOUT_SECONDS)

    return connect


async def take_turns(session: AsyncSession, name: str) -> None:
    """On PostgreSQL, wait for the lock ``name`` and hold it until the session's transaction
    ends: for a one-off step that processes starting together must run one after the other
    (the first admin: the second process then finds it and creates none)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(LOCK_KEYS[name])))


class Leadership:
    """Runs ``work`` (an async context manager that starts a duty's tasks on entry and stops
    them, awaited, on exit) only while this process holds the duty's lock.

    ``connect`` is None when there is nothing to compete with (SQLite): the work then runs
    for as long as :meth:`run` does."""

    def __init__(
        self, duty: str, work: Work, connect: Connect | None, *, retry_seconds: float = RETRY_SECONDS
    ) -> None:
        self.duty = duty
        self.is_leader = False
        self._key = LOCK_KEYS[duty]
        self._work = work
        self._connect = connect
        self._retry_seconds = retry_seconds

    async def run(self) -> None:
        """Forever: win the lock, do the work while it is held, start over when it is lost.
        Cancel the task running this to stop the work and release the lock."""
        while True:
            try:
                if self._connect is None:
                    async with self._leading():
                        await asyncio.Event().wait()
                else:
                    await self._compete(self._connect)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:  # TimeoutError is an OSError
                # The database is away or the lock connection died: try again shortly.
                logger.warning("%s leadership: no database connection (%s); retrying", self.duty, type(exc).__name__)
            except Exception:  # the work failed to start or stop; do not give up the duty for good
                logger.exception("%s leadership failed; retrying", self.duty)
            await asyncio.sleep(self._retry_seconds)

    async def _compete(self, connect: Connect) -> None:
        connection = await connect()
        try:
            while not await connection.fetchval("SELECT pg_try_advisory_lock($1)", self._key, timeout=QUERY_TIMEOUT_SECONDS):
                await asyncio.sleep(self._retry_seconds)
            async with self._leading():
                while True:
                    await asyncio.sleep(self._retry_seconds)
                    await connection.fetchval("SELECT 1", timeout=QUERY_TIMEOUT_SECONDS)
        finally:
            # The work has stopped by now; ending the session releases the lock (a close
            # that fails or times out drops the connection instead).
            with contextlib.suppress(Exception):
                await connection.close(timeout=QUERY_TIMEOUT_SECONDS)

    @contextlib.asynccontextmanager
    async def _leading(self) -> AsyncIterator[None]:
        async with self._work():
            self.is_leader = True
            logger.info("this process now runs the %s", self.duty)
            try:
                yield
            finally:
                self.is_leader = False
                logger.info("this process stops running the %s", self.duty)


@contextlib.asynccontextmanager
async def leading(app: Litestar, duty: str, work: Work) -> AsyncIterator[Leadership]:
    """For an app's lifespan: compete for ``duty`` while the app runs (see :class:`Leadership`);
    ``app.state.leadership`` maps each duty of this process to its :class:`Leadership`."""
    settings: Settings = app.state.settings
    leadership = Leadership(duty, work, None if settings.is_sqlite else postgres_connect(settings.database_url))
    app.state.setdefault("leadership", {})[duty] = leadership
    task = asyncio.create_task(leadership.run(), name=f"dlv-{duty}-leadership")
    try:
        yield leadership
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
