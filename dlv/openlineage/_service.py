"""Ingestion: log the raw event and map it, in the caller's transaction; replay the log."""

from __future__ import annotations

from datetime import datetime, timezone
from uuid import UUID

import msgspec
from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import AssetAlias, DataAsset, LineageEdge, LineageEvent, Process, Run
from dlv.events import EventBroker, publish_lineage_changed, publish_run_state
from dlv.openlineage._mapping import ORIGIN, EventMapper, insert_ignoring_conflicts
from dlv.openlineage._spec import DatasetEvent, Event, JobEvent, ParsedEvent, RunEvent, parse_event

REPLAY_BATCH = 500


def _job(event: Event) -> tuple[str | None, str | None]:
    job = getattr(event, "job", None)
    return (job.namespace, job.name) if job is not None else (None, None)


async def ingest(session: AsyncSession, parsed: ParsedEvent, events: EventBroker | None = None) -> bool:
    """Store and apply one event; False when the very same event was stored before (then
    nothing changes). A failure raises, and the request's rollback leaves nothing behind.
    With ``events``, what changed is announced once the transaction commits."""
    event = parsed.event
    namespace, name = _job(event)
    logged = await session.execute(
        insert_ignoring_conflicts(session, LineageEvent)
        .values(
            event_hash=parsed.event_hash,
            kind=parsed.kind,
            event_type=event.event_type if isinstance(event, RunEvent) else None,
            event_time=event.event_time,
            received_at=datetime.now(timezone.utc),
            run_id=event.run.run_id if isinstance(event, RunEvent) else None,
            job_namespace=namespace,
            job_name=name,
            producer=event.producer,
            payload=parsed.payload,
        )
        .on_conflict_do_nothing(index_elements=["event_hash"])
    )
    if not logged.rowcount:
        return False
    await _take_turns(session, event)
    previous = await _run_state(session, event)
    await EventMapper(session).apply(event)
    await _publish(session, event, previous, events)
    return True


async def _take_turns(session: AsyncSession, event: Event) -> None:
    """Events that share a job or a dataset write the same rows (unique inserts, edges updated
    in different orders, which deadlocks); on PostgreSQL each takes a transaction-scoped
    advisory lock per job and dataset, all in one order, so such events apply one after the
    other while unrelated events still run side by side. SQLite has one writer anyway."""
    if session.bind.dialect.name != "postgresql":
        return
    namespace, name = _job(event)
    datasets = [*getattr(event, "inputs", []), *getattr(event, "outputs", [])]
    if isinstance(event, DatasetEvent):
        datasets.append(event.dataset)
    keys = {f"job {namespace}/{name}"} if name else set()
    keys.update(f"dataset {dataset.namespace}/{dataset.name}" for dataset in datasets)
    for key in sorted(keys):
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


async def _run_state(session: AsyncSession, event: Event) -> tuple[UUID, str] | None:
    if not isinstance(event, RunEvent):
        return None
    row = (await session.execute(select(Run.process_id, Run.state).where(Run.run_id == event.run.run_id))).one_or_none()
    return (row.process_id, row.state) if row is not None else None


async def _publish(session: AsyncSession, event: Event, previous: tuple[UUID, str] | None, events: EventBroker | None) -> None:
    """``run.state`` when the event moved its run, ``lineage.changed`` naming the datasets and
    job it reported; both sent when the request's transaction commits."""
    if events is None:
        return
    process_ids: list[UUID] = []
    if isinstance(event, RunEvent):
        run = await _run_state(session, event)
        if run is not None:
            process_ids.append(run[0])
            publish_run_state(events, session, run[0], event.run.run_id, run[1], previous[1] if previous else None)
    elif isinstance(event, JobEvent):
        namespace, name = _job(event)
        process_ids += (await session.scalars(select(Process.id).where(Process.namespace == namespace, Process.name == name))).all()
    datasets = [event.dataset] if isinstance(event, DatasetEvent) else [*event.inputs, *event.outputs]
    if not datasets:
        return
    keys = list({(dataset.namespace, dataset.name) for dataset in datasets})
    asset_ids = (
        await session.scalars(select(DataAsset.id).where(tuple_(DataAsset.namespace, DataAsset.name).in_(keys)))
    ).all()
    publish_lineage_changed(
        events, session, ORIGIN, asset_ids=asset_ids, process_ids=process_ids, complete=len(asset_ids) == len(keys)
    )


async def replay(session: AsyncSession) -> int:
    """Rebuild everything OpenLineage produced from the event log, in event-time order.

    Runs, aliases and OpenLineage edges are erased and re-derived; assets and processes keep
    their ids (and whatever people edited by hand), so links to them stay valid.
    """
    await session.execute(delete(LineageEdge).where(LineageEdge.origin == ORIGIN))
    await session.execute(delete(Run))
    await session.execute(delete(AssetAlias))
    await session.execute(update(Process).values(last_run_state=None, last_run_at=None))
    mapper = EventMapper(session)
    total = await session.scalar(select(func.count()).select_from(LineageEvent)) or 0
    ordered = select(LineageEvent.payload).order_by(LineageEvent.event_time, LineageEvent.received_at, LineageEvent.id)
    for offset in range(0, total, REPLAY_BATCH):
        for payload in (await session.scalars(ordered.limit(REPLAY_BATCH).offset(offset))).all():
            await mapper.apply(parse_event(msgspec.json.encode(payload)).event)
        await session.flush()
        session.expunge_all()  # keep memory flat on long logs
    return total
