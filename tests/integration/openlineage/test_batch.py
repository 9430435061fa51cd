"""The batch writer (many events, one transaction, set-based statements) must leave exactly
the state ``EventMapper`` leaves applying the same events one at a time, in the batch's
round order (the n-th event of each job in round n). Random event streams with shared
datasets, parents, out-of-order and duplicate events, failures and column lineage are
applied both ways and the resulting lineage, runs and health compared."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from advanced_alchemy.extensions.litestar import AsyncSessionConfig, SQLAlchemyAsyncConfig
from sqlalchemy import select

from dlv.db.models import AssetAlias, DataAsset, GraphOutbox, LineageEdge, LineageEvent, Process, Run, RunDataset
from dlv.graph import OUTBOX_FLAG
from dlv.lib.exceptions import BadRequest
from dlv.openlineage import IngestWriter, ingest, parse_event
from dlv.openlineage._batch import BatchMapper, batchable, rounds
from dlv.openlineage._service import log_events, take_turns
from tests.integration.openlineage.conftest import run_event

DATASETS = [f"public.table_{index}" for index in range(7)]
FIELDS = ["id", "amount", "customer", "created", "region"]
START = datetime(2024, 6, 1, tzinfo=timezone.utc)


def _time(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def _dataset(rng: random.Random, name: str, inputs: list[str]) -> dict[str, Any]:
    facets: dict[str, Any] = {}
    fields = rng.sample(FIELDS, rng.randint(1, 4))
    if rng.random() < 0.7:
        facets["schema"] = {"fields": [{"name": field, "type": rng.choice(["int", "text"])} for field in fields]}
    if rng.random() < 0.3:
        facets["documentation"] = {"description": rng.choice(["daily totals", "orders", "clean copy"])}
    if rng.random() < 0.2:
        facets["ownership"] = {"owners": [{"name": rng.choice(["team:finance", "team:sales"])}]}
    if rng.random() < 0.2:
        facets["tags"] = {"tags": [{"key": rng.choice(["pii", "tier"]), "value": rng.choice(["true", "gold"])}]}
    if inputs and rng.random() < 0.6:
        facets["columnLineage"] = {
            "fields": {
                field: {"inputFields": [{"namespace": "postgres://db:5432", "name": rng.choice(inputs), "field": rng.choice(FIELDS),
                                         "transformations": [{"type": "DIRECT", "subtype": rng.choice(["IDENTITY", "TRANSFORMATION"])}]}]}
                for field in fields
            }
        }
    return {"namespace": "postgres://db:5432", "name": name, "facets": facets}


def stream(seed: int) -> list[dict[str, Any]]:
    """Runs of a few jobs over shared datasets, each run reporting part of its lineage per
    event, the events shuffled a little (late and early ones) and some sent twice."""
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    for job in range(4):
        for run in range(rng.randint(2, 4)):
            begin = job * 3 + run * 20 + rng.randint(0, 5)
            inputs = rng.sample(DATASETS, rng.randint(1, 3))
            output = rng.choice([name for name in DATASETS if name not in inputs])
            final = rng.choice(["COMPLETE", "COMPLETE", "COMPLETE", "FAIL", "ABORT"])
            for step, event_type in enumerate(["START", *(["RUNNING"] if rng.random() < 0.3 else []), final]):
                extra: dict[str, Any] = {}
                run_facets: dict[str, Any] = {}
                if job % 2 == 0:
                    run_facets["parent"] = {"job": {"namespace": "airflow", "name": f"dag_{job % 3}"}, "run": {"runId": f"dag-{seed}-{run}"}}
                if event_type == "FAIL":
                    run_facets["errorMessage"] = {"message": "division by zero", "programmingLanguage": "python"}
                event = run_event(
                    f"job_{job}", f"{seed}-{job}-{run}", event_type, _time(begin + step * 4),
                    inputs=rng.sample(inputs, rng.randint(0, len(inputs))) if step else inputs,
                    outputs=[_dataset(rng, output, inputs)] if rng.random() < 0.8 else [],
                    **extra,
                )
                event["run"]["facets"] = run_facets
                if rng.random() < 0.5:
                    event["job"]["facets"] = {"sql": {"query": f"INSERT INTO {output} SELECT {rng.choice(FIELDS)} FROM {inputs[0]}"}}
                if rng.random() < 0.2:
                    event["job"]["facets"]["tags"] = {"tags": [{"key": "team", "value": rng.choice(["finance", "sales"])}]}
                    event["job"]["facets"]["jobType"] = {"jobType": rng.choice(["QUERY", "TASK"]), "processingType": "BATCH"}
                events.append(event)
    # Late and early arrivals, duplicates.
    for _ in range(len(events) // 3):
        a, b = rng.randrange(len(events)), rng.randrange(len(events))
        events[a], events[b] = events[b], events[a]
    for _ in range(3):
        events.insert(rng.randrange(len(events)), json.loads(json.dumps(rng.choice(events))))
    return events


def batches(seed: int, count: int) -> list[list[int]]:
    rng = random.Random(seed * 7919)
    cut, result = 0, []
    while cut < count:
        size = rng.randint(1, 9)
        result.append(list(range(cut, min(count, cut + size))))
        cut += size
    return result


async def snapshot(session_factory) -> dict[str, Any]:
    """Everything the events produced, ids replaced by names (ids differ between the runs)."""
    async with session_factory() as session:
        processes = (await session.scalars(select(Process))).all()
        assets = (await session.scalars(select(DataAsset))).all()
        names = {item.id: f"{item.namespace}/{item.name}" for item in (*processes, *assets)}
        edges = (await session.scalars(select(LineageEdge))).all()
        runs = (await session.scalars(select(Run))).all()
        logged = (await session.scalars(select(LineageEvent.event_hash))).all()
        outbox = set((await session.scalars(select(GraphOutbox.edge_id))).all())
        run_datasets = (await session.scalars(select(RunDataset))).all()

    def columns(mapped: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # Mappings are ordered by source asset id, and ids differ between the two runs.
        named = [{**item, "source_asset_id": item.get("source_asset_id") and names[UUID(item["source_asset_id"])]} for item in mapped]
        return sorted(named, key=lambda item: json.dumps(item, sort_keys=True))

    return {
        "processes": sorted(
            (names[p.id], p.kind, p.owner, p.description, p.sql, names.get(p.parent_id), p.last_run_state, p.last_run_at, p.deleted_at,
             sorted(p.tags))
            for p in processes
        ),
        "assets": sorted((names[a.id], a.kind, a.owner, a.description, json.dumps(a.fields), a.deleted_at, sorted(a.tags)) for a in assets),
        "run_datasets": sorted((item.run_id, names[item.asset_id], item.direction, item.observed_at) for item in run_datasets),
        "edges": sorted(
            (names[e.source_id], names[e.target_id], e.origin, json.dumps(columns(e.columns), sort_keys=True), e.valid_from, e.valid_to or START, e.run_id or "")
            for e in edges
        ),
        "runs": sorted((r.run_id, names[r.process_id], r.state, r.started_at, r.ended_at, r.updated_at, r.error_message or "") for r in runs),
        "log": sorted(logged),
        # Which edges the Neo4j projection hears about (every edge either path changed).
        "outbox": sorted((names[e.source_id], names[e.target_id], e.valid_from) for e in edges if e.id in outbox),
    }


async def wipe(session_factory) -> None:
    async with session_factory() as session:
        for model in (GraphOutbox, LineageEdge, RunDataset, Run, LineageEvent, AssetAlias, DataAsset, Process):
            await session.execute(model.__table__.delete())
        await session.commit()


@pytest.mark.parametrize("seed", range(6))
async def test_batches_leave_the_state_one_by_one_application_leaves(session_factory, seed: int) -> None:
    """Also with the graph outbox on (odd seeds): both paths leave the same edges in it."""
    outbox = {OUTBOX_FLAG: seed % 2 == 1}
    parsed = [parse_event(json.dumps(event).encode()) for event in stream(seed)]
    assert all(batchable(item.event) for item in parsed)
    groups = batches(seed, len(parsed))

    for group in groups:
        in_round_order = [group[index] for indexes in rounds([parsed[i].event for i in group]) for index in indexes]
        for index in in_round_order:
            async with session_factory(info=outbox) as session:
                await ingest(session, parsed[index])
                await session.commit()
    one_by_one = await snapshot(session_factory)
    await wipe(session_factory)

    for group in groups:
        async with session_factory(info=outbox) as session:
            await take_turns(session, [parsed[i].event for i in group])
            stored = await log_events(session, [parsed[i] for i in group])
            await BatchMapper(session).apply([parsed[i].event for i, new in zip(group, stored) if new])
            await session.commit()
    batched = await snapshot(session_factory)

    assert batched["edges"] and batched["runs"] and any(row[5] != START for row in batched["edges"])  # history was made
    assert bool(batched["outbox"]) == outbox[OUTBOX_FLAG]
    for part in one_by_one:
        only_batched = [row for row in batched[part] if row not in one_by_one[part]]
        only_one_by_one = [row for row in one_by_one[part] if row not in batched[part]]
        assert batched[part] == one_by_one[part], (part, only_batched, only_one_by_one)


def _writer(database_url: str, **info: Any) -> IngestWriter:
    return IngestWriter(SQLAlchemyAsyncConfig(connection_string=database_url, session_config=AsyncSessionConfig(expire_on_commit=False, info=info)))


async def test_the_writer_applies_queued_events_in_one_transaction(session_factory, database_url, caplog) -> None:
    """Events submitted together share a batch; nothing falls back to one-by-one."""
    writer = _writer(database_url)
    events = [
        run_event(f"job_{job}", f"run-{job}-{kind}", kind, _time(job + offset), inputs=["raw.orders"], outputs=[f"mart.out_{job}"])
        for job in range(6)
        for offset, kind in enumerate(("START", "COMPLETE"))
    ]
    with caplog.at_level(logging.INFO, logger="dlv.openlineage._writer"):
        stored = await asyncio.gather(*(writer.submit(parse_event(json.dumps(event).encode())) for event in events))
        again = await writer.submit(parse_event(json.dumps(events[0]).encode()))

    assert stored == [True] * len(events) and again is False
    assert not [record for record in caplog.records if "one by one" in record.getMessage()]
    async with session_factory() as session:
        runs = dict((await session.execute(select(Run.run_id, Run.state))).all())
        edges = (await session.scalars(select(LineageEdge).where(LineageEdge.valid_to.is_(None)))).all()
    assert runs == {f"run-{job}-{kind}": kind for job in range(6) for kind in ("START", "COMPLETE")}
    assert len(edges) == 12  # raw.orders -> job_n -> mart.out_n


async def test_a_refused_event_in_a_batch_fails_alone(session_factory, database_url) -> None:
    """A runId already used by another job is refused (400); the events batched with it are
    stored, the refused one leaves nothing, not even its raw log row."""
    writer = _writer(database_url)
    first = run_event("owner_job", "shared-run", "START", _time(0), outputs=["mart.a"])
    assert await writer.submit(parse_event(json.dumps(first).encode())) is True
    good = [run_event(f"job_{n}", f"run-{n}", "COMPLETE", _time(n), inputs=["raw.orders"], outputs=[f"mart.b_{n}"]) for n in range(4)]
    bad = run_event("other_job", "shared-run", "COMPLETE", _time(9), inputs=["raw.secret"], outputs=["mart.c"])

    results = await asyncio.gather(
        *(writer.submit(parse_event(json.dumps(event).encode())) for event in [*good[:2], bad, *good[2:]]), return_exceptions=True
    )

    assert results[:2] == [True, True] and results[3:] == [True, True]
    assert isinstance(results[2], BadRequest) and "already belongs to job" in str(results[2].detail)
    async with session_factory() as session:
        names = set((await session.scalars(select(DataAsset.name))).all())
        logged = (await session.scalars(select(LineageEvent.job_name))).all()
    assert "raw.secret" not in names and "mart.c" not in names and {f"mart.b_{n}" for n in range(4)} <= names
    assert sorted(logged) == sorted(["owner_job", *(f"job_{n}" for n in range(4))])


async def test_with_neo4j_every_edge_the_writer_changes_is_left_in_the_graph_outbox(session_factory, database_url) -> None:
    """Created, moved to a newer run, or retired because a newer run completed: each change
    leaves the edge's id in graph_outbox, so the Neo4j projection follows."""
    writer = _writer(database_url, **{OUTBOX_FLAG: True})
    for run, source in enumerate(("raw.orders", "raw.refunds")):
        for offset, kind in enumerate(("START", "COMPLETE")):
            event = run_event("nightly", f"run-{run}", kind, _time(10 * run + offset), inputs=[source], outputs=["mart.revenue"])
            assert await writer.submit(parse_event(json.dumps(event).encode())) is True

    async with session_factory() as session:
        edges = (await session.scalars(select(LineageEdge))).all()
        outbox = (await session.scalars(select(GraphOutbox.edge_id).order_by(GraphOutbox.id))).all()
    retired = [edge for edge in edges if edge.valid_to is not None]
    assert len(edges) == 3 and len(retired) == 1  # raw.orders -> nightly ended when run-1 completed
    assert set(outbox) == {edge.id for edge in edges}
    assert outbox.count(retired[0].id) == 2 and outbox[-1] == retired[0].id  # created, then retired last
