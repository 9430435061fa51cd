"""The process's OpenLineage writer: requests hand their parsed event over and wait; the
writer applies whatever has queued up meanwhile in one transaction.

Under load, the events of many requests share one BEGIN/COMMIT, one lock statement and one
set of statements per table (``BatchMapper``); a lone request is applied at once, so nothing
waits for a batch to fill. Each request still learns its own outcome: when a batch fails,
its events are applied again one by one in transactions of their own, so only an event
that fails alone is refused, and a refused event stores nothing.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from dlv.events import EventBroker
from dlv.openlineage._batch import BatchMapper, ConflictingRun, batchable
from dlv.openlineage._service import (
    RETRIES,
    RETRYABLE_SQLSTATES,
    log_events,
    publish_applied,
    ingest_retrying_deadlocks,
    take_turns,
)
from dlv.openlineage._spec import ParsedEvent

logger = logging.getLogger(__name__)

# Enough to share a transaction among all the requests a process has in flight, small
# enough that one batch holds no locks for long.
MAX_BATCH = 64


@dataclass
class _Pending:
    parsed: ParsedEvent
    done: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def settle(self, stored: bool | None = None, error: BaseException | None = None) -> None:
        if self.done.done():  # the request went away; its event is applied all the same
            return
        if error is not None:
            self.done.set_exception(error)
        else:
            self.done.set_result(bool(stored))


class IngestWriter:
    """One per process (``app.state``); ``submit`` is all a request calls."""

    def __init__(self, alchemy: SQLAlchemyAsyncConfig, events: EventBroker | None = None) -> None:
        self._alchemy = alchemy
        self._events = events
        self._queue: list[_Pending] = []
        self._draining: asyncio.Task[None] | None = None
        # Held while events keep coming, so a batch does not pay for a pool checkout (a
        # liveness ping) and check-in (a reset) on top of its own BEGIN and COMMIT.
        self._connection: AsyncConnection | None = None

    async def submit(self, parsed: ParsedEvent) -> bool:
        """Apply one event; True when stored, False when the very same event was stored before.
        Raises what applying it alone raised (a refused event, a database error)."""
        pending = _Pending(parsed)
        self._queue.append(pending)
        if self._draining is None:
            self._draining = asyncio.create_task(self._drain())
        return await asyncio.shield(pending.done)

    async def _drain(self) -> None:
        # One turn of the event loop before each batch: requests whose bodies have arrived
        # meanwhile parse and join it, rather than waiting for the next one.
        await asyncio.sleep(0)
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                await self._apply(batch)
            except BaseException as exc:  # never leave a request waiting
                for pending in batch:
                    pending.settle(error=exc)
                if not isinstance(exc, Exception):
                    self._draining = None
                    await self._release()
                    raise
            await asyncio.sleep(0)
        # No await between finding the queue empty and these two: an event submitted from
        # here on starts a new task, which opens its own connection.
        self._draining = None
        await self._release()

    async def _release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()

    async def _apply(self, batch: list[_Pending]) -> None:
        """Consecutive batchable events together, the others alone, in arrival order."""
        together: list[_Pending] = []
        for pending in batch:
            if batchable(pending.parsed.event):
                together.append(pending)
                continue
            await self._together(together)
            together = []
            await self._alone(pending)
        await self._together(together)

    async def _together(self, batch: list[_Pending]) -> None:
        if not batch:
            return
        for attempt in range(RETRIES + 1):
            try:
                stored = await self._transaction(batch)
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES and attempt < RETRIES:
                    continue
                logger.info("a batch of %d OpenLineage events failed (%s); applying them one by one", len(batch), type(exc).__name__)
                break
            except ConflictingRun:
                break
            except Exception as exc:  # noqa: BLE001 - each event is retried alone, which reports it
                logger.info("a batch of %d OpenLineage events failed (%s); applying them one by one", len(batch), type(exc).__name__)
                break
            for pending, was_stored in zip(batch, stored):
                pending.settle(was_stored)
            return
        for pending in batch:
            await self._alone(pending)

    async def _transaction(self, batch: list[_Pending]) -> list[bool]:
        if self._connection is None:
            self._connection = await self._alchemy.get_engine().connect()
        # The app's session settings (graph outbox, metrics) on the held connection; the
        # session begins and commits its own transaction on it.
        session = AsyncSession(bind=self._connection, expire_on_commit=False, info=dict(self._alchemy.session_config.info or {}))
        try:
            try:
                await take_turns(session, [pending.parsed.event for pending in batch])
                stored = await log_events(session, [pending.parsed for pending in batch])
                fresh = [pending.parsed.event for pending, was_stored in zip(batch, stored) if was_stored]
                for applied in await BatchMapper(session).apply(fresh):  # type: ignore[arg-type]
                    publish_applied(session, applied, self._events)
                await session.commit()
                return stored
            finally:
                await session.close()
        except BaseException:
            await self._release()  # the connection may be what failed
            raise

    async def _alone(self, pending: _Pending) -> None:
        try:
            async with self._alchemy.get_session() as session:
                stored = await ingest_retrying_deadlocks(session, pending.parsed, self._events)
                await session.commit()
        except Exception as exc:  # noqa: BLE001 - the request answers it
            pending.settle(error=exc)
        else:
            pending.settle(stored)
