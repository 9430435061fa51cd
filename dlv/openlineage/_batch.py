"""Applies many ordinary run events in one transaction, with a fixed number of set-based
statements per batch instead of a dozen ORM round trips per event.

"Ordinary" is what integrations send on every run: a RunEvent whose datasets carry no
lifecycle change (DROP, RENAME) and no symlinks. Everything else goes through
``EventMapper`` one event at a time, and so does an ordinary event whose batch failed.

The result is the one ``EventMapper`` reaches applying the same events one after the
other: the batch is cut into rounds holding at most one event per job (a job's events stay
in arrival order, one per round), so the events of a round write disjoint runs, processes
and edges (every OpenLineage edge touches its job's process), and shared datasets take
their facets in event order. tests/integration/openlineage/test_batch.py checks the two
paths against each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import String, and_, bindparam, func, insert, literal, null, or_, select, text, tuple_, union_all, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from dlv.db.models import AssetAlias, DataAsset, GraphOutbox, LineageEdge, LineageEvent, Process, Run
from dlv.graph import OUTBOX_FLAG
from dlv.lineage._service import check_edge_shape, merge_columns, to_builtins
from dlv.openlineage._mapping import (
    ORIGIN,
    UPDATE_HEALTH,
    Applied,
    EventMapper,
    Key,
    _asset_kind,
    _key,
    advance_run,
    insert_ignoring_conflicts,
    link_nodes,
    live_assets,
    observations,
    referenced_datasets,
)
from dlv.openlineage._spec import TERMINAL_STATES, Dataset, Event, RunEvent

_PROCESSES, _ASSETS, _ALIASES = Process.__table__, DataAsset.__table__, AssetAlias.__table__
_RUNS, _EDGES, _OUTBOX, _EVENTS = Run.__table__, LineageEdge.__table__, GraphOutbox.__table__, LineageEvent.__table__

PROCESS_COLUMNS = ("id", "namespace", "name", "kind", "owner", "description", "sql", "parent_id", "deleted_at")
ASSET_COLUMNS = ("id", "namespace", "name", "kind", "owner", "description", "fields", "node_id", "deleted_at")
RUN_COLUMNS = ("id", "run_id", "process_id", "state", "started_at", "ended_at", "updated_at", "error_message")
EDGE_COLUMNS = ("id", "source_id", "source_type", "target_id", "target_type", "origin", "columns", "valid_from", "valid_to", "run_id")


def among(column: Any, name: str, dialect: str, item_type: Any) -> Any:
    """``column IN (:name...)``. On PostgreSQL ``= ANY(:name)`` with one array parameter, so
    the statement's text (and the statement PostgreSQL prepared for it) stays the same
    whatever the list's length: an IN list of n items is a new statement for every n, and
    asyncpg's per-connection cache of prepared statements then churns."""
    if dialect == "postgresql":
        return column == func.any(bindparam(name, type_=ARRAY(item_type)))
    return column.in_(bindparam(name, expanding=True))


def not_among(column: Any, name: str, dialect: str, item_type: Any) -> Any:
    """``column NOT IN (:name...)``, as ``among`` (``<> ALL(:name)`` on PostgreSQL: negating
    ``= ANY`` would give ``<> ANY``, true for any list of two or more)."""
    if dialect == "postgresql":
        return column != func.all(bindparam(name, type_=ARRAY(item_type)))
    return column.not_in(bindparam(name, expanding=True))


def _named(table: Any, dialect: str) -> Any:
    """``(namespace, name) IN`` the ``keys`` parameter (see ``key_params``), the same way."""
    pair = tuple_(table.c.namespace, table.c.name)
    if dialect == "postgresql":
        keys = select(
            func.unnest(bindparam("namespaces", type_=ARRAY(String))).label("namespace"),
            func.unnest(bindparam("names", type_=ARRAY(String))).label("name"),
        ).subquery()
        return pair.in_(select(keys.c.namespace, keys.c.name))
    return pair.in_(bindparam("keys", expanding=True))


def key_params(keys: Sequence[Key]) -> dict[str, Any]:
    return {"keys": list(keys), "namespaces": [key[0] for key in keys], "names": [key[1] for key in keys]}


@cache
def statements(dialect: str) -> SimpleNamespace:
    """The batch's queries, built once per database dialect."""
    uuids = PG_UUID(as_uuid=True)
    return SimpleNamespace(
        processes_named=select(*(_PROCESSES.c[name] for name in PROCESS_COLUMNS)).where(_named(_PROCESSES, dialect)),
        assets_named=select(*(_ASSETS.c[name] for name in ASSET_COLUMNS)).where(_named(_ASSETS, dialect)),
        assets_aliased=(
            select(_ALIASES.c.namespace.label("alias_namespace"), _ALIASES.c.name.label("alias_name"), *(_ASSETS.c[name] for name in ASSET_COLUMNS))
            .join(_ASSETS, _ASSETS.c.id == _ALIASES.c.asset_id)
            .where(_named(_ALIASES, dialect))
        ),
        # The round's runs and, per process, when its latest completed run other than those
        # started, in one round trip. No FOR UPDATE (not allowed with UNION): the job's
        # advisory lock (take_turns) already keeps other transactions off these runs.
        runs_and_latest=union_all(
            select(literal("run").label("row_kind"), *(_RUNS.c[name] for name in RUN_COLUMNS)).where(
                among(_RUNS.c.run_id, "run_ids", dialect, String)
            ),
            select(
                literal("latest"), null(), null(), _RUNS.c.process_id, null(), func.max(_RUNS.c.started_at), null(), null(), null()
            )
            .where(among(_RUNS.c.process_id, "ids", dialect, uuids), _RUNS.c.state == "COMPLETE", not_among(_RUNS.c.run_id, "run_ids", dialect, String))
            .group_by(_RUNS.c.process_id),
        ),
        current_edges=select(*(_EDGES.c[name] for name in EDGE_COLUMNS)).where(
            _EDGES.c.valid_to.is_(None), among(_EDGES.c.source_id, "ids", dialect, uuids) | among(_EDGES.c.target_id, "ids", dialect, uuids)
        ),
        known_hashes=select(_EVENTS.c.event_hash).where(among(_EVENTS.c.event_hash, "hashes", dialect, String)),
    )


# EdgeWriter.retire_superseded for many completed runs at once (executemany), and the graph
# outbox rows for the edges it ends, read with the same condition just before.
_superseded = and_(
    _EDGES.c.valid_to.is_(None),
    _EDGES.c.origin == ORIGIN,
    _EDGES.c.valid_from <= bindparam("b_at"),
    or_(_EDGES.c.source_id == bindparam("b_process"), _EDGES.c.target_id == bindparam("b_process")),
    _EDGES.c.run_id.in_(select(_RUNS.c.run_id).where(_RUNS.c.process_id == bindparam("b_process"), _RUNS.c.started_at < bindparam("b_started"))),
)
RETIRE_SUPERSEDED = update(_EDGES).where(_superseded).values(valid_to=bindparam("b_at"))
RECORD_SUPERSEDED = insert(_OUTBOX).from_select(
    ["edge_id", "created_at"], select(_EDGES.c.id, bindparam("b_now", type_=_OUTBOX.c.created_at.type)).where(_superseded)
)

REPLACED_EDGE = select(_EDGES.c.id, _EDGES.c.valid_from).where(
    _EDGES.c.source_id == bindparam("source_id"), _EDGES.c.target_id == bindparam("target_id"), _EDGES.c.valid_to == bindparam("valid_from")
)


def _update_by_id(table: Any, columns: Sequence[str]) -> Any:
    """UPDATE table SET columns WHERE id = ..., for executemany (bind names may not be column names)."""
    return update(table).where(table.c.id == bindparam("b_id")).values({name: bindparam(f"b_{name}") for name in columns})


PROCESS_CHANGES = ("kind", "owner", "description", "sql", "parent_id", "deleted_at", "updated_at")
ASSET_CHANGES = ("kind", "owner", "description", "fields", "node_id", "deleted_at", "updated_at")
RUN_CHANGES = ("state", "started_at", "ended_at", "updated_at", "error_message")
EDGE_CHANGES = ("columns", "valid_from", "valid_to", "run_id")
UPDATE_PROCESSES = _update_by_id(_PROCESSES, PROCESS_CHANGES)
UPDATE_ASSETS = _update_by_id(_ASSETS, ASSET_CHANGES)
# New runs and advanced ones in one executemany (the same SQL on PostgreSQL and SQLite).
UPSERT_RUNS = text(
    f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}) VALUES ({', '.join(':' + name for name in RUN_COLUMNS)}) ON CONFLICT (run_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in RUN_CHANGES)
).bindparams(*(bindparam(name, type_=_RUNS.c[name].type) for name in RUN_COLUMNS))
UPDATE_EDGES = _update_by_id(_EDGES, EDGE_CHANGES)
MOVE_EDGES = _update_by_id(_EDGES, ("run_id",))
END_EDGE = update(_EDGES).where(_EDGES.c.id == bindparam("b_id")).values(valid_to=bindparam("b_valid_to"))


def batchable(event: Event) -> bool:
    """Whether the batch writer applies this event (else ``EventMapper`` does, alone)."""
    if not isinstance(event, RunEvent):
        return False
    return all(
        dataset.facets.lifecycle_state_change is None and dataset.facets.symlinks is None
        for dataset in (*event.inputs, *event.outputs)
    )


def rounds(events: Sequence[RunEvent]) -> list[list[int]]:
    """Indexes of ``events`` in rounds: the n-th event of each job goes to round n."""
    seen: dict[Key, int] = defaultdict(int)
    grouped: list[list[int]] = []
    for index, event in enumerate(events):
        number = seen[_key(event.job)]
        seen[_key(event.job)] += 1
        if number == len(grouped):
            grouped.append([])
        grouped[number].append(index)
    return grouped


class Row(SimpleNamespace):
    """A row read for the batch, with its columns as attributes (so ``EventMapper``'s facet
    helpers apply to it as to a model) and a memory of what it was when read."""

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__(**values)
        self._read = dict(values)

    @property
    def changed(self) -> bool:
        return any(getattr(self, name) != value for name, value in self._read.items())

    def only_changed(self, column: str) -> bool:
        return all(getattr(self, name) == value for name, value in self._read.items() if name != column)

    def values(self, columns: Sequence[str]) -> dict[str, Any]:
        return {f"b_{name}": getattr(self, name) for name in columns}


def _rows(result: Any) -> list[Row]:
    return [Row(dict(row._mapping)) for row in result]


class ConflictingRun(Exception):
    """A runId already belongs to another job: the event is refused, by ``EventMapper``."""


@dataclass
class _Step:
    """One event while its round is applied."""

    event: RunEvent
    process: Row
    run: Row
    fresh: bool = False
    previous: str | None = None
    superseded: bool = False
    applied: Applied = field(default_factory=Applied)
    # The live asset of each dataset the event names (current events only).
    live: dict[Key, Row] = field(default_factory=dict)


class BatchMapper:
    """Applies ordinary run events (see ``batchable``) in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.outbox = bool(session.info.get(OUTBOX_FLAG))
        self.sql = statements(session.bind.dialect.name)

    async def apply(self, events: Sequence[RunEvent]) -> list[Applied]:
        applied: dict[int, Applied] = {}
        connection = await self.session.connection()
        for indexes in rounds(events):
            applied.update(zip(indexes, await self._round(connection, [events[index] for index in indexes])))
        return [applied[index] for index in range(len(events))]

    async def _round(self, connection: AsyncConnection, events: list[RunEvent]) -> list[Applied]:
        now = datetime.now(timezone.utc)
        processes = await self._processes(connection, events, now)
        steps = await self._runs(connection, events, processes, now)
        assets = await self._assets(connection, steps, now)
        await self._edges(connection, steps, assets)
        completed = [
            {"b_process": step.process.id, "b_started": step.run.started_at, "b_at": step.event.event_time, "b_now": now}
            for step in steps
            if not step.superseded and step.event.event_type == "COMPLETE"
        ]
        if completed:  # what the job does now: end edges only runs started before it produced
            if self.outbox:
                await connection.execute(RECORD_SUPERSEDED, completed)
            await connection.execute(RETIRE_SUPERSEDED, completed)
        await connection.execute(UPDATE_HEALTH, [{"b_process": process_id} for process_id in dict.fromkeys(step.process.id for step in steps)])
        return [step.applied for step in steps]

    # --- processes and runs

    async def _processes(self, connection: AsyncConnection, events: list[RunEvent], now: datetime) -> dict[Key, Row]:
        jobs = [job for event in events for job in (event.job, *([event.run.facets.parent.job] if event.run.facets.parent else []))]
        keys = list(dict.fromkeys(_key(job) for job in jobs))
        found = {(row.namespace, row.name): row for row in _rows(await connection.execute(self.sql.processes_named, key_params(keys)))}
        missing = sorted(key for key in keys if key not in found)
        if missing:
            await connection.execute(
                insert_ignoring_conflicts(self.session, Process)
                .values([{"namespace": namespace, "name": name} for namespace, name in missing])
                .on_conflict_do_nothing(index_elements=["namespace", "name"])
            )
            found.update({(row.namespace, row.name): row for row in _rows(await connection.execute(self.sql.processes_named, key_params(missing)))})
        for process in found.values():
            process.deleted_at = None  # a job that runs again is live again
        return found

    async def _runs(self, connection: AsyncConnection, events: list[RunEvent], processes: dict[Key, Row], now: datetime) -> list[_Step]:
        """Create or advance each event's run the way ``EventMapper._run`` does; apply job
        facets of the newest events; write runs and processes."""
        run_ids = [event.run.run_id for event in events]
        rows = await connection.execute(self.sql.runs_and_latest, {"run_ids": run_ids, "ids": [processes[_key(e.job)].id for e in events]})
        known, latest_complete = {}, {}
        for row in rows:
            values = dict(row._mapping)
            if values.pop("row_kind") == "run":
                known[values["run_id"]] = Row(values)
            else:
                latest_complete[values["process_id"]] = values["started_at"]
        steps, created = [], []
        for event in events:
            process, at, state = processes[_key(event.job)], event.event_time, event.event_type
            run = known.get(event.run.run_id)
            if run is None:
                run = Row({"id": uuid4(), "run_id": event.run.run_id, "process_id": process.id, "state": state, "started_at": at,
                           "ended_at": at if state in TERMINAL_STATES else None, "updated_at": at, "error_message": None})
                created.append(run)
                previous = None
            else:
                previous = run.state
            if run.process_id != process.id:
                raise ConflictingRun(event.run.run_id)
            step = _Step(event, process, run, fresh=advance_run(run, event), previous=previous)
            if step.fresh:
                EventMapper._job_facets(process, event.job)  # type: ignore[arg-type]
                parent_facet = event.run.facets.parent
                if parent_facet is not None and (parent := processes[_key(parent_facet.job)]).id != process.id:
                    process.parent_id = parent.id
            # A run that started before another completed run of its process no longer shapes
            # the current graph: its late events only update the run itself.
            newest = latest_complete.get(process.id)
            step.superseded = newest is not None and newest > run.started_at
            step.applied = Applied(process_ids=[process.id], run=(process.id, run.run_id, run.state, previous))
            steps.append(step)
        written = [*created, *(run for run in known.values() if run.changed)]
        if written:
            await connection.execute(UPSERT_RUNS, [{name: getattr(run, name) for name in RUN_COLUMNS} for run in written])
        changed = [process for process in processes.values() if process.changed]
        if changed:
            for process in changed:
                process.updated_at = now
            await connection.execute(UPDATE_PROCESSES, [{"b_id": p.id, **p.values(PROCESS_CHANGES)} for p in changed])
        return steps

    # --- datasets

    async def _assets(self, connection: AsyncConnection, steps: list[_Step], now: datetime) -> dict[Key, Row]:
        """The asset of every dataset the round's (current) events name, created if new,
        facets applied in event order."""
        named = {id(step): self._datasets(step) for step in steps if not step.superseded}
        kinds: dict[Key, str] = {}
        for datasets in named.values():  # the first event to name a new dataset creates it
            for key, kind in {_key(d): _asset_kind(d) for d in datasets}.items():
                kinds.setdefault(key, kind)
        assets = await self._find_assets(connection, list(kinds))
        missing = sorted(key for key in kinds if key not in assets)
        if missing:
            await connection.execute(
                insert_ignoring_conflicts(self.session, DataAsset)
                .values([{"namespace": ns, "name": name, "kind": kinds[(ns, name)]} for ns, name in missing])
                .on_conflict_do_nothing(index_elements=["namespace", "name"])
            )
            assets.update(await self._find_assets(connection, missing))
        for step in steps:
            datasets = named.get(id(step))
            if datasets is None:
                step.applied.complete = not (step.event.inputs or step.event.outputs)
                continue
            live = live_assets(datasets, assets, step.event.event_time, fresh=step.fresh)
            await link_nodes(self.session, datasets, live)
            step.live = live
            reported = list(dict.fromkeys(_key(d) for d in (*step.event.inputs, *step.event.outputs)))
            step.applied.asset_ids = [assets[key].id for key in reported if key in assets]
            step.applied.complete = len(step.applied.asset_ids) == len(reported)
        changed = list({id(asset): asset for asset in assets.values() if asset.changed}.values())
        if changed:
            for asset in changed:
                asset.updated_at = now
            await connection.execute(UPDATE_ASSETS, [{"b_id": a.id, **a.values(ASSET_CHANGES)} for a in changed])
        return assets

    @staticmethod
    def _datasets(step: _Step) -> list[Dataset]:
        return [*step.event.inputs, *step.event.outputs, *referenced_datasets(step.event.outputs)]

    async def _find_assets(self, connection: AsyncConnection, keys: list[Key]) -> dict[Key, Row]:
        if not keys:
            return {}
        found = {(row.namespace, row.name): row for row in _rows(await connection.execute(self.sql.assets_named, key_params(keys)))}
        unresolved = [key for key in keys if key not in found]
        if unresolved:
            by_id = {row.id: row for row in found.values()}
            for row in await connection.execute(self.sql.assets_aliased, key_params(unresolved)):
                values = dict(row._mapping)
                alias = (values.pop("alias_namespace"), values.pop("alias_name"))
                found[alias] = by_id.setdefault(values["id"], Row(values))
        return found

    # --- edges

    async def _edges(self, connection: AsyncConnection, steps: list[_Step], assets: dict[Key, Row]) -> None:
        """``EdgeWriter.observe`` for every current event of the round, in two statements."""
        current_steps = [step for step in steps if not step.superseded]
        if not current_steps:
            return
        process_ids = [step.process.id for step in current_steps]
        loaded = _rows(await connection.execute(self.sql.current_edges, {"ids": process_ids}))
        current = {(row.source_id, row.target_id): row for row in loaded}
        created: list[Row] = []
        recorded: list[UUID] = []  # edges changed besides those below, for the outbox
        for step in current_steps:
            at, run_id = step.event.event_time, step.run.run_id
            for (source_id, source_type), (target_id, target_type), columns in observations(
                step.process.id, step.event.inputs, step.event.outputs, step.live
            ):
                check_edge_shape(source_type, target_type, source_id, target_id)
                mapped = merge_columns(to_builtins(list(columns)))
                edge = current.get((source_id, target_id))
                if edge is not None and edge.run_id == run_id:  # the run reports more of its lineage
                    edge.columns = merge_columns(edge.columns, mapped)
                    if at < edge.valid_from:
                        recorded.extend(await self._start_earlier(connection, edge, at))
                elif edge is not None and edge.columns == mapped:
                    edge.run_id = run_id
                else:  # a new edge, or the next version of one (never starting before it)
                    start = at if edge is None else max(at, edge.valid_from)
                    if edge is not None:
                        edge.valid_to = start
                    current[(source_id, target_id)] = Row(
                        {"id": uuid4(), "source_id": source_id, "source_type": source_type, "target_id": target_id, "target_type": target_type,
                         "origin": ORIGIN, "columns": mapped, "valid_from": start, "valid_to": None, "run_id": run_id}
                    )
                    created.append(current[(source_id, target_id)])
        changed = [edge for edge in loaded if edge.changed]
        # Most edges only move to the newest run; their column mappings are not sent again.
        moved = [edge for edge in changed if edge.only_changed("run_id")]
        if moved:
            await connection.execute(MOVE_EDGES, [{"b_id": edge.id, "b_run_id": edge.run_id} for edge in moved])
        rewritten = [edge for edge in changed if not edge.only_changed("run_id")]
        if rewritten:  # ends first: a pair may have one current edge only
            await connection.execute(UPDATE_EDGES, [{"b_id": edge.id, **edge.values(EDGE_CHANGES)} for edge in rewritten])
        if created:
            await connection.execute(insert(_EDGES), [{name: getattr(edge, name) for name in EDGE_COLUMNS} for edge in created])
        edge_ids = list(dict.fromkeys([*recorded, *(edge.id for edge in (*changed, *created))]))
        if self.outbox and edge_ids:
            now = datetime.now(timezone.utc)
            await connection.execute(insert(_OUTBOX), [{"edge_id": edge_id, "created_at": now} for edge_id in edge_ids])

    @staticmethod
    async def _start_earlier(connection: AsyncConnection, edge: Row, at: datetime) -> list[UUID]:
        """As ``EdgeWriter._start_earlier``: a late earlier event moves the edge's start back,
        and the end of the version it replaced with it; returns that version's id, if any."""
        replaced = (
            await connection.execute(REPLACED_EDGE, {"source_id": edge.source_id, "target_id": edge.target_id, "valid_from": edge.valid_from})
        ).first()
        edge.valid_from = at if replaced is None else max(at, replaced.valid_from)
        if replaced is None:
            return []
        await connection.execute(END_EDGE, {"b_id": replaced.id, "b_valid_to": edge.valid_from})
        return [replaced.id]
