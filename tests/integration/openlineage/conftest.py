"""OpenLineage test helpers: the shared fixture corpus, API tokens, and row counts."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from dlv.auth import ApiTokenService
from dlv.db.models import DataAsset, LineageEdge, LineageEvent, Process, Run

FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "openlineage"
SEED_TIME = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
_PLACEHOLDER = re.compile(r"\{\{RUN_(START_TIME|END_TIME_AFTER_(\d+)_MINUTES)\}\}")


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def substitute_placeholders(text: str) -> str:
    """What Marquez's docker/seed.sh does with sed: a start time, and end times N minutes later."""
    return _PLACEHOLDER.sub(lambda m: _iso(SEED_TIME + timedelta(minutes=int(m.group(2) or 0))), text)


def fixture_events(name: str) -> list[dict[str, Any]]:
    """The events of one corpus file, in file order (see the corpus README for the formats)."""
    text = substitute_placeholders((FIXTURES / name).read_text())
    if name.endswith(".jsonl"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    loaded = json.loads(text)
    return loaded if isinstance(loaded, list) else [loaded]


def corpus_files() -> list[str]:
    return sorted(path.name for path in FIXTURES.iterdir() if path.suffix in (".json", ".jsonl"))


def run_event(job: str, run_id: str, event_type: str, time: str, *, inputs=(), outputs=(), namespace: str = "spark://jobs", **extra: Any) -> dict[str, Any]:
    """A small spec-valid RunEvent; inputs/outputs are names in the ``postgres://db:5432`` namespace."""
    def dataset(item: Any) -> dict[str, Any]:
        return item if isinstance(item, dict) else {"namespace": "postgres://db:5432", "name": item}

    return {
        "eventType": event_type,
        "eventTime": time,
        "producer": "https://example.com/test-producer",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id, "facets": {}},
        "job": {"namespace": namespace, "name": job, "facets": {}},
        "inputs": [dataset(item) for item in inputs],
        "outputs": [dataset(item) for item in outputs],
        **extra,
    }


async def issue_token(session_factory, role: str, name: str | None = None) -> dict[str, str]:
    async with session_factory() as session:
        _, value = await ApiTokenService(session=session).issue(name or f"{role}-token", role)
        await session.commit()
    return {"Authorization": f"Bearer {value}"}


@pytest.fixture
async def ingest_headers(session_factory) -> dict[str, str]:
    return await issue_token(session_factory, "ingest")


@pytest.fixture
async def reader_headers(session_factory) -> dict[str, str]:
    """A viewer API token: reads without an argon2 login per test."""
    return await issue_token(session_factory, "viewer")


COUNTED = {"events": LineageEvent, "assets": DataAsset, "processes": Process, "edges": LineageEdge, "runs": Run}


async def row_counts(session_factory) -> dict[str, int]:
    async with session_factory() as session:
        return {name: await session.scalar(select(func.count()).select_from(model)) for name, model in COUNTED.items()}


async def post(client, headers: dict[str, str], event: dict[str, Any]):
    return await client.post("/api/v1/lineage", json=event, headers=headers)
