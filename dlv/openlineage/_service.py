"""Ingestion: log the raw event and map it, in the caller's transaction; replay the log."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any
from uuid import uuid4

import msgspec
from sqlalchemy import ARRAY, BigInteger, Text, bindparam, delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import AssetAlias, LineageEdge, LineageEvent, Process, Run, RunDataset
from dlv.db.sql import insert_on_conflict
from dlv.events import EventBroker, publish_lineage_changed, publish_run_state
from dlv.openlineage._facets import ORIGIN, Applied
from dlv.openlineage._mapping import EventMapper
from dlv.openlineage._statements import EVENTS as _EVENTS, statements
from dlv.openlineage._spec import DatasetEvent, Event, ParsedEvent, RunEvent, parse_event

REPLAY_BATCH = 500
_EVENT_COLUMNS = (
    "id", "event_hash", "kind", "event_type", "event_time", "received_at", "run_id", "job_namespace", "job_name", "producer", "payload"
)
# The payload is bound as the JSON text received (cast to JSONB on PostgreSQL, stored as is
# on SQLite), not as a dict SQLAlchemy would encode again.
_AS_TEXT = {"payload": Text()}
INSERT_EVENTS = {
    "sqlite": insert_on_conflict(_EVENTS, _EVENT_COLUMNS, ("event_hash",), types=_AS_TEXT),
    # The batch's events in one INSERT ... SELECT FROM unnest(arrays), whatever their number
    # (one prepared statement); RETURNING names the ones that were not there yet.
    "postgresql": insert_on_conflict(
        _EVENTS, _EVENT_COLUMNS, ("event_hash",), returning=["event_hash"], values={"payload": "CAST(:payload AS JSONB)"},
        types=_AS_TEXT, from_arrays=True,
    ),
}


def _job(event: Event) -> tuple[str | None, str | None]:
    job = getattr(event, "job", None)
    return (job.namespace, job.name) if job is not None else (None, None)


async def ingest(session: AsyncSession, parsed: ParsedEvent, events: EventBroker | None = None) -> bool:
    """Store and apply one event; False when the very same event was stored before (then
    nothing changes). A failure raises, and the request's rollback leaves nothing behind.
    With ``events``, what changed is announced once the transaction commits."""
    await take_turns(session, [parsed.event])
    if not (await log_events(session, [parsed]))[0]:
        return False
    publish_applied(session, await EventMapper(session).apply(parsed.event), events)
    return True


async def log_events(session: AsyncSession, parsed: list[ParsedEvent]) -> list[bool]:
    """Add the events to the raw event log; for each, whether it is new (False: the very same
    event was received before, or earlier in ``parsed``). Run after ``take_turns``, which
    serialises identical events (they name the same job or dataset)."""
    received_at = datetime.now(timezone.utc)
    rows: dict[str, dict[str, Any]] = {}
    for item in parsed:
        if item.event_hash in rows:
            continue
        event = item.event
        namespace, name = _job(event)
        rows[item.event_hash] = {
            "id": uuid4(),
            "event_hash": item.event_hash,
            "kind": item.kind,
            "event_type": event.event_type if isinstance(event, RunEvent) else None,
            "event_time": event.event_time,
            "received_at": received_at,
            "run_id": event.run.run_id if isinstance(event, RunEvent) else None,
            "job_namespace": namespace,
            "job_name": name,
            "producer": event.producer,
            "payload": item.text or msgspec.json.encode(item.payload).decode(),
        }
    dialect = session.bind.dialect.name
    if dialect == "postgresql":  # one statement: insert what is new, say what that was
        columns = {name: [row[name] for row in rows.values()] for name in _EVENT_COLUMNS}
        new = set((await session.scalars(INSERT_EVENTS[dialect], columns)).all())
    else:
        known = set((await session.scalars(statements(dialect).known_hashes, {"hashes": list(rows)})).all())
        new = set(rows) - known
        if new:
            await session.execute(INSERT_EVENTS[dialect], [row for event_hash, row in rows.items() if event_hash in new])
    stored = []
    for item in parsed:  # the first of identical events in ``parsed`` is the new one
        stored.append(item.event_hash in new)
        new.discard(item.event_hash)
    return stored


# PostgreSQL aborts one of two transactions that wait for each other (40P01) or, under
# serializable isolation, that conflict (40001); both succeed when simply run again.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
RETRIES = 3


async def ingest_retrying_deadlocks(session: AsyncSession, parsed: ParsedEvent, events: EventBroker | None = None) -> bool:
    """``ingest`` in the session's own transaction, run again from the start when PostgreSQL
    picked it as the victim of a deadlock (rows of datasets an event only reads are not
    serialised by ``take_turns``, so rare lock cycles between unrelated jobs stay possible)."""
    attempt = 0
    while True:
        try:
            return await ingest(session, parsed, events)
        except DBAPIError as exc:
            attempt += 1
            if attempt > RETRIES or getattr(exc.orig, "sqlstate", None) not in RETRYABLE_SQLSTATES:
                raise
            await session.rollback()


def _lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for a job or dataset name."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


TAKE_LOCKS = text("SELECT count(pg_advisory_xact_lock(key)) FROM unnest(CAST(:keys AS bigint[])) AS key").bindparams(
    bindparam("keys", type_=ARRAY(BigInteger))
)


async def take_turns(session: AsyncSession, events: list[Event]) -> None:
    """Events of one job write the same rows (its run, its edges, updated in different
    orders, which deadlocks), and so do events that write one dataset or change its life
    cycle (a DROP or RENAME ends edges of other jobs). On PostgreSQL a transaction takes a
    transaction-scoped advisory lock per job and per dataset its events write, all in
    ascending key order and in one statement, so such events apply one after the other.
    Datasets an event only reads are not locked: a popular source table read by many jobs
    would otherwise make all of them take turns. SQLite has one writer anyway."""
    if session.bind.dialect.name != "postgresql":
        return
    names: set[str] = set()
    for event in events:
        namespace, name = _job(event)
        inputs, outputs = getattr(event, "inputs", []), [*getattr(event, "outputs", [])]
        if isinstance(event, DatasetEvent):
            outputs.append(event.dataset)
        written = [*outputs, *(dataset for dataset in inputs if dataset.facets.lifecycle_state_change is not None)]
        if name:
            names.add(f"job {namespace}/{name}")
        names.update(f"dataset {dataset.namespace}/{dataset.name}" for dataset in written)
    await session.execute(TAKE_LOCKS, {"keys": sorted(_lock_key(item) for item in names)})


def publish_applied(session: AsyncSession, applied: Applied, events: EventBroker | None) -> None:
    """``run.state`` when the event moved its run, ``lineage.changed`` naming the datasets and
    job it reported; both sent when the request's transaction commits."""
    if events is None:
        return
    if applied.run is not None:
        process_id, run_id, state, previous = applied.run
        publish_run_state(events, session, process_id, run_id, state, previous)
    if applied.asset_ids or not applied.complete:
        publish_lineage_changed(
            events, session, ORIGIN, asset_ids=applied.asset_ids, process_ids=applied.process_ids, complete=applied.complete
        )


class EventLog:
    """Reads of the raw event log."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self, *, run_id: str | None, job_namespace: str | None, job_name: str | None, limit: int, offset: int,
        before: datetime | None = None, after: datetime | None = None, oldest_first: bool = False,
    ) -> tuple[list[LineageEvent], int]:
        """One page of events, newest received first (or oldest), and how many match; ``before``
        and ``after`` bound their event times (Marquez's filters)."""
        statement = select(LineageEvent)
        for column, value in ((LineageEvent.run_id, run_id), (LineageEvent.job_namespace, job_namespace), (LineageEvent.job_name, job_name)):
            if value is not None:
                statement = statement.where(column == value)
        if before is not None:
            statement = statement.where(LineageEvent.event_time < before)
        if after is not None:
            statement = statement.where(LineageEvent.event_time > after)
        total = await self.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        order = (LineageEvent.received_at.asc(), LineageEvent.id.asc()) if oldest_first else (LineageEvent.received_at.desc(), LineageEvent.id.desc())
        ordered = statement.order_by(*order).limit(limit).offset(offset)
        return list(await self.session.scalars(ordered)), total


async def prune(session: AsyncSession, received_before: datetime) -> int:
    """Delete the raw events received before ``received_before``; return how many. The lineage,
    runs and health they produced stay as they are: only ``replay`` reads the log, and after a
    prune it rebuilds from the events kept."""
    result = await session.execute(delete(LineageEvent).where(LineageEvent.received_at < received_before))
    return result.rowcount or 0


async def replay(session: AsyncSession) -> int:
    """Rebuild everything OpenLineage produced from the event log, in event-time order.

    Runs with what they read and wrote, aliases and OpenLineage edges are erased and
    re-derived; assets and processes keep their ids (and whatever people edited by hand), so
    links to them stay valid.
    """
    await session.execute(delete(LineageEdge).where(LineageEdge.origin == ORIGIN))
    await session.execute(delete(RunDataset))
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
