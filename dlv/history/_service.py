"""Run history and dataset versions, read from runs, run_datasets and the raw event log."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import AssetAlias, DataAsset, LineageEvent, Process, Run, RunDataset
from dlv.db.sql import chunks
from dlv.history._schemas import (
    BreakingChange,
    DatasetVersion,
    JobRef,
    ProcessRef,
    RunDatasetRead,
    RunDetail,
    RunSummary,
    SchemaDiff,
    SchemaField,
    TypeChange,
)
from dlv.history._story import Key, LoggedEvent, RunStory, count, schema_fields, tell, version_of
from dlv.lib.exceptions import BadRequest, NotFound

OUTPUT, INPUT = "output", "input"
# Versions read per asset to find its two newest with a schema (some events carry none).
SCHEMA_LOOKBACK = 4


class RunHistory:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- runs

    async def runs_of(self, process_id: UUID, limit: int, offset: int) -> tuple[list[RunSummary], int]:
        """A process's runs, newest first."""
        if await self.session.get(Process, process_id) is None:
            raise NotFound(f"No process has id {process_id}: send the id of a process (GET /api/lineage/processes).", field="process_id")
        total = await self.session.scalar(select(func.count()).select_from(Run).where(Run.process_id == process_id)) or 0
        runs = (
            await self.session.scalars(
                select(Run).where(Run.process_id == process_id)
                .order_by(func.coalesce(Run.started_at, Run.updated_at).desc(), Run.run_id.desc())
                .limit(limit).offset(offset)
            )
        ).all()
        stories = await self._stories([run.run_id for run in runs])
        return [_summary(run, stories.get(run.run_id, RunStory())) for run in runs], total

    async def run(self, run_id: str) -> RunDetail:
        run = await self.session.scalar(select(Run).where(Run.run_id == run_id))
        if run is None:
            raise NotFound(f"No run has runId {run_id!r}: send a runId from GET /api/lineage/processes/{{id}}/runs.", field="run_id")
        process = await self.session.get(Process, run.process_id)
        story = (await self._stories([run_id])).get(run_id, RunStory())
        touched = (await self.session.scalars(select(RunDataset).where(RunDataset.run_id == run_id))).all()
        names = await self._names({item.asset_id for item in touched})
        inputs, outputs = [], []
        for item in sorted(touched, key=lambda item: names[item.asset_id][0]):
            (namespace, name), keys = names[item.asset_id]
            said = story.outputs if item.direction == OUTPUT else story.inputs
            facets = next((said[key] for key in keys if key in said), {})
            if item.direction == OUTPUT:
                outputs.append(RunDatasetRead(asset_id=item.asset_id, namespace=namespace, name=name, version=version_of(facets), facets=facets))
            else:
                version = await self._version_read(item.asset_id, run.started_at or item.observed_at, facets)
                inputs.append(RunDatasetRead(asset_id=item.asset_id, namespace=namespace, name=name, version=version, facets=facets))
        summary = _summary(run, story)
        return RunDetail(
            **{name: getattr(summary, name) for name in summary.__struct_fields__},
            process=ProcessRef(process.id, process.namespace, process.name),
            run_facets=story.run_facets, job_facets=story.job_facets, inputs=inputs, outputs=outputs, event_count=story.event_count,
        )

    # --- dataset versions

    async def versions_of(self, asset_id: UUID, limit: int, offset: int) -> tuple[list[DatasetVersion], int]:
        """The versions of an asset, newest first: one per run that wrote it."""
        await self._asset(asset_id)
        written = select(RunDataset).where(RunDataset.asset_id == asset_id, RunDataset.direction == OUTPUT)
        total = await self.session.scalar(select(func.count()).select_from(written.subquery())) or 0
        rows = (
            await self.session.execute(
                select(RunDataset, Run).join(Run, Run.run_id == RunDataset.run_id)
                .where(RunDataset.asset_id == asset_id, RunDataset.direction == OUTPUT)
                .order_by(func.coalesce(Run.ended_at, RunDataset.observed_at).desc(), Run.run_id.desc())
                .limit(limit).offset(offset)
            )
        ).all()
        return await self._versions(asset_id, [(item, run) for item, run in rows]), total

    async def diff(self, asset_id: UUID, from_run: str | None, to_run: str | None) -> SchemaDiff:
        """What changed in an asset's schema between the versions two runs wrote (by default
        the two newest)."""
        await self._asset(asset_id)
        newest = [] if from_run and to_run else (await self.versions_of(asset_id, 2, 0))[0]
        to_version = await self._version_by_run(asset_id, to_run, "to_run_id") if to_run else (newest[0] if newest else None)
        from_version = await self._version_by_run(asset_id, from_run, "from_run_id") if from_run else (newest[1] if len(newest) > 1 else None)
        if to_version is None or from_version is None:
            raise BadRequest(
                "This asset has fewer than two versions to compare: send from_run_id and to_run_id of two runs that wrote it.",
                field="from_run_id", source="query",
            )
        before = {field.name: field for field in from_version.fields}
        after = {field.name: field for field in to_version.fields}
        return SchemaDiff(
            from_version=from_version, to_version=to_version,
            added=[after[name] for name in after if name not in before],
            removed=[before[name] for name in before if name not in after],
            type_changed=[TypeChange(name, before[name].type, after[name].type) for name in after if name in before and before[name].type != after[name].type],
        )

    async def breaking_changes(self, asset_ids: Sequence[UUID]) -> dict[UUID, BreakingChange]:
        """The assets whose newest version with a schema dropped or retyped columns of the
        version with a schema before it: what breaks readers downstream. Set-based: the few
        newest versions of every asset in one query, their runs' events in another."""
        newest: dict[UUID, list[tuple[str, datetime]]] = defaultdict(list)
        for chunk in chunks(list(asset_ids)):
            written_at = func.coalesce(Run.ended_at, RunDataset.observed_at)
            ranked = (
                select(
                    RunDataset.asset_id, RunDataset.run_id, written_at.label("at"),
                    func.row_number().over(partition_by=RunDataset.asset_id, order_by=(written_at.desc(), Run.run_id.desc())).label("rank"),
                )
                .join(Run, Run.run_id == RunDataset.run_id)
                .where(RunDataset.asset_id.in_(chunk), RunDataset.direction == OUTPUT)
                .subquery()
            )
            for asset_id, run_id, at, _ in await self.session.execute(select(ranked).where(ranked.c.rank <= SCHEMA_LOOKBACK).order_by(ranked.c.rank)):
                newest[asset_id].append((run_id, at))
        stories = await self._stories([run_id for runs in newest.values() for run_id, _ in runs])
        names = await self._names(set(newest))
        changes = {}
        for asset_id, runs in newest.items():
            schemas = [(run_id, at, fields) for run_id, at in runs if (fields := _schema_written(stories.get(run_id), names[asset_id][1]))]
            if len(schemas) < 2:
                continue
            (run_id, at, after), (_, _, before) = schemas[0], schemas[1]
            removed = [name for name in before if name not in after]
            retyped = [TypeChange(name, before[name], after[name]) for name in after if name in before and before[name] != after[name]]
            if removed or retyped:
                changes[asset_id] = BreakingChange(run_id=run_id, at=at, removed=removed, type_changed=retyped)
        return changes

    # --- reading the log

    async def _stories(self, run_ids: Sequence[str]) -> dict[str, RunStory]:
        events: dict[str, list[LoggedEvent]] = defaultdict(list)
        for chunk in chunks(list(run_ids)):
            rows = await self.session.execute(
                select(LineageEvent.run_id, LineageEvent.event_time, LineageEvent.event_type, LineageEvent.event_hash, LineageEvent.payload)
                .where(LineageEvent.run_id.in_(chunk))
            )
            for run_id, *values in rows:
                events[run_id].append(LoggedEvent(*values))
        return {run_id: tell(logged) for run_id, logged in events.items()}

    async def _names(self, asset_ids: set[UUID]) -> dict[UUID, tuple[Key, list[Key]]]:
        """Each asset's (namespace, name) and every name events may call it by (its aliases)."""
        names: dict[UUID, tuple[Key, list[Key]]] = {}
        for chunk in chunks(list(asset_ids)):
            for asset_id, namespace, name in await self.session.execute(select(DataAsset.id, DataAsset.namespace, DataAsset.name).where(DataAsset.id.in_(chunk))):
                names[asset_id] = ((namespace, name), [(namespace, name)])
            for asset_id, namespace, name in await self.session.execute(select(AssetAlias.asset_id, AssetAlias.namespace, AssetAlias.name).where(AssetAlias.asset_id.in_(chunk))):
                names[asset_id][1].append((namespace, name))
        return names

    async def _versions(self, asset_id: UUID, written: list[tuple[RunDataset, Run]]) -> list[DatasetVersion]:
        stories = await self._stories([run.run_id for _, run in written])
        keys = (await self._names({asset_id}))[asset_id][1]
        versions = []
        for item, run in written:
            said = stories.get(run.run_id, RunStory()).outputs
            facets = next((said[key] for key in keys if key in said), {})
            change = facets.get("lifecycleStateChange")
            versions.append(DatasetVersion(
                version=version_of(facets), run_id=run.run_id, process_id=run.process_id, run_state=run.state,
                created_at=run.ended_at or item.observed_at, fields=[SchemaField(**field) for field in schema_fields(facets)],
                row_count=count(facets, "outputStatistics", "rowCount"), byte_count=count(facets, "outputStatistics", "size"),
                lifecycle_state_change=change.get("lifecycleStateChange") if isinstance(change, dict) else None, facets=facets,
            ))
        return versions

    async def _version_by_run(self, asset_id: UUID, run_id: str, parameter: str) -> DatasetVersion:
        row = (
            await self.session.execute(
                select(RunDataset, Run).join(Run, Run.run_id == RunDataset.run_id)
                .where(RunDataset.asset_id == asset_id, RunDataset.direction == OUTPUT, RunDataset.run_id == run_id)
            )
        ).first()
        if row is None:
            raise NotFound(f"Run {run_id!r} did not write this asset: send the run_id of one of its versions.", field=parameter, source="query")
        return (await self._versions(asset_id, [tuple(row)]))[0]

    async def _version_read(self, asset_id: UUID, at: datetime, facets: dict[str, Any]) -> str | None:
        """The version a run read: the one its event names, else the newest one a run wrote
        before the reading run started (None when DLV saw no run write it)."""
        named = facets.get("version")
        if isinstance(named, dict) and isinstance(named.get("datasetVersion"), str):
            return named["datasetVersion"]
        row = (
            await self.session.execute(
                select(RunDataset, Run).join(Run, Run.run_id == RunDataset.run_id)
                .where(RunDataset.asset_id == asset_id, RunDataset.direction == OUTPUT, func.coalesce(Run.ended_at, RunDataset.observed_at) <= at)
                .order_by(func.coalesce(Run.ended_at, RunDataset.observed_at).desc(), Run.run_id.desc())
                .limit(1)
            )
        ).first()
        return (await self._versions(asset_id, [tuple(row)]))[0].version if row is not None else None

    async def _asset(self, asset_id: UUID) -> DataAsset:
        asset = await self.session.get(DataAsset, asset_id)
        if asset is None:
            raise NotFound(f"No asset has id {asset_id}: send the id of a data asset (GET /api/lineage/assets).", field="asset_id")
        return asset


def _schema_written(story: RunStory | None, keys: list[Key]) -> dict[str, str | None]:
    """Column name -> type of the schema a run's events gave an output known by ``keys``."""
    said = story.outputs if story is not None else {}
    facets = next((said[key] for key in keys if key in said), {})
    return {field["name"]: field["type"] for field in schema_fields(facets)}


def _summary(run: Run, story: RunStory) -> RunSummary:
    nominal_start, nominal_end = story.nominal_times
    parent_run, parent_job = story.parent
    ended = run.ended_at
    duration = int((ended - run.started_at).total_seconds() * 1000) if ended is not None and run.started_at is not None else None
    return RunSummary(
        run_id=run.run_id, process_id=run.process_id, state=run.state, started_at=run.started_at, ended_at=ended, duration_ms=duration,
        nominal_start_time=nominal_start, nominal_end_time=nominal_end, parent_run_id=parent_run,
        parent_job=JobRef(*parent_job) if parent_job else None, error_message=run.error_message,
    )
