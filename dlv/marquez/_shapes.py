"""DLV rows as Marquez shapes, and the batched reads they need (one query per page, never one
per row): a page of processes' inputs, outputs, latest runs and parents."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import ASSET, DataAsset, LineageEdge, Process, Run, RunDataset
from dlv.db.sql import chunks
from dlv.marquez import _schemas as m
from dlv.marquez._ids import job_version_uuid, run_state, version_uuid

STREAM_KINDS = frozenset({"topic", "stream"})
OWNER = "anonymous"  # Marquez's owner of namespaces made by OpenLineage events


def field(item: dict[str, Any]) -> m.MarquezField:
    tags = item.get("tags")
    return m.MarquezField(
        name=str(item.get("name")), type=item.get("type"), description=item.get("description"),
        tags=[str(tag) for tag in tags] if isinstance(tags, list) else [],
    )


def dataset_type(kind: str) -> str:
    return "STREAM" if kind in STREAM_KINDS else "DB_TABLE"


def dataset(asset: DataAsset, latest: tuple[str, datetime] | None, facets: dict[str, Any] | None = None) -> m.Dataset:
    """``latest``: the newest run that wrote the asset and when (its current version)."""
    return m.Dataset(
        id=m.DatasetId(namespace=asset.namespace, name=asset.name), type=dataset_type(asset.kind),
        name=asset.name, physical_name=asset.name, created_at=asset.created_at, updated_at=asset.updated_at,
        namespace=asset.namespace, source_name=asset.namespace, fields=[field(item) for item in asset.fields or []],
        tags=list(asset.tags or []), last_modified_at=latest[1] if latest else None, description=asset.description,
        current_version=version_uuid(asset.id, latest[0]) if latest else None, facets=facets or {}, deleted=asset.deleted_at is not None,
    )


def run(row: Run, job: Process, *, facets: dict[str, Any] | None = None, nominal: tuple[str | None, str | None] = (None, None),
        outputs: Sequence[m.DatasetVersionId] = ()) -> m.Run:
    ended, started = row.ended_at, row.started_at
    return m.Run(
        id=row.run_id, created_at=started or row.updated_at, updated_at=row.updated_at, nominal_start_time=nominal[0],
        nominal_end_time=nominal[1], state=run_state(row.state), started_at=started, ended_at=ended,
        duration_ms=int((ended - started).total_seconds() * 1000) if ended and started else None,
        job_version=m.JobVersionRef(namespace=job.namespace, name=job.name, version=job_version_uuid(job.id)),
        output_dataset_versions=list(outputs), facets=facets or {},
    )


class JobContext:
    """What a page of processes needs besides their rows, read in a few set-based queries."""

    def __init__(self) -> None:
        self.inputs: dict[UUID, list[m.DatasetId]] = defaultdict(list)
        self.outputs: dict[UUID, list[m.DatasetId]] = defaultdict(list)
        self.latest: dict[UUID, Run] = {}
        self.parents: dict[UUID, str] = {}

    @classmethod
    async def read(cls, session: AsyncSession, processes: Sequence[Process], as_of: datetime | None = None) -> JobContext:
        context = cls()
        ids = [process.id for process in processes]
        for chunk in chunks(ids):
            await context._edges(session, chunk, as_of)
            latest = latest_rows(Run, Run.process_id, func.coalesce(Run.started_at, Run.updated_at), Run.process_id.in_(chunk))
            for row in (await session.scalars(latest)).all():
                context.latest[row.process_id] = row
        parent_ids = {process.parent_id for process in processes if process.parent_id}
        for chunk in chunks(list(parent_ids)):
            for parent_id, name in await session.execute(select(Process.id, Process.name).where(Process.id.in_(chunk))):
                context.parents[parent_id] = name
        return context

    async def _edges(self, session: AsyncSession, chunk: Sequence[UUID], as_of: datetime | None) -> None:
        """Inputs (dataset -> job) and outputs (job -> dataset) in two queries, each on one of
        the traversal indexes (an OR of both would scan the edges on SQLite)."""
        when = (
            (LineageEdge.valid_to.is_(None),) if as_of is None
            else (LineageEdge.valid_from <= as_of, or_(LineageEdge.valid_to.is_(None), LineageEdge.valid_to > as_of))
        )
        reads = (await session.execute(
            select(LineageEdge.target_id, LineageEdge.source_id).where(LineageEdge.target_id.in_(chunk), LineageEdge.source_type == ASSET, *when)
        )).all()
        writes = (await session.execute(
            select(LineageEdge.source_id, LineageEdge.target_id).where(LineageEdge.source_id.in_(chunk), LineageEdge.target_type == ASSET, *when)
        )).all()
        names = await dataset_ids(session, {asset for _, asset in reads + writes})
        for into, rows in ((self.inputs, reads), (self.outputs, writes)):
            for process, asset in rows:
                if asset in names:
                    into[process].append(names[asset])

    def job(self, process: Process) -> m.Job:
        latest = self.latest.get(process.id)
        parent = self.parents.get(process.parent_id) if process.parent_id else None
        return m.Job(
            id=m.JobId(namespace=process.namespace, name=process.name), type="STREAM" if process.kind in STREAM_KINDS else "BATCH",
            name=process.name, simple_name=process.name.removeprefix(f"{parent}.") if parent else process.name, parent_job_name=parent,
            created_at=process.created_at, updated_at=process.updated_at, namespace=process.namespace,
            inputs=_sorted(self.inputs[process.id]), outputs=_sorted(self.outputs[process.id]), description=process.description,
            latest_run=run(latest, process) if latest else None, facets={}, current_version=job_version_uuid(process.id),
            tags=list(process.tags or []),
        )


def _sorted(ids: Iterable[m.DatasetId]) -> list[m.DatasetId]:
    unique = {(item.namespace, item.name): item for item in ids}
    return [unique[key] for key in sorted(unique)]


async def dataset_ids(session: AsyncSession, asset_ids: Iterable[UUID]) -> dict[UUID, m.DatasetId]:
    names: dict[UUID, m.DatasetId] = {}
    for chunk in chunks(list(asset_ids)):
        for asset_id, namespace, name in await session.execute(select(DataAsset.id, DataAsset.namespace, DataAsset.name).where(DataAsset.id.in_(chunk))):
            names[asset_id] = m.DatasetId(namespace=namespace, name=name)
    return names


def latest_rows(model: Any, partition: Any, newest: Any, *where: Any) -> Any:
    """The newest row of ``model`` per ``partition`` (by ``newest``), in one query."""
    ranked = select(model.id, func.row_number().over(partition_by=partition, order_by=(newest.desc(), model.id.desc())).label("rank")).where(*where).subquery()
    return select(model).join(ranked, ranked.c.id == model.id).where(ranked.c.rank == 1)


async def latest_writes(session: AsyncSession, asset_ids: Sequence[UUID]) -> dict[UUID, tuple[str, datetime]]:
    """Each asset's newest run that wrote it and when: its current version."""
    latest: dict[UUID, tuple[str, datetime]] = {}
    for chunk in chunks(list(asset_ids)):
        query = latest_rows(RunDataset, RunDataset.asset_id, RunDataset.observed_at, RunDataset.asset_id.in_(chunk), RunDataset.direction == "output")
        for row in (await session.scalars(query)).all():
            latest[row.asset_id] = (row.run_id, row.observed_at)
    return latest
