"""`dlv events prune`: old raw events go, the lineage they produced stays."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner
from sqlalchemy import select, update

from dlv.cli import main
from dlv.db.models import LineageEdge, LineageEvent
from tests.integration.openlineage.conftest import post, row_counts, run_event


def _env(database_url: str, tmp_path) -> dict[str, str]:
    return {"DLV_DATABASE_URL": database_url, "DLV_DATA_DIR": str(tmp_path), "DLV_SECRET_KEY": "k" * 40}


async def test_prune_deletes_old_events_and_keeps_their_lineage(client, session_factory, ingest_headers, database_url, tmp_path) -> None:
    for run_id, job in (("r-old", "nightly"), ("r-new", "hourly")):
        response = await post(client, ingest_headers, run_event(job, run_id, "COMPLETE", "2024-06-01T10:00:00Z", inputs=["raw"], outputs=[f"{job}_out"]))
        assert response.status_code == 201
    async with session_factory() as session:
        await session.execute(
            update(LineageEvent).where(LineageEvent.run_id == "r-old").values(received_at=datetime.now(timezone.utc) - timedelta(days=40))
        )
        await session.commit()
    before = await row_counts(session_factory)

    result = await asyncio.to_thread(CliRunner().invoke, main, ["events", "prune", "--older-than-days", "30"], env=_env(database_url, tmp_path))

    assert result.exit_code == 0, result.output
    assert result.output.startswith("Deleted 1 OpenLineage events received before ")
    async with session_factory() as session:
        assert list(await session.scalars(select(LineageEvent.run_id))) == ["r-new"]
        assert len(list(await session.scalars(select(LineageEdge).where(LineageEdge.valid_to.is_(None))))) == 4
    assert await row_counts(session_factory) == {**before, "events": 1}


async def test_prune_needs_a_positive_number_of_days(database_url, tmp_path) -> None:
    result = await asyncio.to_thread(CliRunner().invoke, main, ["events", "prune", "--older-than-days", "0"], env=_env(database_url, tmp_path))

    assert result.exit_code == 2
    assert "--older-than-days" in result.output and "0 is not in the range x>=1" in result.output
