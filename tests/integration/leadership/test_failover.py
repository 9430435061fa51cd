"""Two real ``dlv serve`` processes on one PostgreSQL: both serve the API, exactly one runs the
scheduler (and, with Neo4j, the projector), and the other takes over when it is killed."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import httpx
from alembic.script import ScriptDirectory
from neo4j import AsyncGraphDatabase

from dlv.db.migrate import alembic_config
from dlv.lib.leadership import RETRY_SECONDS
from dlv.nodes._scheduler import TICK_SECONDS
from tests.integration.leadership.conftest import DlvServe, Launch, leaders, raw_connection, wait_for
from tests.integration.lineage.conftest import NAMESPACE, ref
from tests.integration.nodes.conftest import api_config
from tests.services.neo4j import Neo4jServer
from tests.services.peers import SLOW_SECONDS, HttpPeer

# The survivor must lead within a few lock retries (and a slow, shared test machine).
FAILOVER_SECONDS = 5 * RETRY_SECONDS + 10
# The node is due every second but its peer answers only after SLOW_SECONDS: one scheduler
# never runs two checks of a node at once, so its checks never overlap and come at most one
# per SLOW_SECONDS; a second scheduler would check the node while the first still waits.
WINDOW_SECONDS = 5 * SLOW_SECONDS
MOST_CHECKS = int(WINDOW_SECONDS // SLOW_SECONDS) + 1


def span(check: dict) -> tuple[datetime, datetime]:
    """When a check started and ended (checked_at is when its result was recorded)."""
    end = datetime.fromisoformat(check["checked_at"])
    return end - timedelta(milliseconds=check["latency_ms"]), end


async def checks_between(process: DlvServe, headers: dict[str, str], node_id: str, start: datetime, end: datetime) -> list[dict]:
    async with httpx.AsyncClient(base_url=process.base, headers=headers, timeout=10) as http:
        response = await http.get(f"/api/nodes/{node_id}/checks", params={"limit": 500})
    assert response.status_code == 200, response.text
    return sorted((c for c in response.json() if start <= span(c)[0] and span(c)[1] <= end), key=lambda c: c["checked_at"])


async def one_scheduler_checks(process: DlvServe, headers: dict[str, str], node_id: str) -> None:
    """Over a window: some checks, all ok, one after the other, at most one per slow answer."""
    start = datetime.now(timezone.utc)
    await asyncio.sleep(WINDOW_SECONDS)
    checks = await checks_between(process, headers, node_id, start, datetime.now(timezone.utc))
    assert 2 <= len(checks) <= MOST_CHECKS, f"{len(checks)} checks in {WINDOW_SECONDS} s; one scheduler makes 2 to {MOST_CHECKS}"
    assert {check["status"] for check in checks} == {"ok"}
    for earlier, later in zip(checks, checks[1:]):
        assert span(earlier)[1] <= span(later)[0], f"two checks of the node ran at once: {earlier} and {later}"


async def test_processes_started_together_on_an_empty_database_all_come_up(launch: Launch, fresh_database: str) -> None:
    processes = await launch("a", "b")  # both migrate and create the first admin at once

    for process in processes:
        assert (await process.health())["status"] == "ok"
        await process.login()
    connection = await raw_connection(fresh_database)
    try:
        head = ScriptDirectory.from_config(alembic_config(fresh_database)).get_current_head()
        assert await connection.fetchval("SELECT version_num FROM alembic_version") == head
        assert await connection.fetchval("SELECT count(*) FROM users") == 1
    finally:
        await connection.close()


async def test_one_scheduler_at_a_time_and_the_survivor_takes_over(launch: Launch, http_peer: HttpPeer) -> None:
    processes = await launch("a", "b")
    headers = await processes[0].login()
    for process in processes:
        health = await process.health()
        assert health["status"] == "ok" and "projector" not in health["leader"]  # no Neo4j configured
    leader = (await wait_for(lambda: leaders(processes, "scheduler"), FAILOVER_SECONDS, "a scheduler leader"))[0]
    assert await leaders(processes, "scheduler") == [leader]
    follower = next(process for process in processes if process is not leader)

    async with httpx.AsyncClient(base_url=follower.base, headers=headers, timeout=10) as http:
        created = await http.post(
            "/api/nodes",
            json={"name": "peer", "type": "api", "config": api_config(http_peer.url, health_path="/slow"), "check_interval_seconds": 1},
        )
    assert created.status_code == 201, created.text
    node_id = created.json()["id"]

    await one_scheduler_checks(follower, headers, node_id)
    assert await leaders(processes, "scheduler") == [leader]

    leader.kill()
    killed_at = datetime.now(timezone.utc)
    await wait_for(lambda: leaders([follower], "scheduler"), FAILOVER_SECONDS, "the survivor leading the scheduler")

    async def checked_since_the_kill() -> list[dict]:
        return await checks_between(follower, headers, node_id, killed_at, datetime.now(timezone.utc))

    await wait_for(checked_since_the_kill, 2 * TICK_SECONDS + SLOW_SECONDS + 5, "a check after the failover")
    await one_scheduler_checks(follower, headers, node_id)


async def test_the_projector_fails_over_and_edges_written_anywhere_reach_neo4j(launch: Launch, neo4j_server: Neo4jServer) -> None:
    driver = AsyncGraphDatabase.driver(neo4j_server.bolt_uri, auth=None)
    await driver.execute_query("MATCH (n) DETACH DELETE n")
    try:
        processes = await launch("a", "b", DLV_NEO4J_URI=neo4j_server.bolt_uri)
        headers = await processes[0].login()
        leader = (await wait_for(lambda: leaders(processes, "projector"), FAILOVER_SECONDS, "a projector leader"))[0]
        assert await leaders(processes, "projector") == [leader]
        follower = next(process for process in processes if process is not leader)

        async def neo4j_has_edges(expected: int) -> bool:
            result = await driver.execute_query("MATCH ()-[r:FLOWS_TO]->() RETURN count(r) AS n")
            return result.records[0]["n"] == expected

        async def write_edge(process: DlvServe, source: str, target: str) -> None:
            body = {
                "assets": [{"namespace": NAMESPACE, "name": name} for name in (source, target)],
                "edges": [{"source": ref(source), "target": ref(target)}],
            }
            async with httpx.AsyncClient(base_url=process.base, headers=headers, timeout=10) as http:
                response = await http.post("/api/lineage/bulk", json=body)
            assert response.status_code == 200, response.text

        await write_edge(follower, "orders", "revenue")  # the follower writes; the leader projects
        await wait_for(lambda: neo4j_has_edges(1), 30, "the first edge in Neo4j")

        leader.kill()
        await wait_for(lambda: leaders([follower], "projector"), FAILOVER_SECONDS, "the survivor leading the projector")
        await write_edge(follower, "revenue", "forecast")
        await wait_for(lambda: neo4j_has_edges(2), 30, "the edge written after the failover in Neo4j")
        health = await follower.health()
        assert health["neo4j"] == "ok" and health["outbox_lag"] == 0
    finally:
        await driver.close()
