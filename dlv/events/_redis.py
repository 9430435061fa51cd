"""Fan-out over Redis pub/sub (``DLV_REDIS_URL``): several API processes share events.

Each process delivers its own events to its local subscribers at once and also publishes them
to one channel; a reader task relays what other processes publish to the local subscribers
(messages carry the publishing broker's ``origin``, so a process never delivers its own event
twice). Writers never wait for Redis: events go through a bounded outbox that a writer task
drains; when Redis is away, events are dropped from it (logged) and, once the relay is back,
every local subscriber gets ``resync`` because it may have missed changes made elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec
import redis.asyncio as redis
from litestar import Litestar

from dlv.events._broker import Event, EventBroker

logger = logging.getLogger("dlv.events.redis")

CHANNEL = "dlv:events"
OUTBOX_SIZE = 1024
RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)
# How long start-up waits for the first subscription before going on without it (the reader
# keeps trying in the background).
READY_SECONDS = 5.0


class _WireEvent(msgspec.Struct, frozen=True):
    origin: str
    type: str
    data: dict


class RedisRelay:
    def __init__(self, broker: EventBroker, url: str, channel: str = CHANNEL, outbox_size: int = OUTBOX_SIZE) -> None:
        self.broker = broker
        self.url = url
        self.channel = channel
        self.outbox: asyncio.Queue[bytes] = asyncio.Queue(maxsize=outbox_size)
        self.dropped = 0
        self.subscribed = asyncio.Event()
        self._client: redis.Redis | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # Called by EventBroker.publish: never blocks, never raises.
    def send(self, event: Event) -> None:
        message = msgspec.json.encode(_WireEvent(origin=self.broker.origin, type=event.type, data=event.data))
        try:
            self.outbox.put_nowait(message)
        except asyncio.QueueFull:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                logger.warning("the Redis event outbox is full; %d event(s) not shared with other processes", self.dropped)

    async def start(self) -> None:
        # The health check pings an idle subscription, so a silently dead connection is noticed.
        self._client = redis.from_url(self.url, health_check_interval=30)
        self._tasks = [
            asyncio.create_task(self._read(), name="dlv-events-redis-reader"),
            asyncio.create_task(self._write(), name="dlv-events-redis-writer"),
        ]
        try:
            await asyncio.wait_for(self.subscribed.wait(), READY_SECONDS)
        except TimeoutError:
            logger.error("could not subscribe to Redis at start-up; events stay in this process until it can")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _write(self) -> None:
        assert self._client is not None
        failures = 0
        while True:
            message = await self.outbox.get()
            try:
                await self._client.publish(self.channel, message)
                failures = 0
            except (redis.RedisError, OSError) as exc:
                # Dropped: this process's own subscribers have it, the others get resync later.
                failures += 1
                logger.warning("could not publish an event to Redis (%s)", exc)
                await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS)) - 1])

    async def _read(self) -> None:
        assert self._client is not None
        failures = 0
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=False)
            try:
                await pubsub.subscribe(self.channel)
                async for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        if failures:  # back after a gap: what happened meanwhile elsewhere is unknown
                            logger.info("subscribed to Redis again")
                            self.broker.resync("live events were interrupted; reload")
                        failures = 0
                        self.subscribed.set()
                    elif message["type"] == "message":
                        self._relay(message["data"])
            except asyncio.CancelledError:
                raise
            except (redis.RedisError, OSError) as exc:
                failures += 1
                self.subscribed.clear()
                if failures == 1:
                    logger.warning("lost the Redis event subscription (%s); retrying", exc)
                await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS)) - 1])
            finally:
                try:
                    await pubsub.aclose()
                except Exception:  # the connection is already gone
                    pass

    def _relay(self, raw: bytes) -> None:
        try:
            wire = msgspec.json.decode(raw, type=_WireEvent)
        except msgspec.DecodeError:
            logger.warning("ignored a malformed message on Redis channel %s", self.channel)
            return
        if wire.origin != self.broker.origin:
            self.broker.deliver(Event(type=wire.type, data=wire.data))


@asynccontextmanager
async def redis_events(app: Litestar) -> AsyncIterator[None]:
    """App lifespan: share ``app.state.events`` over ``DLV_REDIS_URL`` while the app runs."""
    broker: EventBroker = app.state.events
    relay = RedisRelay(broker, app.state.settings.redis_url)
    broker.relay = relay
    await relay.start()
    try:
        yield
    finally:
        broker.relay = None
        await relay.stop()
