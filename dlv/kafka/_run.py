"""Running the consumer: in ``dlv consume kafka`` (a process of its own) or as a task of
``dlv serve`` (``DLV_KAFKA_CONSUME=true``), restarted after failures until asked to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from types import SimpleNamespace

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar import Litestar
from sqlalchemy import text

from dlv.config import Settings
from dlv.events import EventBroker, redis_events
from dlv.kafka._consumer import BACKOFF_MAX, KafkaIngest
from dlv.observability import Metrics
from dlv.openlineage import IngestWriter

logger = logging.getLogger("dlv.kafka")


def database_probe(alchemy: SQLAlchemyAsyncConfig) -> Callable[[], Awaitable[bool]]:
    """Whether the database answers now: what tells an outage from an event's own failure."""

    async def database_up() -> bool:
        try:
            async with alchemy.get_engine().connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means: not now
            return False
        return True

    return database_up


async def consume_until(stop: asyncio.Event, settings: Settings, writer: IngestWriter, metrics: Metrics, alchemy: SQLAlchemyAsyncConfig) -> None:
    """Consume until ``stop``; a consumer that fails (brokers unreachable, say) starts again
    after a pause growing to 30 s. Its uncommitted poll is consumed again: nothing is lost."""
    pause = 1.0
    while not stop.is_set():
        try:
            await KafkaIngest(settings, writer, metrics, database_probe(alchemy)).run(stop)
        except Exception as exc:  # noqa: BLE001 - logged, then retried
            logger.warning("the Kafka consumer stopped (%s: %s); starting again in %.0f s", type(exc).__name__, exc, pause)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)
            pause = min(pause * 2, BACKOFF_MAX)


async def consume_standalone(settings: Settings, stop: asyncio.Event, metrics: Metrics, alchemy: SQLAlchemyAsyncConfig) -> None:
    """``dlv consume kafka``: the consumer with a writer of its own on ``alchemy`` (the app's
    database configuration). With DLV_REDIS_URL, what it changes is announced to the API
    processes' live views."""
    events = EventBroker()
    writer = IngestWriter(alchemy, events)
    try:
        if settings.redis_url:
            # redis_events is an app lifespan; it reads only these two.
            async with redis_events(SimpleNamespace(state=SimpleNamespace(events=events, settings=settings))):  # type: ignore[arg-type]
                await consume_until(stop, settings, writer, metrics, alchemy)
        else:
            await consume_until(stop, settings, writer, metrics, alchemy)
    finally:
        await alchemy.get_engine().dispose()


@contextlib.asynccontextmanager
async def kafka_lifespan(app: Litestar) -> AsyncIterator[None]:
    """``dlv serve`` with DLV_KAFKA_CONSUME: a consumer in each worker, feeding the app's writer."""
    state = app.state
    stop = asyncio.Event()
    task = asyncio.create_task(consume_until(stop, state.settings, state.ingest_writer, state.metrics, state.alchemy))
    try:
        yield
    finally:
        stop.set()
        await task
