"""Maps one OpenLineage event onto DLV's model: jobs -> processes, datasets -> assets,
inputs/outputs -> edges (origin ``openlineage``), runs -> Run rows and process health.

The mapping is written so the final state does not depend on the order events arrive in:
a run's events accumulate, an older event of a run never overwrites metadata a newer one
set, terminal run states win over START/RUNNING, and edges start at a run's earliest event.
Those decisions are ``dlv.lineage.rules``; ``BatchMapper`` takes the same ones for many
events at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from dlv.alerts import IngestAlerts
from dlv.db.models import AssetAlias, DataAsset, LineageEdge, Process, Run
from dlv.db.sql import pair_params, with_defaults
from dlv.lineage import EdgeWriter
from dlv.lineage.rules import advance_run, drop_stands, late_end, new_run, newer, revive, superseded
from dlv.openlineage._facets import (
    ORIGIN,
    Applied,
    Key,
    asset_kind,
    dataset_facets,
    job_facets,
    key,
    lifecycle,
    named_datasets,
    observations,
    parent_job,
    run_datasets,
    run_error,
    table_symlink,
)
from dlv.openlineage._nodes import link_nodes
from dlv.openlineage._spec import Dataset, DatasetEvent, Event, Job, JobEvent, JobRef, RunEvent, invalid
from dlv.openlineage._statements import (
    ALIASES,
    ASSETS,
    INSERT_ALIASES,
    INSERT_ASSETS,
    INSERT_PROCESSES,
    INSERT_RUN,
    LATEST_OTHER_COMPLETE,
    NEW_ALIAS_COLUMNS,
    NEW_ASSET_COLUMNS,
    NEW_PROCESS_COLUMNS,
    PROCESSES,
    RUN_COLUMNS,
    RUN_FOR_UPDATE,
    RUNS,
    UPDATE_HEALTH,
    record_run_datasets,
    statements,
)


class EventMapper:
    """Applies events to the lineage model inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.edges = EdgeWriter(session)
        self.sql = statements(session.bind.dialect.name)
        # Every dataset name resolved to an asset by the current event (dropped ones too).
        self._seen: dict[Key, UUID] = {}
        self.alerts = IngestAlerts(session)

    async def apply(self, event: Event) -> Applied:
        applied = await self._apply(event)
        await self.alerts.fire([applied])
        return applied

    async def _apply(self, event: Event) -> Applied:
        applied = Applied()
        self._seen = {}
        if isinstance(event, DatasetEvent):
            await self._datasets([event.dataset], event.event_time, fresh=True)
            applied.resolved([event.dataset], self._seen)
            return applied
        parent = parent_job(event) if isinstance(event, RunEvent) else None
        processes = await self._processes([event.job, *([parent] if parent is not None else [])])
        process = processes[key(event.job)]
        applied.process_ids.append(process.id)
        at = event.event_time
        if isinstance(event, JobEvent):
            job_facets(process, event.job, at)
            await self._lineage(process, event.inputs, event.outputs, at, run_id=None, fresh=True)
            applied.resolved([*event.inputs, *event.outputs], self._seen)
            return applied
        run, fresh, previous = await self._run(process, event)
        job_facets(process, event.job, at)
        if parent is not None and processes[key(parent)].id != process.id and newer(process, "parent", at):
            process.parent_id = processes[key(parent)].id
        latest = await self.session.scalar(LATEST_OTHER_COMPLETE, {"process_id": run.process_id, "run_id": run.run_id})
        if not superseded(latest, run):
            await self._lineage(process, event.inputs, event.outputs, at, run_id=run.run_id, fresh=fresh)
            if event.event_type == "COMPLETE":
                await self.edges.retire_superseded(run, ORIGIN, at)
        else:  # no longer the job's current lineage: its datasets exist, its edges enter history
            counts, ends_by = late_end(at, await self.edges.later_completions(process.id, run.started_at))
            if counts:
                await self._lineage(process, event.inputs, event.outputs, at, run_id=run.run_id, fresh=False, superseded=True, ends_by=ends_by)
            else:
                await self._datasets(named_datasets(event.inputs, event.outputs), at, fresh=False)
        await record_run_datasets(self.session, run_datasets(event, self._seen))
        await self._health(process)
        applied.run = (process.id, run.run_id, run.state, previous)
        applied.resolved([*event.inputs, *event.outputs], self._seen)
        return applied

    # --- processes and runs

    async def _processes(self, jobs: list[Job | JobRef]) -> dict[Key, Process]:
        """The processes of these jobs (the event's job and its parent), created if new, in one
        query when they all exist already."""
        keys = list(dict.fromkeys(key(job) for job in jobs))
        found = {key(process): process for process in await self.session.scalars(self.sql.process_models_named, pair_params(keys))}
        missing = sorted(item for item in keys if item not in found)
        if missing:
            rows = [{"namespace": namespace, "name": name} for namespace, name in missing]
            await self.session.execute(INSERT_PROCESSES, with_defaults(PROCESSES, rows, NEW_PROCESS_COLUMNS))
            created = await self.session.scalars(self.sql.process_models_named, pair_params(missing))
            found.update({key(process): process for process in created})
        for process in found.values():
            if process.deleted_at is not None:  # a job that runs again is live again
                process.deleted_at = None
        return found

    async def _run(self, process: Process, event: RunEvent) -> tuple[Run, bool, str | None]:
        """Create or advance the Run; return it, whether this is the run's newest event so far,
        and its state before this event (None for a new run)."""
        run_id, at, state = event.run.run_id, event.event_time, event.event_type
        values = with_defaults(RUNS, [new_run(run_id, process.id, state, at)], RUN_COLUMNS)[0]
        created = select(Run).from_statement(INSERT_RUN).execution_options(populate_existing=True)
        run = (await self.session.scalars(created, values)).first()
        if run is not None:
            previous = None
        else:
            run = await self.session.scalar(RUN_FOR_UPDATE, {"run_id": run_id})
            previous = run.state
        if run.process_id != process.id:
            owner = await self.session.get(Process, run.process_id)
            raise invalid(
                "$.run.runId",
                f"{run_id!r} already belongs to job {owner.namespace}/{owner.name} (a runId names one run of one job)",
            )
        fresh = advance_run(run, state, at, run_error(event))
        # A run's updated_at is its newest event's time, which advance_run keeps; marked as set so
        # advanced-alchemy's flush hook does not stamp the wall clock over it when it stayed.
        flag_modified(run, "updated_at")
        await self.session.flush()
        return run, fresh, previous

    async def _health(self, process: Process) -> None:
        """A process's health is its latest run's state (one UPDATE, written only on change)."""
        await self.session.execute(UPDATE_HEALTH, {"b_process": process.id})
        self.session.expire(process, ["last_run_state", "last_run_at"])

    # --- datasets

    async def _lineage(
        self, process: Process, inputs: list[Dataset], outputs: list[Dataset], at: datetime, *, run_id: str | None, fresh: bool,
        superseded: bool = False, ends_by: datetime | None = None,
    ) -> None:
        assets = await self._datasets(named_datasets(inputs, outputs), at, fresh=fresh)
        await self.edges.observe(
            observations(process.id, inputs, outputs, assets), touching=process.id, origin=ORIGIN, run_id=run_id, at=at,
            superseded=superseded, ends_by=ends_by,
        )

    async def _datasets(self, datasets: list[Dataset], at: datetime, *, fresh: bool) -> dict[Key, DataAsset]:
        """The live asset of every dataset (created if new, aliases followed), facets applied."""
        for dataset in datasets:
            change = dataset.facets.lifecycle_state_change
            if lifecycle(dataset) == "RENAME" and change.previous_identifier and fresh:
                await self._rename(key(change.previous_identifier), key(dataset))
            if (table := table_symlink(dataset)) is not None:
                await self._prefer_table_name(key(dataset), table)
        keys = list(dict.fromkeys(key(dataset) for dataset in datasets))
        assets = await self._find_assets(keys)
        # Sorted, so concurrent events inserting the same new datasets wait for each other in
        # one order instead of deadlocking.
        missing = sorted(item for item in keys if item not in assets)
        if missing:
            kinds = {key(d): asset_kind(d) for d in datasets}
            rows = [{"namespace": ns, "name": name, "kind": kinds[(ns, name)]} for ns, name in missing]
            await self.session.execute(INSERT_ASSETS, with_defaults(ASSETS, rows, NEW_ASSET_COLUMNS))
            assets.update(await self._find_assets(missing))
        self._seen.update({item: asset.id for item, asset in assets.items()})
        live = live_assets(datasets, assets, at, self.alerts)
        await self._aliases(datasets, assets)
        await link_nodes(self.session, datasets, live)
        for dataset in datasets:
            if lifecycle(dataset) == "DROP" and key(dataset) in live:
                if await self._drop(live[key(dataset)], at):
                    del live[key(dataset)]
        return live

    async def _find_assets(self, keys: list[Key]) -> dict[Key, DataAsset]:
        if not keys:
            return {}
        found = {key(asset): asset for asset in await self.session.scalars(self.sql.asset_models_named, pair_params(keys))}
        unresolved = [item for item in keys if item not in found]
        if unresolved:
            aliased = (await self.session.execute(self.sql.asset_models_aliased, pair_params(unresolved))).all()
            found.update({(namespace, name): asset for namespace, name, asset in aliased})
        return found

    async def _aliases(self, datasets: list[Dataset], assets: dict[Key, DataAsset]) -> None:
        rows = {
            key(identifier): {
                "namespace": identifier.namespace, "name": identifier.name, "type": identifier.type, "asset_id": assets[key(dataset)].id
            }
            for dataset in datasets
            if dataset.facets.symlinks is not None
            for identifier in dataset.facets.symlinks.identifiers
            if key(identifier) != key(dataset)
        }
        if not rows:
            return
        # A name that is already an asset of its own stays that asset.
        taken = set(await self._find_assets(list(rows)))
        values = [row for item, row in rows.items() if item not in taken]
        if values:
            await self.session.execute(INSERT_ALIASES, with_defaults(ALIASES, values, NEW_ALIAS_COLUMNS))

    async def _prefer_table_name(self, named: Key, table: Key) -> None:
        """A dataset named by where it is stored (an HDFS location) whose symlinks give its table
        name is kept under the table name, whichever producer DLV heard first: Spark names the
        location with the table as a symlink, Hive the table with the location as a symlink,
        and both meet at one asset called by the table's name, the location its alias."""
        found = await self._find_assets([named, table])
        own, known_table = found.get(named), found.get(table)
        if own is None:
            if known_table is None:
                row = {"namespace": table[0], "name": table[1], "kind": asset_kind(Dataset(namespace=table[0], name=table[1]))}
                await self.session.execute(INSERT_ASSETS, with_defaults(ASSETS, [row], NEW_ASSET_COLUMNS))
                known_table = (await self._find_assets([table]))[table]
            row = {"namespace": named[0], "name": named[1], "type": None, "asset_id": known_table.id}
            await self.session.execute(INSERT_ALIASES, with_defaults(ALIASES, [row], NEW_ALIAS_COLUMNS))
        elif known_table is None and (key(own) == named or table < key(own)):
            # Of two table names declared for one dataset, the smaller: the same in any order.
            await self._rename(key(own), table, alias_type=None)

    async def _rename(self, previous: Key, new: Key, alias_type: str | None = "RENAME") -> None:
        """The asset ``previous`` names (its own name or one of its aliases) moves to its new
        name with its id, so its lineage history stays with it; its former name becomes an
        alias. Nothing happens when ``new`` already names an asset."""
        old = (await self._find_assets([previous])).get(previous)
        if old is None or await self._find_assets([new]):
            return
        former = key(old)
        old.namespace, old.name = new
        if "datasetType" not in (old.facet_times or {}):  # a kind read from the name follows the name
            old.kind = asset_kind(Dataset(namespace=new[0], name=new[1]))
        await self.session.flush()
        self.session.add(AssetAlias(namespace=former[0], name=former[1], type=alias_type, asset_id=old.id))

    async def _drop(self, asset: DataAsset, at: datetime) -> bool:
        """Retire a dropped asset, unless lineage shows it in use after the drop (a late event)."""
        latest_use = await self.session.scalar(
            select(func.max(LineageEdge.valid_from)).where(or_(LineageEdge.source_id == asset.id, LineageEdge.target_id == asset.id))
        )
        if not drop_stands(latest_use, at):
            return False
        asset.deleted_at = at
        await self.edges.retire(touching=asset.id, at=at)
        return True


def live_assets(datasets: list[Dataset], assets: dict[Key, Any], at: datetime, alerts: IngestAlerts) -> dict[Key, Any]:
    """The live asset of each dataset an event at ``at`` names (``rules.revive``), with the
    event's facets applied where they are the newest (``rules.newer``); ``alerts`` sees each
    asset before its facets change. Assets are models or rows."""
    live: dict[Key, Any] = {}
    for dataset in datasets:
        asset = assets[key(dataset)]
        if revive(asset, at):
            live[key(dataset)] = asset
        alerts.watch(asset)
        dataset_facets(asset, dataset, at)
    return live
