"""A real Kafka broker for the session; OpenLineage's own Kafka transport producing; helpers
to run DLV's consumer in this process and to read a topic back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import msgspec
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from confluent_kafka import Producer
from openlineage.client.transport.kafka import KafkaConfig, KafkaTransport

from dlv.app import alchemy_config
from dlv.config import Settings
from dlv.kafka import KafkaIngest, database_probe, group_progress
from dlv.observability import Metrics
from dlv.openlineage import IngestWriter
from tests.services.kafka import KafkaServer

PARTITIONS = 4


@pytest.fixture(scope="session")
def kafka_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaServer]:
    with KafkaServer(tmp_path_factory.mktemp("kafka"), partitions=PARTITIONS) as server:
        yield server


async def with_topic(settings: Settings, kafka_server: KafkaServer) -> Settings:
    """``settings`` with a new topic (4 partitions, and its dead-letter topic) and a consumer group of its own."""
    topic = f"openlineage-{uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_server.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, 1), NewTopic(f"{topic}.dlq", 1, 1)])
    finally:
        await admin.close()
    return msgspec.structs.replace(settings, kafka_bootstrap_servers=kafka_server.bootstrap_servers, kafka_topic=topic, kafka_group_id=f"dlv-{topic}")


@pytest.fixture
async def kafka_settings(settings: Settings, kafka_server: KafkaServer) -> Settings:
    return await with_topic(settings, kafka_server)


class KeyedTransport(KafkaTransport):
    """OpenLineage's KafkaTransport, given the events as the JSON producers sent (the corpus)
    rather than client objects: keyed as the client keys its own events, so a job's events
    share a partition and keep their order."""

    def _get_message_key(self, event: Any) -> str | None:
        if isinstance(event, dict) and "job" in event:
            parent = ((event.get("run") or {}).get("facets") or {}).get("parent") or {}
            job = (parent.get("root") or {}).get("job") or parent.get("job") or event["job"]
            return f"run:{job['namespace']}/{job['name']}"
        return super()._get_message_key(event)


def produce(settings: Settings, events: list[dict[str, Any]]) -> None:
    transport = KeyedTransport(KafkaConfig(config={"bootstrap.servers": settings.kafka_bootstrap_servers or ""}, topic=settings.kafka_topic, flush=False))
    for event in events:
        transport.emit(event)  # type: ignore[arg-type]
    assert transport.producer is not None and transport.producer.flush(30) == 0


def produce_raw(settings: Settings, values: list[bytes]) -> None:
    """Messages no OpenLineage client would send (what a broken producer writes)."""
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap_servers})
    for value in values:
        producer.produce(settings.kafka_topic, value=value, key=b"broken")
    assert producer.flush(30) == 0


async def read_topic(settings: Settings, topic: str, count: int, timeout: float = 30) -> list[Any]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.kafka_bootstrap_servers, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    found: list[Any] = []
    try:
        deadline = time.monotonic() + timeout
        while len(found) < count and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found.extend(records)
    finally:
        await consumer.stop()
    return found


async def committed_everything(settings: Settings, expected: int) -> bool:
    """Whether the group committed every message of the topic, and the topic holds ``expected``."""
    progress = await group_progress(settings)
    return sum(item.end for item in progress) == expected and all(item.lag == 0 for item in progress)


async def wait_for(condition: Callable[[], Awaitable[bool]], timeout: float = 90, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.3)


class Running:
    def __init__(self, ingest: KafkaIngest, metrics: Metrics) -> None:
        self.ingest, self.metrics = ingest, metrics

    def counted(self, outcome: str) -> float:
        return self.metrics.registry.get_sample_value("dlv_kafka_messages_total", {"outcome": outcome}) or 0.0


@contextlib.asynccontextmanager
async def consumer(settings: Settings) -> AsyncIterator[Running]:
    """DLV's consumer in this process, with its own writer and engine as `dlv consume kafka` has."""
    metrics = Metrics()
    alchemy = alchemy_config(settings, metrics)
    ingest = KafkaIngest(settings, IngestWriter(alchemy), metrics, database_probe(alchemy))
    stop = asyncio.Event()
    task = asyncio.create_task(ingest.run(stop))
    try:
        yield Running(ingest, metrics)
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
        await alchemy.get_engine().dispose()


def as_json(events: list[dict[str, Any]]) -> list[bytes]:
    return [json.dumps(event).encode() for event in events]


def repository_root() -> Path:
    return Path(__file__).resolve().parents[3]
