"""Back-pressure: graph traversals run a bounded number at a time, per caller and per process.
Past the bound a graph request waits briefly, then gets 503 with Retry-After; /health and
other callers are not held up behind it."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from dlv.app import create_app
from dlv.graph import TraversalGate
from dlv.lib.exceptions import Unavailable
from tests.conftest import create_user, login


async def test_a_caller_past_its_bound_waits_then_is_refused_while_others_go_on() -> None:
    gate = TraversalGate(overall=3, per_caller=1, wait_seconds=0.2)
    async with gate.slot("user:a"):
        with pytest.raises(Unavailable) as refused:
            async with gate.slot("user:a"):
                pass
        async with gate.slot("user:b"):  # another caller is not held up
            pass
    assert refused.value.status_code == 503 and refused.value.headers == {"Retry-After": "2"}
    async with gate.slot("user:a"):  # the slot came back
        pass
    assert gate._callers == {}  # nothing kept for callers that left


async def test_a_waiting_request_gets_the_slot_when_it_frees_up() -> None:
    gate = TraversalGate(overall=1, per_caller=4, wait_seconds=5)
    order: list[str] = []

    async def hold(name: str, seconds: float) -> None:
        async with gate.slot(name):
            order.append(name)
            await asyncio.sleep(seconds)

    await asyncio.gather(hold("user:a", 0.1), hold("user:b", 0))
    assert order == ["user:a", "user:b"]


async def test_graph_requests_past_the_bound_are_503_and_health_still_answers(settings, session_factory) -> None:
    app = create_app(msgspec.structs.replace(settings, graph_max_concurrent=1, graph_queue_seconds=0.2))
    gate = app.dependencies["graph_gate"].dependency()
    async with AsyncTestClient(app=app) as client:
        await create_user(session_factory, "alice", "correct-horse-battery", "admin")
        headers = await login(client, "alice", "correct-horse-battery")
        created = await client.post("/api/lineage/assets", json={"namespace": "db", "name": "orders"}, headers=headers)
        assert created.status_code == 201, created.text
        params = {"node_id": created.json()["id"]}

        async with gate.slot("token:someone-else"):  # every traversal slot of the process is taken
            refused = await client.get("/api/lineage/graph", params=params, headers=headers)
            health = await client.get("/health")

        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "2"
        assert "Too many graph queries" in refused.json()["detail"]
        assert health.status_code == 200
        answered = await client.get("/api/lineage/graph", params=params, headers=headers)
        assert answered.status_code == 200 and answered.json()["nodes"][0]["name"] == "orders"
