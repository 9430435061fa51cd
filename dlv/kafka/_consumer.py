"""A consumer-group member that feeds OpenLineage events from Kafka into the process's
``IngestWriter``, the one write path HTTP ingestion uses.

At least once: a poll's offsets are committed only after every event of it was committed in
the database (or sent to the dead-letter topic). A consumer killed before that gets the same
messages again after its restart (or another member does); an event stored already is
recognised by its hash and changes nothing.

A message DLV refuses (not JSON, not an OpenLineage event, an event the mapping rejects, as
the HTTP API would answer 4xx) goes to the dead-letter topic unchanged, the reason in its
headers, and consumption goes on. While the database is unreachable nothing is refused:
the poll's events are retried with backoff and no offset moves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import OffsetAndMetadata
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from dlv.config import Settings
from dlv.kafka._client import connection_options, dead_letter_topic
from dlv.lib.exceptions import DLVError
from dlv.observability import Metrics
from dlv.openlineage import IngestWriter, ParsedEvent, parse_event

logger = logging.getLogger("dlv.kafka")

try:  # raised unwrapped while asyncpg (re)connects
    from asyncpg.exceptions import InterfaceError, OperatorInterventionError, PostgresConnectionError

    _DRIVER_CONNECTION_ERRORS: tuple[type[Exception], ...] = (PostgresConnectionError, OperatorInterventionError, InterfaceError)
except ImportError:  # pragma: no cover - SQLite-only installs
    _DRIVER_CONNECTION_ERRORS = ()

# Records per poll: enough to fill the writer's batches (64 events a transaction) several times.
MAX_RECORDS = 500
# An event whose error is not a refusal, while the database answers, is tried this often
# before it is dead-lettered (a bug must not stop a partition for good).
MAX_ATTEMPTS = 3
BACKOFF_START, BACKOFF_MAX = 0.5, 30.0
ERROR_HEADER = "dlv-error"


@dataclass
class _Message:
    record: ConsumerRecord
    parsed: ParsedEvent | None = None
    error: str | None = None  # why it is dead-lettered
    attempts: int = 0
    done: bool = False


class KafkaIngest:
    """Run with ``await KafkaIngest(settings, writer, metrics, database_up).run(stop)``;
    ``database_up`` answers whether the database can be reached now."""

    def __init__(self, settings: Settings, writer: IngestWriter, metrics: Metrics, database_up: Callable[[], Awaitable[bool]]) -> None:
        self.settings = settings
        self.writer = writer
        self.metrics = metrics
        self.database_up = database_up
        options = connection_options(settings)
        self.consumer = AIOKafkaConsumer(
            settings.kafka_topic, group_id=settings.kafka_group_id, enable_auto_commit=False, auto_offset_reset="earliest",
            max_poll_records=MAX_RECORDS, client_id="dlv", **options,
        )
        self.producer = AIOKafkaProducer(client_id="dlv-dead-letters", acks="all", **options)
        self._measured: set[TopicPartition] = set()  # the partitions whose lag this consumer reports

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; the poll in hand is finished and committed first."""
        try:
            await self.producer.start()
            await self.consumer.start()
            logger.info("consuming OpenLineage events from Kafka topic %s as group %s", self.settings.kafka_topic, self.settings.kafka_group_id)
            while not stop.is_set():
                polled = await self.consumer.getmany(timeout_ms=500, max_records=MAX_RECORDS)
                if polled:
                    await self._handle([record for records in polled.values() for record in records], stop)
                await self._measure_lag()
        finally:
            await self.consumer.stop()  # leaves the group: its partitions move to the other members now
            await self.producer.stop()

    async def _handle(self, records: list[ConsumerRecord], stop: asyncio.Event) -> None:
        messages = [_parse(record) for record in records]
        await self._apply(messages, stop)
        if not all(message.done for message in messages):
            return  # stopped while the database was away: nothing is committed
        await self._dead_letter([message for message in messages if message.error is not None])
        await self._commit(records)

    async def _apply(self, messages: list[_Message], stop: asyncio.Event) -> None:
        """Submit every parsed event together (the writer batches them); retry those that
        failed otherwise than by a refusal, with backoff, until they are applied."""
        backoff = BACKOFF_START
        pending = interleave_jobs([message for message in messages if message.error is None])
        for message in messages:
            message.done = message.error is not None
        while pending:
            failures = await asyncio.gather(*(self._submit(message) for message in pending))
            failed = [(message, exc) for message, exc in zip(pending, failures) if exc is not None]
            if not failed:
                break
            if not all(map(_unavailable, (exc for _, exc in failed))) and await self.database_up():
                self._count_attempts([(message, exc) for message, exc in failed if not _unavailable(exc)])
            else:
                self.metrics.kafka_waiting.set(1)
                logger.warning("the database is unavailable (%s); retrying %d Kafka events in %.1f s", type(failed[0][1]).__name__, len(failed), backoff)
            pending = [message for message, _ in failed if not message.done]
            if pending and not stop.is_set():
                await _sleep(backoff, stop)
                backoff = min(backoff * 2, BACKOFF_MAX)
            if stop.is_set():
                return
        self.metrics.kafka_waiting.set(0)

    async def _submit(self, message: _Message) -> BaseException | None:
        assert message.parsed is not None
        try:
            stored = await self.writer.submit(message.parsed)
        except DLVError as exc:
            if exc.status_code >= 500:
                return exc
            message.error, message.done = str(exc.detail), True
            return None
        except Exception as exc:  # noqa: BLE001 - an outage or a bug: the caller tells which
            return exc
        message.done = True
        self.metrics.kafka_messages.labels(outcome="stored" if stored else "duplicate").inc()
        return None

    @staticmethod
    def _count_attempts(failed: list[tuple[_Message, BaseException]]) -> None:
        for message, exc in failed:
            message.attempts += 1
            logger.warning("a Kafka event failed with the database up (%s), attempt %d of %d", type(exc).__name__, message.attempts, MAX_ATTEMPTS)
            if message.attempts >= MAX_ATTEMPTS:
                message.error = f"DLV could not apply the event ({type(exc).__name__}); the server log has the details."
                message.done = True

    async def _dead_letter(self, messages: list[_Message]) -> None:
        """Each refused message, unchanged, to the dead-letter topic; acknowledged by the
        brokers before the offsets move. The reason goes in headers, so the value can be
        sent back to the main topic as it is once fixed."""
        topic = dead_letter_topic(self.settings)
        sent = []
        for message in messages:
            record = message.record
            headers = [
                (ERROR_HEADER, (message.error or "").encode()),
                ("dlv-source", f"{record.topic}/{record.partition}/{record.offset}".encode()),
                *(record.headers or ()),
            ]
            sent.append(await self.producer.send(topic, value=record.value, key=record.key, headers=headers))
            logger.warning("dead-lettered Kafka message %s/%d/%d: %s", record.topic, record.partition, record.offset, message.error)
        if sent:
            await asyncio.gather(*sent)
            self.metrics.kafka_messages.labels(outcome="dead_lettered").inc(len(sent))

    async def _commit(self, records: list[ConsumerRecord]) -> None:
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        for record in records:
            offsets[TopicPartition(record.topic, record.partition)] = OffsetAndMetadata(record.offset + 1, "")
        try:
            await self.consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # The group rebalanced meanwhile: the partition's new owner consumes these
            # messages again, and their events are recognised as stored.
            logger.warning("could not commit Kafka offsets (%s); their messages will be consumed again", type(exc).__name__)

    async def _measure_lag(self) -> None:
        """Per owned partition: its end offset minus this consumer's position, which after
        a commit is the committed offset (every polled record is handled before the next poll)."""
        owned = self.consumer.assignment()
        for gone in self._measured - owned:  # another member reports those now
            self.metrics.kafka_lag.remove(gone.topic, str(gone.partition))
        self._measured = set()
        for partition in owned:
            end = self.consumer.highwater(partition)
            if end is None:  # nothing fetched from it yet
                continue
            position = await self.consumer.position(partition)
            self.metrics.kafka_lag.labels(topic=partition.topic, partition=str(partition.partition)).set(max(end - position, 0))
            self._measured.add(partition)


def interleave_jobs(messages: list[_Message]) -> list[_Message]:
    """The first event of every job, then the second of every job, and so on: each job's
    events stay in order (all Kafka promises is a partition's order anyway), and a batch of
    the writer holds many jobs rather than a few jobs' consecutive runs, which ``BatchMapper``
    would apply in as many rounds."""
    by_job: dict[tuple[str, str], list[_Message]] = {}
    for message in messages:
        assert message.parsed is not None
        event = message.parsed.event
        subject = getattr(event, "job", None) or getattr(event, "dataset")
        by_job.setdefault((subject.namespace, subject.name), []).append(message)
    queues = list(by_job.values())
    return [queue[index] for index in range(max(map(len, queues), default=0)) for queue in queues if index < len(queue)]


def _unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be used right now (down, restarting, locked,
    its pool exhausted) rather than anything about the event: then the event waits."""
    if isinstance(exc, (OperationalError, PoolTimeout, OSError)) or _DRIVER_CONNECTION_ERRORS and isinstance(exc, _DRIVER_CONNECTION_ERRORS):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _parse(record: ConsumerRecord) -> _Message:
    message = _Message(record)
    if record.value is None:
        message.error = "The message has no value: send one OpenLineage event as JSON per message."
        return message
    try:
        message.parsed = parse_event(record.value)
    except DLVError as exc:
        message.error = str(exc.detail)
    return message


async def _sleep(seconds: float, stop: asyncio.Event) -> None:
    """Sleep, or less when ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
