"""Scheduled health checks: the real app checks due nodes by itself; the scheduler bounds
concurrency, never runs two checks of one node at once and survives failing checks."""

from __future__ import annotations

import asyncio
import time
from uuid import UUID, uuid4

from dlv.nodes import HealthCheckScheduler
from tests.integration.nodes.conftest import Client, api_config, create_node


async def test_a_node_with_an_interval_is_checked_without_anyone_asking(client: Client, admin_headers, http_peer) -> None:
    node = await create_node(client, admin_headers, "api", "api", api_config(http_peer.url), check_interval_seconds=1)
    untimed = await create_node(client, admin_headers, "manual-only", "api", api_config(http_peer.url))

    deadline = time.monotonic() + 15
    checks: list[dict] = []
    while time.monotonic() < deadline and not checks:
        await asyncio.sleep(0.2)
        checks = (await client.get(f"/api/nodes/{node['id']}/checks", headers=admin_headers)).json()

    assert checks, "the scheduler ran no check within 15 s"
    assert {check["trigger"] for check in checks} == {"scheduled"}
    assert checks[0]["status"] == "ok"
    assert (await client.get(f"/api/nodes/{node['id']}", headers=admin_headers)).json()["status"] == "ok"
    assert (await client.get(f"/api/nodes/{untimed['id']}/checks", headers=admin_headers)).json() == []


class _Recorder:
    """Stands in for the database and the connectors: reports which nodes are due, and
    records how the scheduler ran the checks."""

    def __init__(self, nodes: list[UUID], *, delay: float = 0.05, failing: set[UUID] | None = None) -> None:
        self.nodes = nodes
        self.delay = delay
        self.failing = failing or set()
        self.running: set[UUID] = set()
        self.most_at_once = 0
        self.overlapping_same_node = False
        self.done: list[UUID] = []

    async def due(self) -> list[UUID]:
        return list(self.nodes)

    async def check(self, node_id: UUID) -> None:
        if node_id in self.running:
            self.overlapping_same_node = True
        self.running.add(node_id)
        self.most_at_once = max(self.most_at_once, len(self.running))
        try:
            await asyncio.sleep(self.delay)
            if node_id in self.failing:
                raise RuntimeError("connector exploded")
            self.done.append(node_id)
        finally:
            self.running.discard(node_id)


async def test_checks_run_with_bounded_concurrency_and_one_per_node() -> None:
    nodes = [uuid4() for _ in range(10)]
    recorder = _Recorder(nodes, delay=0.05)
    scheduler = HealthCheckScheduler(recorder.due, recorder.check, concurrency=3)

    for _ in range(5):  # ticks faster than checks finish: due nodes must not pile up
        await scheduler.tick()
    await scheduler.wait_idle()

    assert recorder.most_at_once == 3
    assert not recorder.overlapping_same_node
    assert sorted(recorder.done) == sorted(nodes)


async def test_a_failing_check_or_listing_does_not_stop_the_scheduler(caplog) -> None:
    good, bad = uuid4(), uuid4()
    recorder = _Recorder([bad, good], delay=0, failing={bad})
    calls = 0

    async def flaky_due() -> list[UUID]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database restarting")
        return await recorder.due()

    scheduler = HealthCheckScheduler(flaky_due, recorder.check, tick_seconds=0.01)
    scheduler.start()
    deadline = time.monotonic() + 5
    while recorder.done.count(good) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    await scheduler.stop()

    assert recorder.done.count(good) >= 2
    assert "could not list the nodes due" in caplog.text
    assert "scheduled health check of node" in caplog.text and "connector exploded" in caplog.text


async def test_stop_cancels_checks_in_flight() -> None:
    recorder = _Recorder([uuid4()], delay=30)
    scheduler = HealthCheckScheduler(recorder.due, recorder.check)
    scheduler.start()
    await asyncio.sleep(0.05)

    started = time.monotonic()
    await scheduler.stop()

    assert time.monotonic() - started < 1
    assert recorder.running == set() and recorder.done == []
