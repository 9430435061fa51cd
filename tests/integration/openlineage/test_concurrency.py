"""Events of one job arriving at the same moment on different connections (several workers,
a retrying client) must all be stored: no unique-key race answers 500."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from sqlalchemy import func, select

from dlv.db.models import LineageEdge, LineageEvent, Process, Run
from dlv.openlineage._service import ingest
from dlv.openlineage._spec import parse_event
from tests.integration.openlineage.conftest import run_event


async def _ingest_alone(session_factory, event: dict) -> bool:
    async with session_factory() as session:
        stored = await ingest(session, parse_event(json.dumps(event).encode()))
        await session.commit()
        return stored


@pytest.mark.parametrize("round_", range(5))
async def test_concurrent_events_of_one_job_are_all_stored(session_factory, database_url, round_) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers; the race needs concurrent transactions")
    run_ids = [str(uuid.uuid4()) for _ in range(6)]
    events = [
        run_event("nightly", run_id, kind, f"2026-11-0{1 + index}T00:00:0{offset}Z", inputs=["raw.orders", "raw.customers"], outputs=["mart.revenue"])
        for index, run_id in enumerate(run_ids)
        for offset, kind in enumerate(("START", "COMPLETE"))
    ]

    results = await asyncio.gather(*(_ingest_alone(session_factory, event) for event in events))

    assert results == [True] * len(events)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(LineageEvent)) == len(events)
        assert await session.scalar(select(func.count()).select_from(Process)) == 1
        assert await session.scalar(select(func.count()).select_from(Run)) == len(run_ids)
        current = await session.scalar(select(func.count()).select_from(LineageEdge).where(LineageEdge.valid_to.is_(None)))
        assert current == 3  # two reads and one write of the one job


@pytest.mark.parametrize("round_", range(5))
async def test_concurrent_events_of_one_run_are_all_stored(session_factory, database_url, round_) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers; the race needs concurrent transactions")
    run_id = str(uuid.uuid4())
    events = [
        run_event("hourly", run_id, kind, f"2026-11-01T00:00:0{offset}Z", inputs=["raw.orders", f"raw.extra{offset}"], outputs=["mart.revenue"])
        for offset, kind in enumerate(("START", "RUNNING", "RUNNING", "COMPLETE"))
    ]

    results = await asyncio.gather(*(_ingest_alone(session_factory, event) for event in events))

    assert results == [True] * len(events)
    async with session_factory() as session:
        assert await session.scalar(select(Run.state).where(Run.run_id == run_id)) == "COMPLETE"
        current = await session.scalar(select(func.count()).select_from(LineageEdge).where(LineageEdge.valid_to.is_(None)))
        assert current == 6  # raw.orders and raw.extra0..3 read, mart.revenue written


@pytest.mark.parametrize("round_", range(3))
async def test_jobs_sharing_sources_and_a_target_ingest_side_by_side(client, ingest_headers, session_factory, database_url, round_) -> None:
    """Eight jobs read overlapping source tables (which are not serialised: many jobs read one
    popular table) and two of them write the same target; every event, posted all at once,
    is stored with its schema and lineage, and none answers an error."""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers; the race needs concurrent transactions")
    sources = [f"raw.source_{index}" for index in range(5)]

    def dataset(name: str, column: str) -> dict:
        return {"namespace": "postgres://db:5432", "name": name, "facets": {"schema": {
            "_producer": "https://example.com/test-producer", "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json",
            "fields": [{"name": column, "type": "string"}]}}}

    events = []
    for job in range(8):
        run_id = str(uuid.uuid4())
        # Reversed source order in half the jobs: rows are touched in opposite orders.
        reads = [dataset(name, f"c{job}") for name in (sources[job % 3: job % 3 + 3] if job % 2 else sources[job % 3: job % 3 + 3][::-1])]
        target = "mart.shared" if job < 2 else f"mart.job_{job}"
        for offset, kind in enumerate(("START", "COMPLETE")):
            events.append(run_event(f"job_{job}", run_id, kind, f"2026-11-01T00:0{job}:0{offset}Z", inputs=reads, outputs=[dataset(target, "total")]))

    responses = await asyncio.gather(*(client.post("/api/v1/lineage", json=event, headers=ingest_headers) for event in events))

    assert [response.status_code for response in responses] == [201] * len(events), [r.text for r in responses if r.status_code != 201]
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(LineageEvent)) == len(events)
        assert await session.scalar(select(func.count()).select_from(Process)) == 8
        assert set(await session.scalars(select(Run.state))) == {"COMPLETE"}
        current = await session.scalar(select(func.count()).select_from(LineageEdge).where(LineageEdge.valid_to.is_(None)))
        assert current == 8 * 4  # each job: three reads and one write
