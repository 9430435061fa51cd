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
