"""The official openlineage-python client, unchanged, against DLV served by uvicorn on loopback."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
import requests
import uvicorn
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import column_lineage_dataset, schema_dataset
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from dlv.app import create_app
from dlv.config import Settings
from dlv.db.migrate import upgrade
from tests.integration.openlineage.conftest import issue_token
from tests.services.postgres import free_port

NAMESPACE = "postgres://warehouse:5432"


class Served:
    def __init__(self, url: str, session_factory: async_sessionmaker) -> None:
        self.url, self.session_factory = url, session_factory


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'client.db'}"
    await asyncio.to_thread(upgrade, database_url)
    settings = Settings(data_dir=tmp_path, database_url=database_url, secret_key=secrets.token_urlsafe(48))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.05)
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        yield Served(f"http://127.0.0.1:{port}", async_sessionmaker(engine, expire_on_commit=False))
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
        await engine.dispose()


def client_for(url: str, api_key: str | None) -> OpenLineageClient:
    """What OPENLINEAGE_URL=<url> and OPENLINEAGE_API_KEY=<key> configure, built explicitly."""
    auth = {"auth": ApiKeyTokenProvider({"apiKey": api_key})} if api_key else {}
    config = HttpConfig(url=url, retry={"total": 0}, **auth)
    return OpenLineageClient(transport=HttpTransport(config))


def events(job: str) -> Iterator[RunEvent]:
    run = Run(runId=str(uuid4()))
    inputs = [InputDataset(namespace=NAMESPACE, name="shop.orders")]
    schema = schema_dataset.SchemaDatasetFacet(fields=[schema_dataset.SchemaDatasetFacetFields(name="revenue", type="numeric")])
    columns = column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            "revenue": column_lineage_dataset.Fields(
                inputFields=[column_lineage_dataset.InputField(namespace=NAMESPACE, name="shop.orders", field="amount")],
                transformationDescription="sum", transformationType="AGGREGATION",
            )
        }
    )
    outputs = [OutputDataset(namespace=NAMESPACE, name="mart.revenue", facets={"schema": schema, "columnLineage": columns})]
    for state in (RunState.START, RunState.COMPLETE):
        yield RunEvent(
            eventType=state, eventTime=datetime.now(timezone.utc).isoformat(), run=run,
            job=Job(namespace="airflow://etl", name=job), producer="https://example.com/dlv-test", inputs=inputs, outputs=outputs,
        )


async def emit(client: OpenLineageClient, job: str) -> None:
    for event in events(job):
        await asyncio.to_thread(client.emit, event)


async def test_the_official_client_sends_lineage_dlv_shows(served: Served) -> None:
    ingest = (await issue_token(served.session_factory, "ingest"))["Authorization"].removeprefix("Bearer ")
    reader = await issue_token(served.session_factory, "viewer")

    await emit(client_for(served.url, ingest), "daily_revenue")

    async with httpx.AsyncClient(base_url=served.url, headers=reader) as http:
        graph = (await http.get("/api/lineage/graph", params={
            "type": "asset", "namespace": NAMESPACE, "name": "mart.revenue", "direction": "upstream", "depth": 2, "columns": True,
        })).json()
        process = (await http.get("/api/lineage/processes", params={"searchString": "daily_revenue"})).json()["items"][0]
    assert {node["name"]: node["depth"] for node in graph["nodes"]} == {"mart.revenue": 0, "daily_revenue": 1, "shop.orders": 2}
    mapped = [column for edge in graph["edges"] for column in edge["columns"] or []]
    assert [(m["source_field"], m["target_field"], m["transformation"]) for m in mapped] == [("amount", "revenue", "AGGREGATION")]
    assert process["last_run_state"] == "COMPLETE" and process["parent_id"] is None


async def test_the_client_is_refused_with_a_viewer_token_or_none(served: Served) -> None:
    viewer = (await issue_token(served.session_factory, "viewer"))["Authorization"].removeprefix("Bearer ")

    with pytest.raises(requests.HTTPError) as forbidden:
        await emit(client_for(served.url, viewer), "job")
    with pytest.raises(requests.HTTPError) as anonymous:
        await emit(client_for(served.url, None), "job")

    assert forbidden.value.response.status_code == 403
    assert anonymous.value.response.status_code == 401
