"""Several API processes share live events through a real redis-server (``DLV_REDIS_URL``):
a client of instance B hears a status change made through instance A, exactly once."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import httpx
import msgspec

from dlv.app import create_app
from dlv.events import Event, EventBroker, RedisRelay
from tests.conftest import ADMIN_PASSWORD, VIEWER_PASSWORD
from tests.integration.events.conftest import events, login, serve
from tests.integration.nodes.conftest import postgres_config


async def test_a_client_of_one_instance_hears_a_change_made_through_another(
    settings, users, postgres_server, redis_server
) -> None:
    shared = msgspec.structs.replace(settings, redis_url=redis_server.url)
    async with AsyncExitStack() as stack:
        url_a = await stack.enter_async_context(serve(create_app(shared)))
        url_b = await stack.enter_async_context(serve(create_app(shared)))
        a = await stack.enter_async_context(httpx.AsyncClient(base_url=url_a, timeout=10))
        b = await stack.enter_async_context(httpx.AsyncClient(base_url=url_b, timeout=10))
        admin, viewer = await login(a, "admin", ADMIN_PASSWORD), await login(b, "viewer", VIEWER_PASSWORD)
        created = await a.post("/api/nodes", json={"name": "db", "type": "postgresql", "config": postgres_config(postgres_server)}, headers=admin)
        node_id = created.json()["id"]

        stream_b = await stack.enter_async_context(b.stream("GET", "/api/events", headers=viewer))
        stream_a = await stack.enter_async_context(a.stream("GET", "/api/events", headers=viewer))
        on_b, on_a = events(stream_b), events(stream_a)
        assert (await anext(on_b))[0] == "ready" and (await anext(on_a))[0] == "ready"

        assert (await a.post(f"/api/nodes/{node_id}/test", headers=admin)).json()["status"] == "ok"
        await a.patch(f"/api/nodes/{node_id}", json={"config": {"password": "wrong"}}, headers=admin)
        assert (await a.post(f"/api/nodes/{node_id}/test", headers=admin)).json()["status"] == "error"

        # Each stream has the two changes once each, in order: B through Redis, A directly
        # (A does not deliver its own event a second time when Redis echoes it back).
        for stream in (on_b, on_a):
            received = [await asyncio.wait_for(anext(stream), 5) for _ in range(2)]
            assert [(kind, data["node_id"], data["previous"], data["status"]) for kind, data in received] == [
                ("node.status", node_id, "unknown", "ok"),
                ("node.status", node_id, "ok", "error"),
            ]


async def test_without_redis_events_still_reach_local_subscribers() -> None:
    broker = EventBroker()
    relay = RedisRelay(broker, "redis://127.0.0.1:9/0")  # nothing listens there
    broker.relay = relay
    local = broker.subscribe()
    task = asyncio.create_task(relay.start())
    try:
        broker.publish(Event(type="node.status", data={"n": 1}))
        assert (await asyncio.wait_for(local.next(), 1)).data == {"n": 1}
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await relay.stop()


async def test_a_relay_that_reconnects_tells_its_clients_to_resync(redis_server) -> None:
    broker = EventBroker()
    relay = RedisRelay(broker, redis_server.url)
    await relay.start()
    local = broker.subscribe()
    try:
        assert relay.subscribed.is_set()
        redis_server.stop()
        redis_server.start()
        event = await asyncio.wait_for(local.next(), 15)
        assert event.type == "resync"
    finally:
        await relay.stop()
        if redis_server.process is None:  # keep the session's server up for later tests
            redis_server.start()
