"""Edge writes: every edge change goes through ``EdgeWriter`` so history is kept the same way
everywhere: an edge is never updated in place, it is retired (``valid_to``) and, if needed,
replaced. What each observation does is decided by ``dlv.lineage.rules``; the batch applier
(``dlv.openlineage``) applies the same rules with set-based statements, and shares
``RETIRE_SUPERSEDED`` with ``EdgeWriter.retire_superseded``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import ASSET, PROCESS, DataAsset, LineageEdge, Process, Run
from dlv.lib.exceptions import BadRequest, NotFound
from dlv.lineage._schemas import ColumnMapping
from dlv.lineage.rules import (
    EdgeOutcome,
    check_edge_shape,
    end_version,
    merge_columns,
    observe_edge,
    place_late,
    start_earlier,
    to_builtins,
)

_EDGES, _RUNS = LineageEdge.__table__, Run.__table__


def now() -> datetime:
    return datetime.now(timezone.utc)


# Statements run for every observed run (OpenLineage's hot path), built once with bound
# parameters so SQLAlchemy does not rebuild and re-hash them each time.
_node = bindparam("node_id")
CURRENT_EDGES_TOUCHING = select(LineageEdge).where(
    LineageEdge.valid_to.is_(None), or_(LineageEdge.source_id == _node, LineageEdge.target_id == _node)
)
# The superseded-edge rule: run ``b_started`` of process ``b_process`` completed at ``b_at``,
# so it is what the process does now: the current ``b_origin`` edges of the process that
# only runs started before it produced end at ``b_at``. Core, so the batch applier runs it
# for many completed runs at once (executemany).
SUPERSEDED_EDGES = and_(
    _EDGES.c.valid_to.is_(None),
    _EDGES.c.origin == bindparam("b_origin"),
    _EDGES.c.valid_from <= bindparam("b_at"),
    or_(_EDGES.c.source_id == bindparam("b_process"), _EDGES.c.target_id == bindparam("b_process")),
    _EDGES.c.run_id.in_(select(_RUNS.c.run_id).where(_RUNS.c.process_id == bindparam("b_process"), _RUNS.c.started_at < bindparam("b_started"))),
)
RETIRE_SUPERSEDED = update(LineageEdge).where(SUPERSEDED_EDGES).values(valid_to=bindparam("b_at"))
# The version an edge replaced: the one of its pair that ended where it started.
REPLACED_EDGE = select(LineageEdge).where(
    LineageEdge.source_id == bindparam("source_id"),
    LineageEdge.target_id == bindparam("target_id"),
    LineageEdge.valid_to == bindparam("valid_from"),
)


# When the runs of a process started after ``started_at`` completed (``rules.late_end``), and
# every version of one pair (``rules.place_late``): read for late observations only.
LATER_COMPLETIONS = select(_RUNS.c.ended_at).where(
    _RUNS.c.process_id == bindparam("process_id"), _RUNS.c.state == "COMPLETE", _RUNS.c.started_at > bindparam("started_at")
)
PAIR_VERSIONS = select(_EDGES).where(_EDGES.c.source_id == bindparam("source_id"), _EDGES.c.target_id == bindparam("target_id"))


def superseded_params(process_id: UUID, started_at: datetime, at: datetime, origin: str) -> dict[str, Any]:
    return {"b_process": process_id, "b_started": started_at, "b_at": at, "b_origin": origin}


class EdgeWriter:
    """The one place edges are created, replaced and retired."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        source: tuple[UUID, str],
        target: tuple[UUID, str],
        columns: Sequence[ColumnMapping],
        origin: str,
        *,
        at: datetime | None = None,
    ) -> tuple[LineageEdge, bool]:
        """Make ``source -> target`` current with these columns; return (edge, created?).

        An identical current edge is kept as is; one with other columns is retired and
        replaced, so ``as_of`` still shows the old mapping.
        """
        (source_id, source_type), (target_id, target_type) = source, target
        check_edge_shape(source_type, target_type, source_id, target_id)
        mapped = to_builtins(list(columns))
        current = await self.session.scalar(
            select(LineageEdge).where(
                LineageEdge.source_id == source_id, LineageEdge.target_id == target_id, LineageEdge.valid_to.is_(None)
            )
        )
        if current is not None and current.columns == mapped:
            return current, False
        edge = await self._new_version(current, source, target, mapped, origin, at or now())
        await self.session.flush()
        return edge, current is None

    async def _new_version(
        self,
        previous: LineageEdge | None,
        source: tuple[UUID, str],
        target: tuple[UUID, str],
        columns: list[dict[str, Any]],
        origin: str,
        at: datetime,
        run_id: str | None = None,
    ) -> LineageEdge:
        start = end_version(previous, at)
        if previous is not None:
            await self.session.flush()  # a pair has one current edge: end the old one first
        edge = LineageEdge(
            source_id=source[0], source_type=source[1], target_id=target[0], target_type=target[1],
            columns=columns, origin=origin, valid_from=start, run_id=run_id,
        )
        self.session.add(edge)
        return edge

    async def observe(
        self,
        observed: Sequence[tuple[tuple[UUID, str], tuple[UUID, str], Sequence[ColumnMapping]]],
        *,
        touching: UUID,
        origin: str,
        run_id: str | None,
        at: datetime,
        superseded: bool = False,
        ends_by: datetime | None = None,
    ) -> None:
        """Record that run ``run_id`` produced these (source, target, columns) edges, all touching
        ``touching`` (the run's process), at ``at`` (``rules.observe_edge`` says how). A
        ``superseded`` run's observations, and late ones, only enter history
        (``rules.place_late``; ``ends_by``: when a newer run of the process completed)."""
        current = {
            (edge.source_id, edge.target_id): edge for edge in await self.session.scalars(CURRENT_EDGES_TOUCHING, {"node_id": touching})
        }
        for (source_id, source_type), (target_id, target_type), columns in observed:
            check_edge_shape(source_type, target_type, source_id, target_id)
            mapped = merge_columns(to_builtins(list(columns)))
            edge = current.get((source_id, target_id))
            outcome = EdgeOutcome.STALE if superseded else observe_edge(edge, mapped, run_id, at)
            if outcome is EdgeOutcome.STALE and run_id is not None:
                await self._place_late((source_id, source_type), (target_id, target_type), mapped, origin, run_id, at, ends_by)
            elif outcome is EdgeOutcome.EXTENDED and at < edge.valid_from:
                replaced = await self.session.scalar(
                    REPLACED_EDGE, {"source_id": edge.source_id, "target_id": edge.target_id, "valid_from": edge.valid_from}
                )
                start_earlier(edge, replaced, at)
            elif outcome is EdgeOutcome.REPLACED:
                current[(source_id, target_id)] = await self._new_version(
                    edge, (source_id, source_type), (target_id, target_type), mapped, origin, at, run_id
                )
        await self.session.flush()

    async def _place_late(
        self, source: tuple[UUID, str], target: tuple[UUID, str], columns: list[dict[str, Any]], origin: str, run_id: str, at: datetime,
        ends_by: datetime | None,
    ) -> None:
        versions = (await self.session.scalars(select(LineageEdge).from_statement(PAIR_VERSIONS), {"source_id": source[0], "target_id": target[0]})).all()
        span = place_late(versions, columns, run_id, at, ends_by)
        if span is not None:
            self.session.add(
                LineageEdge(
                    source_id=source[0], source_type=source[1], target_id=target[0], target_type=target[1],
                    columns=columns, origin=origin, valid_from=span[0], valid_to=span[1], run_id=run_id,
                )
            )

    async def later_completions(self, process_id: UUID, started_at: datetime) -> list[datetime]:
        return list((await self.session.scalars(LATER_COMPLETIONS, {"process_id": process_id, "started_at": started_at})).all())

    async def retire_superseded(self, run: Run, origin: str, at: datetime) -> int:
        """``run`` completed: end the edges only older runs of its process produced."""
        result = await self.session.execute(
            RETIRE_SUPERSEDED.execution_options(synchronize_session="fetch"), superseded_params(run.process_id, run.started_at, at, origin)
        )
        return result.rowcount or 0

    async def retire(self, edge_ids: Iterable[UUID] | None = None, *, touching: UUID | None = None, at: datetime | None = None) -> int:
        """End current edges, by id or every edge touching one node."""
        statement = update(LineageEdge).where(LineageEdge.valid_to.is_(None)).values(valid_to=at or now())
        if edge_ids is not None:
            statement = statement.where(LineageEdge.id.in_(list(edge_ids)))
        if touching is not None:
            statement = statement.where(or_(LineageEdge.source_id == touching, LineageEdge.target_id == touching))
        result = await self.session.execute(statement.execution_options(synchronize_session=False))
        return result.rowcount or 0

    async def purge(self, *, edge_id: UUID | None = None, touching: UUID | None = None) -> None:
        """Erase history for good (admins only, e.g. data entered by mistake)."""
        statement = delete(LineageEdge)
        if edge_id is not None:
            statement = statement.where(LineageEdge.id == edge_id)
        if touching is not None:
            statement = statement.where(or_(LineageEdge.source_id == touching, LineageEdge.target_id == touching))
        await self.session.execute(statement.execution_options(synchronize_session=False))


class EdgeService:
    """The edge endpoints' reads and writes (writes through ``EdgeWriter``)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.writer = EdgeWriter(session)

    async def page(
        self,
        *,
        source_id: UUID | None = None,
        target_id: UUID | None = None,
        node_id: UUID | None = None,
        origin: str | None = None,
        include_retired: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[LineageEdge], int]:
        """One page of edges, newest first, and how many match; ``node_id`` matches either end."""
        statement = select(LineageEdge)
        if not include_retired:
            statement = statement.where(LineageEdge.valid_to.is_(None))
        for column, value in ((LineageEdge.source_id, source_id), (LineageEdge.target_id, target_id), (LineageEdge.origin, origin)):
            if value is not None:
                statement = statement.where(column == value)
        if node_id is not None:
            statement = statement.where((LineageEdge.source_id == node_id) | (LineageEdge.target_id == node_id))
        total = await self.session.scalar(select(func.count()).select_from(statement.subquery()))
        rows = await self.session.scalars(statement.order_by(LineageEdge.valid_from.desc(), LineageEdge.id).limit(limit).offset(offset))
        return list(rows), total or 0

    async def get(self, edge_id: UUID, *, current: bool = False) -> LineageEdge:
        edge = await self.session.get(LineageEdge, edge_id)
        if edge is None or (current and edge.valid_to is not None):
            if current:
                raise NotFound(f"No current edge with id {edge_id}; retired edges are history and cannot change.", field="edge_id")
            raise NotFound(f"No edge with id {edge_id}.", field="edge_id")
        return edge

    async def create(self, source_id: UUID, target_id: UUID, columns: Sequence[ColumnMapping], origin: str) -> LineageEdge:
        types = await entity_types(self.session, (source_id, target_id))
        for end, value in (("source_id", source_id), ("target_id", target_id)):
            if value not in types:
                raise BadRequest(f"Invalid field {end}: no asset or process with id {value}.", field=end)
        edge, _ = await self.writer.add((source_id, types[source_id]), (target_id, types[target_id]), columns, origin)
        return edge

    async def replace_columns(self, edge_id: UUID, columns: Sequence[ColumnMapping]) -> LineageEdge:
        """The current version is retired and a new one starts, so ``as_of`` keeps the old mapping."""
        edge = await self.get(edge_id, current=True)
        replaced, _ = await self.writer.add((edge.source_id, edge.source_type), (edge.target_id, edge.target_type), columns, edge.origin)
        return replaced

    async def remove(self, edge_id: UUID, *, purge: bool) -> None:
        await self.get(edge_id)
        await (self.writer.purge(edge_id=edge_id) if purge else self.writer.retire([edge_id]))


async def entity_types(session: AsyncSession, ids: Iterable[UUID], *, include_deleted: bool = False) -> dict[UUID, str]:
    """Which of ``ids`` are assets and which are processes."""
    wanted = list(set(ids))
    found: dict[UUID, str] = {}
    for model, kind in ((DataAsset, ASSET), (Process, PROCESS)):
        statement = select(model.id).where(model.id.in_(wanted))
        if not include_deleted:
            statement = statement.where(model.deleted_at.is_(None))
        found.update({row: kind for row in (await session.scalars(statement)).all()})
    return found
