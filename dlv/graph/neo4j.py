"""Neo4j: a projection of the relational lineage built for traversal.

The relational database stays the truth. ``Projector`` copies edge changes from the outbox
into Neo4j; ``Neo4jGraphStore`` answers traversals breadth-first, one query per level
inside one read transaction — the same walk, and the same answer, as the SQL store.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from neo4j import READ_ACCESS, AsyncDriver, AsyncTransaction
from neo4j.exceptions import ClientError, Neo4jError, ServiceUnavailable, SessionExpired
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dlv.db.models import GraphOutbox, LineageEdge
from dlv.graph._store import Direction, GraphQueryTimeout, Hop, Reached, Traversal, merge_walks, walk_directions

logger = logging.getLogger("dlv.graph")

# Errors that mean "Neo4j is not there right now", as opposed to a bug in a query.
UNREACHABLE = (ServiceUnavailable, SessionExpired, OSError, asyncio.TimeoutError)

SCHEMA = (
    "CREATE CONSTRAINT lineage_id IF NOT EXISTS FOR (n:Lineage) REQUIRE n.id IS UNIQUE",
    "CREATE INDEX flows_to_id IF NOT EXISTS FOR ()-[r:FLOWS_TO]-() ON (r.id)",
)
# Longest pause between projection attempts while Neo4j is unreachable.
RETRY_MAX_SECONDS = 30.0
# What Neo4j answers when a transaction outlives its timeout (5.x, then 4.x): the server stops it.
TIMED_OUT_CODES = (
    "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
    "Neo.ClientError.Transaction.TransactionTimedOut",
)


def micros(moment: datetime | None) -> int | None:
    """Edge validity as integer microseconds since the epoch: cheap to compare in Cypher."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1_000_000)


async def ensure_schema(driver: AsyncDriver) -> None:
    for statement in SCHEMA:
        await driver.execute_query(statement)


def _validity(as_of: datetime | None, variable: str = "r") -> str:
    if as_of is None:
        return f"{variable}.valid_to IS NULL"
    return f"{variable}.valid_from <= $as_of AND ({variable}.valid_to IS NULL OR {variable}.valid_to > $as_of)"


def step_query(forward: bool, as_of: datetime | None) -> str:
    """One level of the walk: every valid edge leaving (or, upstream, entering) the frontier.

    The rows come back as ONE record holding a list: the async driver spends about 50 µs of
    event-loop turns on each record it receives, ten times what Neo4j spends finding it, so a
    level of 10,000 edges as 10,000 records cost half a second in the client alone.
    """
    pattern = "(a)-[r:FLOWS_TO]->(b)" if forward else "(a)<-[r:FLOWS_TO]-(b)"
    return (
        # The hint: on a small or freshly projected graph the planner's statistics favour a
        # label scan, which makes every level cost the whole graph once it has grown. Each
        # edge names its near end by position in the frontier: no property read per edge.
        "UNWIND range(0, size($frontier) - 1) AS near MATCH (a:Lineage {id: $frontier[near]}) USING INDEX a:Lineage(id) "
        f"MATCH {pattern} WHERE {_validity(as_of)} RETURN collect([r.id, near, b.id, b.type]) AS hops"
    )


class Neo4jGraphStore:
    """Breadth-first, one query per level, all levels in one read transaction (one snapshot).

    The same walk as the SQL store: each node is expanded once, at its shortest distance,
    and a walk stops once more than ``max_nodes`` nodes are known. A variable-length
    ``FLOWS_TO*1..n`` pattern, even planned as a pruning breadth-first expand, measured 3-7x
    slower on a 100,000-node graph (bench/RESULTS.md): it tests the validity predicate on
    every path it considers and then needs a second query for the edges between the nodes.
    """

    name = "neo4j"

    def __init__(self, driver: AsyncDriver) -> None:
        self.driver = driver

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
        walks: list[tuple[bool, list[tuple[str, str, str, str, int]]]] = []
        if depth > 0 and starts:
            try:
                # The transaction timeout makes the server stop the walk itself.
                async with self.driver.session(default_access_mode=READ_ACCESS, fetch_size=-1) as session:
                    async with await session.begin_transaction(timeout=timeout) as tx:
                        for forward in walk_directions(direction):
                            walks.append((forward, await self._walk(tx, [str(node_id) for node_id in starts], forward, depth, as_of, max_nodes)))
            except ClientError as exc:
                if timeout is not None and exc.code in TIMED_OUT_CODES:
                    raise GraphQueryTimeout(timeout) from None
                raise
        # Merged on the ids as Neo4j returns them (strings), then only what is kept becomes a
        # UUID: parsing every id of every row cost more than the walk itself at depth 10.
        merged = merge_walks({str(node_id): kind for node_id, kind in starts.items()}, walks, max_nodes=max_nodes, source=self.name)  # type: ignore[arg-type]
        ids = {key: UUID(key) for key in merged.nodes}  # type: ignore[arg-type]
        return Traversal(
            nodes={ids[key]: Reached(ids[key], node.type, node.depth) for key, node in merged.nodes.items()},  # type: ignore[index]
            edges=[Hop(UUID(hop.id), ids[hop.source_id], ids[hop.target_id]) for hop in merged.edges],  # type: ignore[arg-type, index]
            truncated=merged.truncated,
            source=self.name,
        )

    @staticmethod
    async def _walk(
        tx: AsyncTransaction, starts: list[str], forward: bool, depth: int, as_of: datetime | None, max_nodes: int
    ) -> list[tuple[str, str, str, str, int]]:
        query, at = step_query(forward, as_of), micros(as_of)
        frontier = starts
        seen, rows = set(frontier), []
        for level in range(1, depth + 1):
            record = await (await tx.run(query, frontier=frontier, as_of=at)).single(strict=True)
            reached = []
            for edge_id, near, far, far_type in record["hops"]:
                rows.append((edge_id, frontier[near], far, far_type, level))
                if far not in seen:
                    seen.add(far)
                    reached.append(far)
            if not reached or len(seen) > max_nodes:
                break
            frontier = reached
        return rows


APPLY_EDGES = """
UNWIND $edges AS e
MERGE (s:Lineage {id: e.source_id}) ON CREATE SET s.type = e.source_type
MERGE (t:Lineage {id: e.target_id}) ON CREATE SET t.type = e.target_type
MERGE (s)-[r:FLOWS_TO {id: e.id}]->(t)
SET r.valid_from = e.valid_from, r.valid_to = e.valid_to, r.origin = e.origin, r.columns = e.columns
"""
DROP_EDGES = "UNWIND $ids AS id MATCH ()-[r:FLOWS_TO {id: id}]->() DELETE r"
MARKER = "MERGE (m:DlvProjection {id: 'state'}) SET m.rebuilt_at = $at"


def edge_payload(edge: LineageEdge) -> dict[str, Any]:
    return {
        "id": str(edge.id),
        "source_id": str(edge.source_id),
        "source_type": edge.source_type,
        "target_id": str(edge.target_id),
        "target_type": edge.target_type,
        "valid_from": micros(edge.valid_from),
        "valid_to": micros(edge.valid_to),
        "origin": edge.origin,
        "columns": json.dumps(edge.columns or []),
    }


class Projector:
    """Applies the outbox to Neo4j in order, in batches, idempotently; retries with backoff."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], driver: AsyncDriver, batch_size: int = 1000) -> None:
        self.sessions, self.driver, self.batch_size = sessions, driver, batch_size
        self.last_error: str | None = None
        self.applied_total = 0

    async def apply_pending(self) -> int:
        """Apply one batch; return how many outbox rows it covered."""
        async with self.sessions() as session:
            pending = (
                await session.execute(
                    select(GraphOutbox.id, GraphOutbox.edge_id)
                    .where(GraphOutbox.applied_at.is_(None))
                    .order_by(GraphOutbox.id)
                    .limit(self.batch_size)
                )
            ).all()
            if not pending:
                return 0
            edge_ids = list(dict.fromkeys(edge_id for _, edge_id in pending))
            edges = (await session.scalars(select(LineageEdge).where(LineageEdge.id.in_(edge_ids)))).all()
            present = {edge.id for edge in edges}
            await self._write([edge_payload(edge) for edge in edges], [str(i) for i in edge_ids if i not in present])
            await session.execute(
                update(GraphOutbox)
                .where(GraphOutbox.id.in_([row_id for row_id, _ in pending]))
                .values(applied_at=datetime.now(timezone.utc))
            )
            await session.commit()
        self.applied_total += len(pending)
        return len(pending)

    async def _write(self, edges: list[dict[str, Any]], purged: list[str]) -> None:
        async def work(tx: Any) -> None:
            if edges:
                await tx.run(APPLY_EDGES, edges=edges)
            if purged:
                await tx.run(DROP_EDGES, ids=purged)

        async with self.driver.session() as neo:
            await neo.execute_write(work)

    async def catch_up(self) -> int:
        total = 0
        while applied := await self.apply_pending():
            total += applied
        return total

    async def lag(self) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count()).where(GraphOutbox.applied_at.is_(None))) or 0)

    async def needs_rebuild(self) -> bool:
        """A Neo4j that has never been built (new, or wiped) lacks edges written before the
        outbox was on: rebuild it from the relational tables first."""
        result = await self.driver.execute_query("MATCH (m:DlvProjection {id: 'state'}) RETURN count(m) AS n")
        return result.records[0]["n"] == 0

    async def rebuild(self, progress: Any = None) -> int:
        """Wipe Neo4j and project every edge (current and retired) from the relational truth."""
        await ensure_schema(self.driver)
        while True:
            result = await self.driver.execute_query(
                "MATCH (n) WITH n LIMIT 10000 DETACH DELETE n RETURN count(*) AS deleted"
            )
            if result.records[0]["deleted"] == 0:
                break
        copied = 0
        async with self.sessions() as session:
            started = datetime.now(timezone.utc)
            last_id = None
            while True:
                statement = select(LineageEdge).order_by(LineageEdge.id).limit(self.batch_size)
                if last_id is not None:
                    statement = statement.where(LineageEdge.id > last_id)
                edges = (await session.scalars(statement)).all()
                if not edges:
                    break
                await self._write([edge_payload(edge) for edge in edges], [])
                copied += len(edges)
                last_id = edges[-1].id
                if progress:
                    progress(len(edges))
            # Everything queued before the rebuild began is now in Neo4j.
            await session.execute(
                update(GraphOutbox).where(GraphOutbox.applied_at.is_(None), GraphOutbox.created_at <= started).values(applied_at=started)
            )
            await session.commit()
        await self.driver.execute_query(MARKER, {"at": micros(datetime.now(timezone.utc))})
        return copied

    async def run(self, poll_seconds: float = 0.5) -> None:
        """Forever: rebuild if needed, then apply the outbox as it fills; back off while Neo4j is away."""
        backoff = poll_seconds
        ready = False
        while True:
            try:
                if not ready:
                    await ensure_schema(self.driver)
                    if await self.needs_rebuild():
                        logger.info("projecting all lineage into Neo4j")
                        await self.rebuild()
                    ready = True
                applied = await self.apply_pending()
                self.last_error = None
                backoff = poll_seconds
                if applied == 0:
                    await asyncio.sleep(poll_seconds)
            except asyncio.CancelledError:
                raise
            except (*UNREACHABLE, Neo4jError) as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"[:500]
                ready = False  # it may come back empty: check the marker again
                logger.warning("Neo4j projection paused (%s); retrying in %.0f s", type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, RETRY_MAX_SECONDS)
            except Exception:  # a database hiccup must not end the projector for good
                logger.exception("graph projector failed; retrying")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, RETRY_MAX_SECONDS)


class FallbackGraphStore:
    """Neo4j when it answers, the SQL store when it does not; ``source`` says which."""

    def __init__(self, primary: Neo4jGraphStore, fallback: Any) -> None:
        self.primary, self.fallback = primary, fallback
        self.name = primary.name

    async def traverse(self, starts: dict[UUID, str], direction: Direction, depth: int, **options: Any) -> Traversal:
        try:
            return await self.primary.traverse(starts, direction, depth, **options)
        except UNREACHABLE as exc:
            logger.warning("Neo4j unreachable (%s); answering from SQL", type(exc).__name__)
            return await self.fallback.traverse(starts, direction, depth, **options)
