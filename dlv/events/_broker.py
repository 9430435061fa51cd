"""An in-process broadcaster: writers publish without ever waiting; each subscriber has a
bounded queue, and one that falls behind loses its backlog and gets a ``resync`` event
telling it to reload what it shows."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable
from typing import Any, Protocol
from uuid import UUID

import msgspec
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction, object_session

from dlv.db.models import Node

logger = logging.getLogger("dlv.events")

QUEUE_SIZE = 256
MAX_IDS = 100
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


class Relay(Protocol):
    def send(self, event: Event) -> None: ...


class EventBroker:
    """One per process. ``publish`` hands an event to this process's subscribers and, when a
    relay is attached (``DLV_REDIS_URL``), to the other processes; ``deliver`` is local only."""

    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self.queue_size = queue_size
        self.subscriptions: set[Subscription] = set()
        self.origin = uuid.uuid4().hex
        self.relay: Relay | None = None

    def subscribe(self) -> Subscription:
        subscription = Subscription(self.queue_size)
        self.subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self.subscriptions.discard(subscription)

    def publish(self, event: Event) -> None:
        """Never blocks and never raises: a notice must not fail the write it reports."""
        self.deliver(event)
        if self.relay is not None:
            self.relay.send(event)

    def deliver(self, event: Event) -> None:
        for subscription in list(self.subscriptions):
            subscription.offer(event)

    def resync(self, reason: str) -> None:
        """Tell every local subscriber to reload (events may have been missed)."""
        self.deliver(Event(type=RESYNC, data={"reason": reason}))


def publish_node_status(broker: EventBroker | None, node: Node, previous: str) -> None:
    """Tell subscribers a node's status changed (a check that confirms the status is no news);
    sent once the node's transaction commits (at once when it is not in one)."""
    if broker is None or node.status == previous:
        return
    publish_after_commit(
        broker,
        object_session(node),
        Event(
            type="node.status",
            data={"node_id": str(node.id), "name": node.name, "status": node.status, "previous": previous, "message": node.status_message},
        ),
    )


def publish_run_state(
    broker: EventBroker | None, session: AsyncSession | Session | None, process_id: UUID, run_id: str, state: str, previous: str | None
) -> None:
    """A run's state changed (``previous`` null: a new run)."""
    if broker is None or state == previous:
        return
    data = {"process_id": str(process_id), "run_id": str(run_id), "state": state, "previous": previous}
    publish_after_commit(broker, session, Event(type="run.state", data=data))


def publish_lineage_changed(
    broker: EventBroker | None,
    session: AsyncSession | Session | None,
    origin: str,
    *,
    asset_ids: Iterable[UUID] = (),
    process_ids: Iterable[UUID] = (),
    edges: int | None = None,
    complete: bool = True,
    **extra: Any,
) -> None:
    """Assets, processes or edges changed. The id lists hold at most ``MAX_IDS`` each;
    ``complete`` false says they do not name everything that changed (reload the view)."""
    if broker is None:
        return
    assets, processes = list(dict.fromkeys(map(str, asset_ids))), list(dict.fromkeys(map(str, process_ids)))
    complete = complete and len(assets) <= MAX_IDS and len(processes) <= MAX_IDS
    data = {
        "origin": origin,
        "asset_ids": assets[:MAX_IDS],
        "process_ids": processes[:MAX_IDS],
        "edges": edges,
        "complete": complete,
        **extra,
    }
    publish_after_commit(broker, session, Event(type="lineage.changed", data=data))


# Events wait in the session's ``info`` for its transaction: published by ``after_commit``,
# dropped when the outermost transaction ends without one (rollback). Readers therefore never
# hear of a change they cannot read yet, or of one that was rolled back.
_PENDING = "dlv.events.pending"


def publish_after_commit(broker: EventBroker, session: AsyncSession | Session | None, event: Event) -> None:
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    if sync is None or not sync.in_transaction():
        broker.publish(event)
        return
    sync.info.setdefault(_PENDING, []).append((broker, event))


@sa_event.listens_for(Session, "after_commit")
def _publish_pending(session: Session) -> None:
    for broker, event in session.info.pop(_PENDING, ()):
        broker.publish(event)


@sa_event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
