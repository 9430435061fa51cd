"""An in-process broadcaster: writers publish without ever waiting; each subscriber has a
bounded queue, and one that falls behind loses its backlog and gets a ``resync`` event
telling it to reload what it shows."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec

from dlv.db.models import Node

logger = logging.getLogger("dlv.events")

QUEUE_SIZE = 256
RESYNC = "resync"


class Event(msgspec.Struct, frozen=True):
    """A compact change notice: what changed and the ids; clients re-read details if they need them."""

    type: str
    data: dict[str, Any]


class Subscription:
    def __init__(self, size: int) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=size)
        self.dropped = 0

    def offer(self, event: Event) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # What is queued is stale once part of it is lost: replace it with one resync hint.
            self.dropped += 1
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(Event(type=RESYNC, data={"reason": "the client fell behind; reload"}))

    async def next(self) -> Event:
        return await self.queue.get()


class EventBroker:
    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self.queue_size = queue_size
        self.subscriptions: set[Subscription] = set()

    def subscribe(self) -> Subscription:
        subscription = Subscription(self.queue_size)
        self.subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self.subscriptions.discard(subscription)

    def publish(self, event: Event) -> None:
        """Never blocks and never raises: a notice must not fail the write it reports."""
        for subscription in list(self.subscriptions):
            subscription.offer(event)


def publish_node_status(broker: EventBroker | None, node: Node, previous: str) -> None:
    """Tell subscribers a node's status changed (a check that confirms the status is no news)."""
    if broker is None or node.status == previous:
        return
    broker.publish(
        Event(
            type="node.status",
            data={"node_id": str(node.id), "name": node.name, "status": node.status, "previous": previous, "message": node.status_message},
        )
    )
