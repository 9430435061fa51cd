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
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from dlv.alerts import IngestAlerts
from dlv.db.sql import pair_params, with_defaults
from dlv.graph import outbox_enabled, outbox_write
from dlv.lineage import LATER_COMPLETIONS, PAIR_VERSIONS, RETIRE_SUPERSEDED, SUPERSEDED_EDGES, superseded_params
from dlv.lineage.rules import (
    EdgeOutcome,
    advance_run,
    check_edge_shape,
    end_version,
    late_end,
    merge_columns,
    new_run,
    newer,
    observe_edge,
    place_late,
    start_earlier,
    superseded,
    to_builtins,
)
from dlv.openlineage._facets import (
    ORIGIN,
    Applied,
    Key,
    asset_kind,
    job_facets,
    key,
    named_datasets,
    observations,
    parent_job,
    run_datasets,
    run_error,
)
from dlv.openlineage._mapping import live_assets
from dlv.openlineage._nodes import link_nodes
from dlv.openlineage._spec import Event, RunEvent
from dlv.openlineage._statements import (
    ASSET_CHANGES,
    ASSETS,
    EDGE_CHANGES,
    EDGE_COLUMNS,
    EDGES,
    INSERT_ASSETS,
    INSERT_PROCESSES,
    NEW_ASSET_COLUMNS,
    NEW_PROCESS_COLUMNS,
    PROCESS_CHANGES,
    PROCESSES,
    REPLACED_EDGE,
    RUN_COLUMNS,
    UPDATE_HEALTH,
    UPSERT_RUNS,
    record_run_datasets,
    statements,
    update_by_id,
)


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
        number = seen[key(event.job)]
        seen[key(event.job)] += 1
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

    def changed_columns(self, columns: Sequence[str]) -> tuple[str, ...]:
        """Which of ``columns`` differ from what was read (a column not read counts once set)."""
        return tuple(name for name in columns if getattr(self, name, None) != self._read.get(name))

    def values(self, columns: Sequence[str]) -> dict[str, Any]:
        return {f"b_{name}": getattr(self, name) for name in columns}


def _rows(result: Any) -> list[Row]:
    return [Row(dict(row._mapping)) for row in result]


async def _update_changed(connection: AsyncConnection, table: Any, rows: Sequence[Row], columns: tuple[str, ...]) -> None:
    """Write what changed in ``rows``: one executemany per set of changed columns, so a row
    sends only those (most events move an edge to their run, or a facet's time, and nothing else)."""
    groups: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        groups.setdefault(row.changed_columns(columns), []).append(row)
    for names, group in groups.items():
        if names:
            await connection.execute(update_by_id(table, names), [{"b_id": row.id, **row.values(names)} for row in group])


class ConflictingRun(Exception):
    """A runId already belongs to another job: the event is refused, by ``EventMapper``."""


@dataclass
class _Step:
    """One event while its round is applied."""

    event: RunEvent
    process: Row
    run: Row
    previous: str | None = None
    superseded: bool = False
    applied: Applied = field(default_factory=Applied)
    # The live asset of each dataset the event names (current events only).
    live: dict[Key, Row] = field(default_factory=dict)


class BatchMapper:
    """Applies ordinary run events (see ``batchable``) in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.outbox = outbox_enabled(session)
        self.sql = statements(session.bind.dialect.name)
        self.alerts = IngestAlerts(session)

    async def apply(self, events: Sequence[RunEvent]) -> list[Applied]:
        applied: dict[int, Applied] = {}
        connection = await self.session.connection()
        for indexes in rounds(events):
            applied.update(zip(indexes, await self._round(connection, [events[index] for index in indexes])))
        await self.alerts.fire(applied.values())
        return [applied[index] for index in range(len(events))]

    async def _round(self, connection: AsyncConnection, events: list[RunEvent]) -> list[Applied]:
        now = datetime.now(timezone.utc)
        processes = await self._processes(connection, events, now)
        steps = await self._runs(connection, events, processes, now)
        assets = await self._assets(connection, steps, now)
        asset_ids = {item: asset.id for item, asset in assets.items()}
        await record_run_datasets(connection, [row for step in steps for row in run_datasets(step.event, asset_ids)])
        await self._edges(connection, steps, assets)
        completed = [
            superseded_params(step.process.id, step.run.started_at, step.event.event_time, ORIGIN)
            for step in steps
            if not step.superseded and step.event.event_type == "COMPLETE"
        ]
        if completed:  # what the job does now: end edges only runs started before it produced
            if self.outbox:
                await connection.execute(*outbox_write(where=SUPERSEDED_EDGES, params=completed))
            await connection.execute(RETIRE_SUPERSEDED, completed)
        await connection.execute(UPDATE_HEALTH, [{"b_process": process_id} for process_id in dict.fromkeys(step.process.id for step in steps)])
        return [step.applied for step in steps]

    # --- processes and runs

    async def _processes(self, connection: AsyncConnection, events: list[RunEvent], now: datetime) -> dict[Key, Row]:
        jobs = [job for event in events for job in (event.job, *([parent_job(event)] if parent_job(event) else []))]
        keys = list(dict.fromkeys(key(job) for job in jobs))
        found = {key(row): row for row in _rows(await connection.execute(self.sql.processes_named, pair_params(keys)))}
        missing = sorted(item for item in keys if item not in found)
        if missing:
            rows = [{"namespace": namespace, "name": name} for namespace, name in missing]
            await connection.execute(INSERT_PROCESSES, with_defaults(PROCESSES, rows, NEW_PROCESS_COLUMNS))
            found.update({key(row): row for row in _rows(await connection.execute(self.sql.processes_named, pair_params(missing)))})
        for process in found.values():
            process.deleted_at = None  # a job that runs again is live again
        return found

    async def _runs(self, connection: AsyncConnection, events: list[RunEvent], processes: dict[Key, Row], now: datetime) -> list[_Step]:
        """Create or advance each event's run the way ``EventMapper._run`` does; apply job
        facets of the newest events; write runs and processes."""
        run_ids = [event.run.run_id for event in events]
        rows = await connection.execute(self.sql.runs_and_latest, {"run_ids": run_ids, "ids": [processes[key(e.job)].id for e in events]})
        known, latest_complete = {}, {}
        for row in rows:
            values = dict(row._mapping)
            if values.pop("row_kind") == "run":
                known[values["run_id"]] = Row(values)
            else:
                latest_complete[values["process_id"]] = values["started_at"]
        steps, created = [], []
        for event in events:
            process, at, state = processes[key(event.job)], event.event_time, event.event_type
            run = known.get(event.run.run_id)
            if run is None:
                run = Row({"id": uuid4(), **new_run(event.run.run_id, process.id, state, at)})
                created.append(run)
                previous = None
            else:
                previous = run.state
            if run.process_id != process.id:
                raise ConflictingRun(event.run.run_id)
            advance_run(run, state, at, run_error(event))
            step = _Step(event, process, run, previous=previous)
            job_facets(process, event.job, at)
            parent = parent_job(event)
            if parent is not None and processes[key(parent)].id != process.id and newer(process, "parent", at):
                process.parent_id = processes[key(parent)].id
            step.superseded = superseded(latest_complete.get(process.id), run)
            step.applied = Applied(process_ids=[process.id], run=(process.id, run.run_id, run.state, previous))
            steps.append(step)
        written = [*created, *(run for run in known.values() if run.changed)]
        if written:
            await connection.execute(UPSERT_RUNS, [{name: getattr(run, name) for name in RUN_COLUMNS} for run in written])
        changed = [process for process in processes.values() if process.changed]
        if changed:
            for process in changed:
                process.updated_at = now
            await _update_changed(connection, PROCESSES, changed, PROCESS_CHANGES)
        return steps

    # --- datasets

    async def _assets(self, connection: AsyncConnection, steps: list[_Step], now: datetime) -> dict[Key, Row]:
        """The asset of every dataset the round's events name, created if new, facets applied
        where they are the newest. Superseded events too: their datasets exist and enter their
        runs' history (not the current edges)."""
        named = {id(step): named_datasets(step.event.inputs, step.event.outputs) for step in steps}
        kinds: dict[Key, str] = {}
        for datasets in named.values():  # the first event to name a new dataset creates it
            for item, kind in {key(d): asset_kind(d) for d in datasets}.items():
                kinds.setdefault(item, kind)
        assets = await self._find_assets(connection, list(kinds))
        missing = sorted(item for item in kinds if item not in assets)
        if missing:
            rows = [{"namespace": ns, "name": name, "kind": kinds[(ns, name)]} for ns, name in missing]
            await connection.execute(INSERT_ASSETS, with_defaults(ASSETS, rows, NEW_ASSET_COLUMNS))
            assets.update(await self._find_assets(connection, missing))
        asset_ids = {item: asset.id for item, asset in assets.items()}
        for step in steps:
            datasets = named.get(id(step))
            if datasets is None:
                step.applied.complete = not (step.event.inputs or step.event.outputs)
                continue
            live = live_assets(datasets, assets, step.event.event_time, self.alerts)
            await link_nodes(self.session, datasets, live)
            step.live = live
            step.applied.resolved([*step.event.inputs, *step.event.outputs], asset_ids)
        changed = list({id(asset): asset for asset in assets.values() if asset.changed}.values())
        if changed:
            for asset in changed:
                asset.updated_at = now
            await _update_changed(connection, ASSETS, changed, ASSET_CHANGES)
        return assets

    async def _find_assets(self, connection: AsyncConnection, keys: list[Key]) -> dict[Key, Row]:
        if not keys:
            return {}
        found = {key(row): row for row in _rows(await connection.execute(self.sql.assets_named, pair_params(keys)))}
        unresolved = [item for item in keys if item not in found]
        if unresolved:
            by_id = {row.id: row for row in found.values()}
            for row in await connection.execute(self.sql.assets_aliased, pair_params(unresolved)):
                values = dict(row._mapping)
                alias = (values.pop("alias_namespace"), values.pop("alias_name"))
                found[alias] = by_id.setdefault(values["id"], Row(values))
        return found

    # --- edges

    async def _edges(self, connection: AsyncConnection, steps: list[_Step], assets: dict[Key, Row]) -> None:
        """``EdgeWriter.observe`` for every event of the round: the current edges of their
        processes read in one statement, the changes written in a few (late observations
        read their pair's history first: they are rare)."""
        if not steps:
            return
        process_ids = list(dict.fromkeys(step.process.id for step in steps))
        loaded = _rows(await connection.execute(self.sql.current_edges, {"ids": process_ids}))
        current = {(row.source_id, row.target_id): row for row in loaded}
        # Every version read or made in this round, by id: each is changed in one place only.
        versions: dict[UUID, Row] = {row.id: row for row in loaded}
        created: list[Row] = []
        for step in steps:
            at, run_id = step.event.event_time, step.run.run_id
            ends_by = None
            if step.superseded:
                completions = await connection.execute(LATER_COMPLETIONS, {"process_id": step.process.id, "started_at": step.run.started_at})
                counts, ends_by = late_end(at, list(completions.scalars()))
                if not counts:
                    continue
            for (source_id, source_type), (target_id, target_type), columns in observations(
                step.process.id, step.event.inputs, step.event.outputs, step.live
            ):
                check_edge_shape(source_type, target_type, source_id, target_id)
                mapped = merge_columns(to_builtins(list(columns)))
                edge = current.get((source_id, target_id))
                outcome = EdgeOutcome.STALE if step.superseded else observe_edge(edge, mapped, run_id, at)
                if outcome is EdgeOutcome.STALE:
                    history = await self._pair_versions(connection, source_id, target_id, versions, created)
                    span = place_late(history, mapped, run_id, at, ends_by)
                    if span is not None:
                        created.append(_edge_row(source_id, source_type, target_id, target_type, mapped, span[0], span[1], run_id))
                elif outcome is EdgeOutcome.EXTENDED and at < edge.valid_from:
                    found = (await connection.execute(REPLACED_EDGE, {"source_id": source_id, "target_id": target_id, "valid_from": edge.valid_from})).first()
                    replaced = versions.setdefault(found.id, Row(dict(found._mapping))) if found is not None else None
                    start_earlier(edge, replaced, at)
                elif outcome is EdgeOutcome.REPLACED:
                    start = end_version(edge, at)
                    current[(source_id, target_id)] = _edge_row(source_id, source_type, target_id, target_type, mapped, start, None, run_id)
                    created.append(current[(source_id, target_id)])
        new = {id(edge) for edge in created}
        changed = [edge for edge in versions.values() if id(edge) not in new and edge.changed]
        # Ends first: a pair may have one current edge only.
        await _update_changed(connection, EDGES, changed, EDGE_CHANGES)
        if created:
            await connection.execute(insert(EDGES), [{name: getattr(edge, name) for name in EDGE_COLUMNS} for edge in created])
        edge_ids = [edge.id for edge in (*changed, *created)]
        if self.outbox and edge_ids:
            await connection.execute(*outbox_write(edge_ids))

    @staticmethod
    async def _pair_versions(connection: AsyncConnection, source_id: UUID, target_id: UUID, versions: dict[UUID, Row], created: list[Row]) -> list[Row]:
        """Every version of a pair: as this round left them where it read or made them, else as stored."""
        stored = _rows(await connection.execute(PAIR_VERSIONS, {"source_id": source_id, "target_id": target_id}))
        made = [edge for edge in created if (edge.source_id, edge.target_id) == (source_id, target_id)]
        return [*(versions.setdefault(row.id, row) for row in stored), *made]


def _edge_row(
    source_id: UUID, source_type: str, target_id: UUID, target_type: str, columns: list[dict[str, Any]], valid_from: datetime,
    valid_to: datetime | None, run_id: str,
) -> Row:
    return Row(
        {"id": uuid4(), "source_id": source_id, "source_type": source_type, "target_id": target_id, "target_type": target_type,
         "origin": ORIGIN, "columns": columns, "valid_from": valid_from, "valid_to": valid_to, "run_id": run_id}
    )
