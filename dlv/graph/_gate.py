"""Back-pressure for graph traversals: how many run at once in this process, overall and per
caller. A deep traversal holds a database connection and a core for up to the query timeout;
without a bound, a few callers asking many at once take every pooled connection, and
``/health``, logins and OpenLineage ingestion wait behind them. Past the bound a request
waits briefly for a slot, then gets 503 with Retry-After instead of queueing without end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dlv.lib.exceptions import Unavailable


class TraversalGate:
    def __init__(self, overall: int, per_caller: int, wait_seconds: float) -> None:
        self.overall = asyncio.Semaphore(overall)
        self.per_caller, self.wait_seconds = per_caller, wait_seconds
        # caller -> (its semaphore, requests holding or waiting for it); dropped at zero.
        self._callers: dict[str, tuple[asyncio.Semaphore, int]] = {}

    @asynccontextmanager
    async def slot(self, caller: str) -> AsyncIterator[None]:
        """Hold one traversal slot of ``caller`` and one of the process while the block runs."""
        semaphore, users = self._callers.get(caller) or (asyncio.Semaphore(self.per_caller), 0)
        self._callers[caller] = (semaphore, users + 1)
        try:
            async with asyncio.timeout(self.wait_seconds):
                await semaphore.acquire()
                try:
                    await self.overall.acquire()
                except BaseException:
                    semaphore.release()
                    raise
        except TimeoutError:
            self._leave(caller)
            raise Unavailable(
                "Too many graph queries are running; retry in a few seconds, or ask for a smaller depth or max_nodes.",
                headers={"Retry-After": "2"},
            ) from None
        except BaseException:
            self._leave(caller)
            raise
        try:
            yield
        finally:
            self.overall.release()
            semaphore.release()
            self._leave(caller)

    def _leave(self, caller: str) -> None:
        semaphore, users = self._callers[caller]
        if users <= 1:
            del self._callers[caller]
        else:
            self._callers[caller] = (semaphore, users - 1)
