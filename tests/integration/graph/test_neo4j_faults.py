"""Neo4j dies in the middle of a stream of writes: nothing is lost, reads fall back to SQL,
and the projection catches up when Neo4j returns."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from litestar.testing import AsyncTestClient
from neo4j import AsyncGraphDatabase
from sqlalchemy import func, select

from dlv.app import create_app
from dlv.db.models import LineageEdge
from dlv.graph import neo4j as neo4j_module
from tests.conftest import ADMIN_PASSWORD, create_user, login
from tests.integration.lineage.conftest import NAMESPACE, GraphBuilder, ref
from tests.services.neo4j import Neo4jServer
from tests.services.postgres import free_port


async def _wait_for(client, predicate, seconds: float = 90) -> dict:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        health = (await client.get("/health")).json()
        if predicate(health):
            return health
        assert asyncio.get_running_loop().time() < deadline, f"gave up waiting; last health: {health}"
        await asyncio.sleep(0.2)


async def test_writes_survive_a_neo4j_outage_and_the_projection_catches_up(
    settings, session_factory, tmp_path, monkeypatch: pytest.MonkeyPatch, neo4j_server
) -> None:
    monkeypatch.setattr(neo4j_module, "RETRY_MAX_SECONDS", 1.0)
    port = free_port()
    server = Neo4jServer(tmp_path / "neo4j", port=port)
    server.start()
    try:
        app = create_app(msgspec.structs.replace(settings, neo4j_uri=server.bolt_uri))
        async with AsyncTestClient(app=app) as client:
            await create_user(session_factory, "admin", ADMIN_PASSWORD, "admin")
            headers = await login(client, "admin", ADMIN_PASSWORD)
            lineage = GraphBuilder(client, headers)
            await lineage.build([("a0", "a1")])
            await _wait_for(client, lambda h: h["neo4j"] == "ok" and h["outbox_lag"] == 0)

            for step in range(1, 21):
                if step == 8:
                    server.stop()
                response = await client.post(
                    "/api/lineage/bulk",
                    json={"assets": [{"namespace": NAMESPACE, "name": f"a{step + 1}"}], "edges": [{"source": ref(f"a{step}"), "target": ref(f"a{step + 1}")}]},
                    headers=headers,
                )
                assert response.status_code == 200, response.text
                if step == 12:  # retire one edge during the outage too
                    edges = await client.get("/api/lineage/edges", params={"source_id": lineage.ids["a0"]}, headers=headers)
                    assert (await client.delete(f"/api/lineage/edges/{edges.json()['items'][0]['id']}", headers=headers)).status_code == 204

            await lineage.build([])  # refresh names -> ids
            during = await lineage.graph("a1", direction="downstream", depth=50)
            assert during["source"] == "sql"
            assert len(during["nodes"]) == 21
            outage = await _wait_for(client, lambda h: h["neo4j"].startswith("unreachable"), 30)
            assert outage["status"] == "degraded" and outage["outbox_lag"] > 0

            server = Neo4jServer(tmp_path / "neo4j-again", port=port)
            server.start()
            await _wait_for(client, lambda h: h["neo4j"] == "ok" and h["outbox_lag"] == 0)

            after = await lineage.graph("a1", direction="downstream", depth=50)
            assert after["source"] == "neo4j"
            assert {n["name"]: n["depth"] for n in after["nodes"]} == {n["name"]: n["depth"] for n in during["nodes"]}
            assert {e["id"] for e in after["edges"]} == {e["id"] for e in during["edges"]}
            async with session_factory() as session:
                relational = await session.scalar(select(func.count()).select_from(LineageEdge))
            # The app's driver belongs to the app's event loop; count with one of our own.
            async with AsyncGraphDatabase.driver(server.bolt_uri, auth=None) as driver:
                projected = await driver.execute_query("MATCH ()-[r:FLOWS_TO]->() RETURN count(r) AS n")
            assert projected.records[0]["n"] == relational == 21
    finally:
        server.stop()
