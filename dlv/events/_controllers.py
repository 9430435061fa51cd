"""``GET /api/events``: Server-Sent Events for every logged-in user (viewers included)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.response import ServerSentEvent, ServerSentEventMessage

from dlv.auth import requires_viewer
from dlv.events._broker import EventBroker

# A comment line this often lets proxies keep the stream open and lets the server notice a
# client that went away (the write fails) even when nothing happens.
HEARTBEAT_SECONDS = 15.0
RETRY_MILLISECONDS = 3000


async def _stream(broker: EventBroker) -> AsyncIterator[ServerSentEventMessage]:
    subscription = broker.subscribe()
    try:
        # Sent once subscribed, so a client knows no later change can be missed.
        yield ServerSentEventMessage(event="ready", data="{}", retry=RETRY_MILLISECONDS)
        while True:
            try:
                event = await asyncio.wait_for(subscription.next(), HEARTBEAT_SECONDS)
            except TimeoutError:
                yield ServerSentEventMessage(comment="heartbeat")
                continue
            yield ServerSentEventMessage(event=event.type, data=msgspec.json.encode(event.data).decode())
    finally:
        broker.unsubscribe(subscription)


class EventController(Controller):
    path = "/api/events"
    tags = ["events"]
    guards = [requires_viewer]

    @get("/", summary="Live changes (node status, run states, lineage) as Server-Sent Events")
    async def events(self, events: NamedDependency[EventBroker]) -> ServerSentEvent:
        """Events: ``ready`` once subscribed, ``node.status`` {node_id, name, status, previous,
        message}, ``run.state`` {process_id, run_id, state, previous}, ``lineage.changed``
        {origin, asset_ids, process_ids, edges, complete, ...}, and ``resync`` when this client
        fell behind or the cross-process relay was interrupted and events were lost (reload).
        Each is sent once the change it reports is committed."""
        return ServerSentEvent(_stream(events))
