"""OpenLineage through Kafka: events/s `dlv consume kafka` stores with one and two consumers,
against DLV's HTTP ingestion on the same events.

    .venv/bin/python bench/kafka_bench.py [--events 4000] [--jobs 64] [--partitions 4] [--write]

What runs: a PostgreSQL cluster (tests/services/postgres.py) and a one-node Kafka broker
(tests/services/kafka.py, KRaft, -Xmx512m) started here. For each row a fresh database and
topic; the events (bench/ingest_bench.py's Spark-sized RunEvents, START + COMPLETE per run,
keyed by job so a job's events share a partition, as OpenLineage's Kafka transport keys them):
a warm-up (the first events of each stream, as the HTTP measurement's) is produced, N
`dlv consume kafka` processes start in one consumer group and store it, and once the group
has settled the measured events are produced while the consumers consume them. The rate is
measured events over the time from the start of that production to the last event stored
(start-up and group join excluded).
The HTTP row is bench/ingest_bench.py's measurement of the same events (uvicorn, 2 workers,
32 requests in flight). Everything (broker, consumers, PostgreSQL, load generator) shares
this machine; the 1-minute load average before each row says how quiet it was.
Results go to stdout and, with --write, to bench/RESULTS.md under "## OpenLineage from Kafka".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from confluent_kafka import Producer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest_bench import WARM_UP, machine, run_dlv, workload, write_results  # noqa: E402
from dlv.db.migrate import upgrade  # noqa: E402
from tests.services.kafka import KafkaServer  # noqa: E402
from tests.services.postgres import PostgresServer  # noqa: E402
from tests.services.processes import stop  # noqa: E402

SECTION = "## OpenLineage from Kafka"
HTTP_CONCURRENCY, HTTP_WORKERS = 32, 2

NOTES = """
Not a quiet machine: other work kept the load average at 6-9 on the 2 cores during every row
(the ingestion section above measured HTTP at 695-777 events/s when it was quiet), so compare
the rows with each other, not with that figure. The two earlier 4,000-event runs of the same
hour gave one consumer 159 and 128, two consumers 120 and 116, HTTP 169 and 202 events/s (the
first of them with the whole backlog produced before the consumers started): through Kafka
DLV stored 0.5 to 0.9 of what HTTP stored, and a second consumer process helped little or
not at all on 2 busy cores. Where a consumer's time went (cProfile of one consumer in-process,
about 105 events/s while profiled): about 30% waiting in epoll (PostgreSQL and Kafka round
trips), 2.2 ms of CPU per event decoding and checking it (msgspec; HTTP pays the same), the
rest in the writer, as over HTTP. The broker's JVM shares the 2 cores in the Kafka rows and
idles in the HTTP row. Tried and not kept: parsing a poll in chunks of the writer's batch
size so the database applies one chunk while the next is parsed (115 against 124 events/s,
within the noise). Kept: a poll's events are handed to the writer one job after the other in
turn rather than in partition order, so a writer batch spans many jobs (one BatchMapper round
instead of several): 125 then 234 events/s for one consumer (1,200 events, one run each,
load 7 and 10). Not reproduced here: data-rentgen's 550-650 events/s per consumer (another server, another machine).
"""


async def create_topic(kafka: KafkaServer, topic: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        await admin.close()


def produce(kafka: KafkaServer, topic: str, events: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": kafka.bootstrap_servers, "linger.ms": 20})
    for body in events:
        producer.produce(topic, value=body, key=json.loads(body)["job"]["name"].encode())
        producer.poll(0)
    assert producer.flush(60) == 0


async def run_kafka(server: PostgresServer, kafka: KafkaServer, streams: list[list[bytes]], consumers: int, partitions: int) -> tuple[float, float]:
    """Events/s stored while the measured events are produced and consumed, and the load average before."""
    url = server.create_database(f"bench_kafka_{consumers}")
    await asyncio.to_thread(upgrade, url, "heads")
    topic = f"bench-{consumers}-{int(time.time())}"
    await create_topic(kafka, topic, partitions)
    warm, measured = [body for stream in streams for body in stream[:WARM_UP]], [body for stream in streams for body in stream[WARM_UP:]]
    produce(kafka, topic, warm)
    env = {
        **os.environ, "DLV_DATABASE_URL": url, "DLV_SECRET_KEY": "b" * 48, "DLV_DATA_DIR": str(server.workdir), "DLV_LOG_LEVEL": "WARNING",
        "DLV_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers, "DLV_KAFKA_TOPIC": topic, "DLV_KAFKA_GROUP_ID": topic,
    }
    # The event log's size, on one connection: lighter on the 2 cores than asking the brokers.
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    processes = [subprocess.Popen([sys.executable, "-m", "dlv.cli", "consume", "kafka"], env=env, cwd=ROOT) for _ in range(consumers)]
    try:
        await stored_at_least(connection, len(warm))
        await asyncio.sleep(5)  # every consumer has joined and the group has settled
        load, began = os.getloadavg()[0], time.perf_counter()
        producing = asyncio.create_task(asyncio.to_thread(produce, kafka, topic, measured))
        await stored_at_least(connection, len(warm) + len(measured))
        await producing
        return len(measured) / (time.perf_counter() - began), load
    finally:
        await connection.close()
        for process in processes:
            stop(process)


async def stored_at_least(connection: asyncpg.Connection, count: int) -> None:
    while await connection.fetchval("SELECT count(*) FROM lineage_events") < count:
        await asyncio.sleep(0.2)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--jobs", type=int, default=64)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    streams = workload(args.events, args.jobs, HTTP_CONCURRENCY)
    events = [body for stream in streams for body in stream]
    rows = []
    with PostgresServer() as server, KafkaServer(Path(tempfile.mkdtemp(prefix="dlv-kafka-bench-")), partitions=args.partitions) as kafka:
        for consumers in (1, 2):
            rate, load = await run_kafka(server, kafka, streams, consumers, args.partitions)
            rows.append(f"| Kafka, {consumers} `dlv consume kafka` process{'es' if consumers > 1 else ''} | {rate:,.0f} | {load:.2f} |")
            print(rows[-1], flush=True)
        load = os.getloadavg()[0]
        seconds, _ = await run_dlv(server, streams, HTTP_WORKERS)
        measured = sum(len(stream[WARM_UP:]) for stream in streams)
        rows.append(f"| HTTP, {HTTP_WORKERS} uvicorn workers, {HTTP_CONCURRENCY} requests in flight | {measured / seconds:,.0f} | {load:.2f} |")
        print(rows[-1], flush=True)
    size = sum(len(body) for body in events) / len(events) / 1024
    report = (
        f"Machine: {machine()}.\n"
        f"Workload: {len(events)} events ({args.jobs} jobs, START+COMPLETE per run, avg {size:.1f} KB/event, bench/ingest_bench.py's "
        f"generator) in a {args.partitions}-partition topic on a one-node Kafka 4.1 (KRaft, -Xmx512m, serial GC), keyed by job; "
        "PostgreSQL 15 (fsync off) on the same machine. Kafka rows: a warm-up (the first "
        f"{WARM_UP} events of each of "
        f"{HTTP_CONCURRENCY} streams) consumed and the group settled, then the measured events produced while the consumers consume them; "
        "events/s from the start of production to the last event stored. HTTP row: bench/ingest_bench.py's measurement of the same "
        "events after the same warm-up. "
        "Load average: 1 minute, read just before the row ran.\n\n"
        "| path | events/s | load average before |\n|---|---|---|\n" + "\n".join(rows) + "\n" + NOTES
    )
    print(report)
    if args.write:
        write_results(report, SECTION)


if __name__ == "__main__":
    asyncio.run(main())
