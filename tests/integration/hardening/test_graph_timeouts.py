"""Graph query timeouts: a traversal that runs past DLV_GRAPH_QUERY_TIMEOUT_SECONDS is stopped
in the database and answered with a 504 that says to ask for less, instead of a hung worker."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from sqlalchemy import text

from dlv.config import SettingsError, load_settings
from dlv.graph import GraphQueryTimeout, Neo4jGraphStore
from tests.integration.graph.conftest import neo4j_driver, neo4j_server  # noqa: F401 - a real Neo4j
from tests.integration.hardening.conftest import Client, client_with

# Every asset feeds every other one: a depth-50 walk in both directions yields tens of
# thousands of rows (edge, depth) before its row cap, far more than a millisecond of work.
DENSE_NODES = 30
TINY_TIMEOUT = 0.001


async def _dense_graph(client: Client, admin_headers: dict[str, str]) -> str:
    names = [f"t{i}" for i in range(DENSE_NODES)]
    body = {
        "assets": [{"namespace": "pg", "name": name} for name in names],
        "edges": [
            {"source": {"type": "asset", "namespace": "pg", "name": a}, "target": {"type": "asset", "namespace": "pg", "name": b}}
            for a in names
            for b in names
            if a != b
        ],
    }
    response = await client.post("/api/lineage/bulk", json=body, headers=admin_headers)
    assert response.status_code == 200, response.text
    listing = await client.get("/api/lineage/assets", params={"name": "t0", "pageSize": 1000}, headers=admin_headers)
    return next(item["id"] for item in listing.json()["items"] if item["name"] == "t0")


def _assert_timed_out(response) -> None:
    assert response.status_code == 504, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    detail = response.json()["detail"]
    assert f"longer than {TINY_TIMEOUT:g} seconds (DLV_GRAPH_QUERY_TIMEOUT_SECONDS)" in detail
    assert "smaller depth or max_nodes" in detail


async def test_a_slow_traversal_is_stopped_with_a_504_that_says_to_ask_for_less(
    client: Client, settings, admin_headers, session_factory, database_url
) -> None:
    start = await _dense_graph(client, admin_headers)
    query = {"node_id": start, "direction": "both", "depth": 50}

    # With the default timeout the graph answers (kept small: in full, this walk takes seconds).
    answered = await client.get("/api/lineage/graph", params=query | {"max_nodes": DENSE_NODES}, headers=admin_headers)
    assert answered.status_code == 200, answered.text
    assert len(answered.json()["nodes"]) == DENSE_NODES

    async with client_with(settings, graph_query_timeout_seconds=TINY_TIMEOUT) as hurried:
        _assert_timed_out(await hurried.get("/api/lineage/graph", params=query, headers=admin_headers))
        _assert_timed_out(await hurried.get("/api/lineage/impact", params={"node_id": start, "depth": 50}, headers=admin_headers))
        # The stopped walk leaves nothing behind: other requests of that app still work.
        listing = await hurried.get("/api/lineage/assets", headers=admin_headers)
        assert listing.status_code == 200 and listing.json()["total"] == DENSE_NODES

    if database_url.startswith("postgresql"):
        # The server stopped the statement itself: no walk is still running.
        async with session_factory() as session:
            running = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                    "AND query LIKE '%RECURSIVE walk%' AND pid <> pg_backend_pid()"
                )
            )
        assert running == 0


@pytest.mark.parametrize("value", ["0", "-1", "nan", "5000"])
def test_an_impossible_timeout_stops_start_up(value: str, tmp_path) -> None:
    with pytest.raises(SettingsError, match="DLV_GRAPH_QUERY_TIMEOUT_SECONDS"):
        load_settings({"DLV_GRAPH_QUERY_TIMEOUT_SECONDS": value, "DLV_DATA_DIR": str(tmp_path)})


def test_a_fractional_timeout_is_accepted(tmp_path) -> None:
    settings = load_settings({"DLV_GRAPH_QUERY_TIMEOUT_SECONDS": "2.5", "DLV_DATA_DIR": str(tmp_path)})

    assert settings.graph_query_timeout_seconds == 2.5


async def test_neo4j_stops_a_slow_traversal_itself(neo4j_driver) -> None:
    """Through the driver's transaction timeout: the server ends the query, nothing keeps running."""
    ids = [str(uuid4()) for _ in range(250)]  # 62,250 edges: slow to walk at depth 50 even once the JIT is warm
    await neo4j_driver.execute_query("UNWIND $ids AS id CREATE (:Lineage {id: id, type: 'asset'})", {"ids": ids})
    await neo4j_driver.execute_query(
        "MATCH (a:Lineage), (b:Lineage) WHERE a <> b CREATE (a)-[:FLOWS_TO {id: randomUUID(), valid_from: 0}]->(b)"
    )
    store = Neo4jGraphStore(neo4j_driver)

    near = await store.traverse({UUID(ids[0]): "asset"}, "downstream", 1, timeout=10)
    assert len(near.nodes) == 250
    with pytest.raises(GraphQueryTimeout) as stopped:
        await store.traverse({UUID(ids[0]): "asset"}, "both", 50, timeout=TINY_TIMEOUT)

    assert stopped.value.status_code == 504
    assert "DLV_GRAPH_QUERY_TIMEOUT_SECONDS" in stopped.value.detail
    running = await neo4j_driver.execute_query("SHOW TRANSACTIONS YIELD currentQuery RETURN currentQuery")
    assert [record["currentQuery"] for record in running.records if "FLOWS_TO" in record["currentQuery"]] == []
