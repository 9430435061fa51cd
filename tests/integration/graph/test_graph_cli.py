"""`dlv graph rebuild | project | status` against the real Neo4j and the test databases."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner

from dlv.cli import main
from dlv.db.models import ASSET
from tests.integration.graph.test_neo4j_store import _seed


def _env(database_url: str, bolt_uri: str, tmp_path) -> dict[str, str]:
    return {"DLV_DATABASE_URL": database_url, "DLV_NEO4J_URI": bolt_uri, "DLV_DATA_DIR": str(tmp_path), "DLV_SECRET_KEY": "k" * 40}


async def test_rebuild_project_and_status(database_url, neo4j_server, neo4j_driver, outbox_sessions, tmp_path) -> None:
    await _seed(outbox_sessions, 4, [(0, 1), (1, 2), (2, 3)], {1}, [ASSET] * 4)
    env = _env(database_url, neo4j_server.bolt_uri, tmp_path)
    runner = CliRunner()

    # The CLI runs its own event loop, so it gets a worker thread of its own here.
    status = await asyncio.to_thread(runner.invoke, main, ["graph", "status"], env=env)
    assert status.exit_code == 0, status.output
    assert "relational edges: 3" in status.output and "neo4j edges: 0" in status.output and "outbox lag: 4" in status.output  # three adds, one retirement

    projected = await asyncio.to_thread(runner.invoke, main, ["graph", "project"], env=env)
    assert projected.exit_code == 0 and "Applied 4 outbox rows." in projected.output

    await neo4j_driver.execute_query("MATCH (n) DETACH DELETE n")
    rebuilt = await asyncio.to_thread(runner.invoke, main, ["graph", "rebuild"], env=env)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "Rebuilt the Neo4j projection: 3 edges." in rebuilt.output
    after = await asyncio.to_thread(runner.invoke, main, ["graph", "status"], env=env)
    assert "neo4j edges: 3" in after.output and "outbox lag: 0" in after.output


async def test_graph_commands_need_a_neo4j_uri(database_url, tmp_path) -> None:
    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["graph", "status"], env={"DLV_DATABASE_URL": database_url, "DLV_DATA_DIR": str(tmp_path), "DLV_NEO4J_URI": ""}
    )

    assert result.exit_code == 2
    assert "DLV_NEO4J_URI is not set" in result.output
