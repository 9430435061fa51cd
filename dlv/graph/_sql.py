"""Traversal in the relational database: breadth-first, one query per level.

Each level reads the current edges leaving (or, upstream, entering) the nodes first reached
at the level before, through the walk indexes, and only nodes seen for the first time go on
to the next level. Every node is expanded once, at its shortest distance, so the work is the
edges of the answer — not, as with a recursive CTE (which cannot see what earlier levels
reached), every path's edges at every depth they can be reached at, which on dense or
reconverging lineage grows with depth times paths. A walk stops early once more than
``max_nodes`` nodes are known: the nearest ones, all of which it has, are what is kept.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import LineageEdge
from dlv.db.sql import among, chunks
from dlv.graph._store import Direction, GraphQueryTimeout, Traversal, merge_walks, walk_directions

EDGES = LineageEdge.__table__

# SQLite takes the frontier as an IN list, in chunks well under its bound-parameter limit;
# PostgreSQL takes it whole, as one array parameter (= ANY).
SQLITE_FRONTIER_CHUNK = 500
# SQLite calls the progress handler every this many virtual machine steps (well under a
# millisecond): often enough to stop on time, rarely enough to cost nothing.
PROGRESS_STEPS = 10_000
# PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout.
QUERY_CANCELED = "57014"

Row = tuple[UUID, UUID, UUID, str, int]  # edge id, from id, to id, to type, depth


def _valid(as_of: datetime | None, edges=EDGES):  # noqa: ANN001, ANN202 - SQL expressions
    if as_of is None:
        return edges.c.valid_to.is_(None)
    return and_(edges.c.valid_from <= as_of, or_(edges.c.valid_to.is_(None), edges.c.valid_to > as_of))


def step_statement(forward: bool, as_of: datetime | None, dialect: str):  # noqa: ANN201 - a SQL statement
    """The edges one level of the walk follows from the frontier (bound as ``frontier``)."""
    near, far, far_type = (
        (EDGES.c.source_id, EDGES.c.target_id, EDGES.c.target_type)
        if forward
        else (EDGES.c.target_id, EDGES.c.source_id, EDGES.c.source_type)
    )
    in_frontier = among(near, "frontier", dialect, PG_UUID(as_uuid=True))
    return select(EDGES.c.id, near, far, far_type).where(in_frontier, _valid(as_of))


class SqlGraphStore:
    name = "sql"

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def traverse(
        self,
        starts: dict[UUID, str],
        direction: Direction,
        depth: int,
        *,
        as_of: datetime | None = None,
        max_nodes: int = 5000,
        timeout: float | None = None,
    ) -> Traversal:
        walks = []
        if depth > 0 and starts:
            deadline = None if timeout is None else time.monotonic() + timeout
            async with self._time_limit(timeout):
                for forward in walk_directions(direction):
                    walks.append((forward, await self._walk(list(starts), forward, depth, as_of, max_nodes, deadline, timeout)))
        return merge_walks(starts, walks, max_nodes=max_nodes, source=self.name)

    async def _walk(
        self,
        starts: list[UUID],
        forward: bool,
        depth: int,
        as_of: datetime | None,
        max_nodes: int,
        deadline: float | None,
        timeout: float | None,
    ) -> list[Row]:
        dialect = self.session.bind.dialect.name
        step = step_statement(forward, as_of, dialect)
        seen, frontier, rows = set(starts), starts, []
        for level in range(1, depth + 1):
            reached: list[UUID] = []
            for chunk in self._chunks(frontier, dialect):
                for edge_id, from_id, to_id, to_type in (await self.session.execute(step, {"frontier": chunk})).all():
                    rows.append((edge_id, from_id, to_id, to_type, level))
                    if to_id not in seen:
                        seen.add(to_id)
                        reached.append(to_id)
            # Each statement has the whole budget (statement_timeout); the walk as a whole is
            # held to it here, between levels.
            if deadline is not None and time.monotonic() > deadline:
                raise GraphQueryTimeout(timeout)
            if not reached or len(seen) > max_nodes:
                break
            frontier = reached
        return rows

    @staticmethod
    def _chunks(frontier: list[UUID], dialect: str) -> Iterable[Sequence[UUID]]:
        if dialect == "postgresql":
            return [frontier]
        return chunks(frontier, SQLITE_FRONTIER_CHUNK)

    @asynccontextmanager
    async def _time_limit(self, seconds: float | None) -> AsyncIterator[None]:
        """Stop the walk inside the database once it runs past ``seconds``.

        Cancelling the awaiting coroutine would not do: the query would keep a PostgreSQL
        backend, or aiosqlite's thread, busy until it ended on its own.
        """
        if seconds is None:
            yield
            return
        limit = self._sqlite_limit if self.session.bind.dialect.name == "sqlite" else self._postgresql_limit
        try:
            async with limit(seconds):
                yield
        except DBAPIError as exc:
            if _was_cancelled(exc):
                raise GraphQueryTimeout(seconds) from None
            raise

    @asynccontextmanager
    async def _postgresql_limit(self, seconds: float) -> AsyncIterator[None]:
        # SET LOCAL: ends with the transaction, so a pooled connection never keeps it.
        milliseconds = max(1, math.ceil(seconds * 1000))
        await self.session.execute(select(func.set_config("statement_timeout", str(milliseconds), True)))
        yield
        await self.session.execute(text("SET LOCAL statement_timeout TO DEFAULT"))

    @asynccontextmanager
    async def _sqlite_limit(self, seconds: float) -> AsyncIterator[None]:
        # The handler runs in aiosqlite's thread, between steps of the query; a true result
        # makes SQLite abandon the statement with "interrupted".
        deadline = time.monotonic() + seconds
        connection = (await (await self.session.connection()).get_raw_connection()).driver_connection
        await connection.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
        try:
            yield
        finally:
            await connection.set_progress_handler(None, PROGRESS_STEPS)


def _was_cancelled(exc: DBAPIError) -> bool:
    """Whether the database stopped the statement because its time ran out."""
    if getattr(exc.orig, "sqlstate", None) == QUERY_CANCELED:
        return True
    return str(exc.orig) == "interrupted"
