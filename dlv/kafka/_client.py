"""How DLV connects to Kafka (settings to aiokafka options), and the group's progress per
partition for ``dlv consume status``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupCoordinatorNotAvailableError
from aiokafka.helpers import create_ssl_context

from dlv.config import Settings


def dead_letter_topic(settings: Settings) -> str:
    return settings.kafka_dead_letter_topic or f"{settings.kafka_topic}.dlq"


def connection_options(settings: Settings) -> dict[str, Any]:
    """Brokers, TLS and SASL, the same for the consumer, the dead-letter producer and the admin client."""
    options: dict[str, Any] = {
        "bootstrap_servers": [server.strip() for server in (settings.kafka_bootstrap_servers or "").split(",") if server.strip()],
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = create_ssl_context(cafile=settings.kafka_ssl_cafile)
    if settings.kafka_security_protocol.startswith("SASL_"):
        options.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password,
        )
    return options


@dataclass(frozen=True)
class PartitionProgress:
    partition: int
    committed: int | None  # None: the group has committed nothing on it yet
    end: int

    @property
    def lag(self) -> int:
        return self.end - (self.committed or 0)


async def _committed(admin: AIOKafkaAdminClient, group_id: str, partitions: list[TopicPartition]) -> dict[TopicPartition, Any]:
    """The group's committed offsets; the brokers answer "no coordinator" for a few seconds
    after their start (while they create their offsets topic), so that is asked again."""
    for attempt in range(20):
        try:
            return await admin.list_consumer_group_offsets(group_id, partitions=partitions)
        except GroupCoordinatorNotAvailableError:
            if attempt == 19:
                raise
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


async def group_progress(settings: Settings) -> list[PartitionProgress]:
    """The consumer group's committed offset, the end offset and the lag of every partition
    of the topic (read from the brokers; no member of the group is needed)."""
    options = connection_options(settings)
    consumer = AIOKafkaConsumer(client_id="dlv-status", **options)
    admin = AIOKafkaAdminClient(client_id="dlv-status", **options)
    try:
        await consumer.start()
        await admin.start()
        # All topics: asking for one by name could create it on brokers that auto-create.
        described = [found for found in await admin.describe_topics() if found.get("topic") == settings.kafka_topic]
        numbers = sorted(partition["partition"] for found in described for partition in found["partitions"])
        partitions = [TopicPartition(settings.kafka_topic, number) for number in numbers]
        if not partitions:
            return []
        ends = await consumer.end_offsets(partitions)
        committed = await _committed(admin, settings.kafka_group_id, partitions)
    finally:
        await admin.close()
        await consumer.stop()
    offsets = {partition: found.offset for partition, found in committed.items() if found.offset >= 0}
    return [PartitionProgress(partition.partition, offsets.get(partition), ends[partition]) for partition in partitions]
