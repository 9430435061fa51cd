"""``GET /api/events`` over a real HTTP server (uvicorn; see conftest)."""

from __future__ import annotations

import asyncio

import httpx

from dlv.events import Event, EventBroker
from tests.conftest import ADMIN_PASSWORD, VIEWER_PASSWORD
from tests.integration.events.conftest import events, login
from tests.integration.nodes.conftest import postgres_config


async def test_a_viewer_hears_a_status_change_made_by_another_request(server: str, postgres_server) -> None:
    async with httpx.AsyncClient(base_url=server, timeout=10) as http:
        admin, viewer = await login(http, "admin", ADMIN_PASSWORD), await login(http, "viewer", VIEWER_PASSWORD)
        created = await http.post("/api/nodes", json={"name": "db", "type": "postgresql", "config": postgres_config(postgres_server)}, headers=admin)
        node_id = created.json()["id"]

        async with http.stream("GET", "/api/events", headers=viewer) as stream:
            assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
            received = events(stream)
            assert (await anext(received))[0] == "ready"
            tested = await http.post(f"/api/nodes/{node_id}/test", headers=admin)
            assert tested.json()["status"] == "ok"
            kind, data = await asyncio.wait_for(anext(received), 5)

    assert kind == "node.status"
    assert data == {"node_id": node_id, "name": "db", "status": "ok", "previous": "unknown", "message": tested.json()["message"]}


async def test_the_stream_needs_a_login(server: str) -> None:
    async with httpx.AsyncClient(base_url=server, timeout=10) as http:
        response = await http.get("/api/events")

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_subscriber_that_falls_behind_gets_one_resync_instead_of_a_backlog() -> None:
    broker = EventBroker(queue_size=3)
    slow, quick = broker.subscribe(), broker.subscribe()

    for number in range(5):
        broker.publish(Event(type="node.status", data={"n": number}))
        await quick.next()

    assert slow.dropped == 1  # the fourth event found the queue full; the fifth fits after the resync
    assert [(await slow.next()).type for _ in range(slow.queue.qsize())] == ["resync", "node.status"]
