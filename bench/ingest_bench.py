"""OpenLineage ingestion throughput on PostgreSQL, against a raw asyncpg floor of the same rows.

    .venv/bin/python bench/ingest_bench.py [--events 4000] [--jobs 64] [--concurrency 8,16,32] [--workers 2] [--write]

What runs: a PostgreSQL cluster started here (tests/services/postgres.py), migrated; DLV served
by uvicorn in a subprocess on loopback (``--workers`` processes), and this process posting
Spark-sized RunEvents (START + COMPLETE per run, 3 inputs, 1 output with a 20-column schema and
column lineage, Spark run facets; ~13 KB each) over HTTP with an ingest token, ``--concurrency``
requests in flight. Runs of one job are sent in order (as a scheduler would), different jobs in
parallel. The floor writes the rows one event produces (raw log, process, assets, run, edges)
with plain asyncpg statements, one transaction per event, same concurrency, into a second
database migrated the same way. Everything (client, server, PostgreSQL) shares this machine.
Results go to stdout and, with --write, to bench/RESULTS.md under "## OpenLineage ingestion".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlv.db.migrate import upgrade  # noqa: E402
from tests.services.postgres import PostgresServer, free_port  # noqa: E402

NAMESPACE = "hdfs://namenode:8020"
FIELDS = [f"col_{index:02d}" for index in range(20)]
SECTION = "## OpenLineage ingestion"
# Events per client stream sent before timing starts: fills the connection pool and each
# connection's prepared-statement cache, so the figure is the sustained rate.
WARM_UP = 20


def spark_event(job: int, run: int, event_type: str, when: datetime) -> dict:
    inputs = [f"/warehouse/raw/source_{(job + offset) % 40}" for offset in range(3)]
    output = f"/warehouse/mart/job_{job}_out"
    schema = {"fields": [{"name": name, "type": "string"} for name in FIELDS]}
    column_lineage = {
        "fields": {
            name: {
                "inputFields": [
                    {"namespace": NAMESPACE, "name": inputs[i % 3], "field": name,
                     "transformations": [{"type": "DIRECT", "subtype": "IDENTITY", "description": "", "masking": False}]}
                    for i in range(2)
                ]
            }
            for name in FIELDS
        }
    }
    return {
        "eventType": event_type,
        "eventTime": when.isoformat().replace("+00:00", "Z"),
        "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.23.0/integration/spark",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {
            "runId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"run-{job}-{run}")),
            "facets": {
                "parent": {"run": {"runId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"app-{job}-{run}"))},
                           "job": {"namespace": "spark", "name": f"app_{job}"}},
                "processing_engine": {"version": "3.5.1", "name": "spark", "openlineageAdapterVersion": "1.23.0"},
                "spark_properties": {"properties": {f"spark.conf.{i}": "x" * 40 for i in range(12)}},
            },
        },
        "job": {"namespace": "spark", "name": f"app_{job}.execute_insert_into_hadoop_fs_relation_command",
                "facets": {"sql": {"query": f"INSERT INTO mart.job_{job}_out SELECT * FROM raw"},
                           "jobType": {"processingType": "BATCH", "integration": "SPARK", "jobType": "SQL_JOB"}}},
        "inputs": [{"namespace": NAMESPACE, "name": name, "facets": {"schema": schema}} for name in inputs],
        "outputs": [{"namespace": NAMESPACE, "name": output, "facets": {"schema": schema, "columnLineage": column_lineage}}],
    }


def workload(events: int, jobs: int, concurrency: int) -> list[list[bytes]]:
    """One ordered stream of encoded events per client slot; a job's runs stay in one stream."""
    streams: list[list[bytes]] = [[] for _ in range(concurrency)]
    start = datetime(2024, 6, 1, tzinfo=timezone.utc)
    runs = events // 2
    for index in range(runs):
        job, run = index % jobs, index // jobs
        when = start + timedelta(minutes=10 * run)
        for event_type, offset in (("START", 0), ("COMPLETE", 5)):
            streams[job % concurrency].append(json.dumps(spark_event(job, run, event_type, when + timedelta(minutes=offset))).encode())
    return streams


async def drive(streams: list[list[bytes]], send) -> float:  # noqa: ANN001
    async def one(stream: list[bytes]) -> None:
        for body in stream:
            await send(body)

    began = time.perf_counter()
    await asyncio.gather(*(one(stream) for stream in streams))
    return time.perf_counter() - began


class Connection:
    """One keep-alive HTTP/1.1 connection, the leanest load generator asyncio allows: httpx
    spent more CPU per request (about 1.1 ms) than this whole client needs, on the two cores
    the server under test and PostgreSQL share with it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes) -> None:
        self.reader, self.writer, self.head = reader, writer, head

    @classmethod
    async def open(cls, port: int, token: str) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n".encode()
        return cls(reader, writer, head)

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        self.writer.write(f"{method} {path} HTTP/1.1\r\n".encode() + self.head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", head).group(1))
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def cpu_seconds() -> dict[str, float]:
    """CPU time (user + system) so far of DLV's processes, PostgreSQL's and this one."""
    totals = {"dlv": 0.0, "postgresql": 0.0, "client": 0.0}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # Own time plus that of exited children it reaped (utime, stime, cutime, cstime), so
        # a PostgreSQL backend that ends between two readings still counts, in the postmaster.
        used = sum(int(value) for value in fields[11:15]) / tick
        if entry.name == str(os.getpid()):
            totals["client"] += used
        elif "dlv.app:create_app" in command or "multiprocessing.spawn" in command:
            totals["dlv"] += used
        elif command.startswith("postgres"):
            totals["postgresql"] += used
    return totals


# With --alert-rules: enabled rules of every kind ingestion evaluates, matching everything and
# sending nowhere, so the figure is what evaluating them costs when nothing fires.
ALERT_RULES = ("run_failed", "schema_changed", "quality_failed")


async def add_alert_rules(url: str) -> None:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.executemany(
            "INSERT INTO alert_rules (id, name, enabled, kind, condition, scope, channel_ids, notify_downstream_owners, created_at, updated_at)"
            " VALUES ($1, $2, true, $3, $4::jsonb, '{}'::jsonb, '[]'::jsonb, true, now(), now())",
            [(uuid.uuid4(), f"bench {kind}", kind, json.dumps({"kind": kind})) for kind in ALERT_RULES],
        )
    finally:
        await connection.close()


async def run_dlv(server: PostgresServer, streams: list[list[bytes]], workers: int, alert_rules: bool = False) -> tuple[float, dict[str, float]]:
    """Seconds for the measured events, and the CPU seconds each side spent on them."""
    url = server.create_database(f"bench_dlv_{len(streams)}")
    await asyncio.to_thread(upgrade, url, "heads")
    if alert_rules:
        await add_alert_rules(url)
    env = {**os.environ, "DLV_DATABASE_URL": url, "DLV_SECRET_KEY": "b" * 48, "DLV_DATA_DIR": str(server.workdir), "DLV_LOG_LEVEL": "WARNING"}
    token = subprocess.run([sys.executable, "-m", "dlv.cli", "token", "create", "bench"], env=env, capture_output=True, text=True, check=True).stdout.strip()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "dlv.app:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        env=env, cwd=ROOT,
    )
    connections: list[Connection] = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for _ in range(200):
                try:
                    if (await client.get("/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        # One connection per client stream, opened one at a time: opened together, they would
        # all be accepted by whichever worker woke first (its accept loop takes every pending
        # connection), leaving the other workers idle.
        for _ in streams:
            connections.append(await Connection.open(port, token))
            await connections[-1].request("GET", "/health")
            await asyncio.sleep(0.05)
        free = list(connections)

        async def send(body: bytes) -> None:
            connection = free.pop()
            try:
                status, answer = await connection.request("POST", "/api/v1/lineage", body)
            finally:
                free.append(connection)
            if status != 201:
                raise RuntimeError(f"{status}: {answer[:300]!r}")

        await drive([stream[:WARM_UP] for stream in streams], send)  # warm-up: first runs of some jobs
        before = cpu_seconds()
        seconds = await drive([stream[WARM_UP:] for stream in streams], send)
        after = cpu_seconds()
        return seconds, {name: after[name] - before[name] for name in after}
    finally:
        for connection in connections:
            connection.close()
        process.terminate()
        process.wait(10)


async def run_floor(server: PostgresServer, streams: list[list[bytes]]) -> tuple[float, dict[str, float]]:
    """The same rows DLV writes per event, as plain INSERTs (upserts where DLV upserts)."""
    url = server.create_database(f"bench_floor_{len(streams)}")
    await asyncio.to_thread(upgrade, url, "heads")
    pool = await asyncpg.create_pool(url.replace("postgresql+asyncpg", "postgresql"), min_size=len(streams), max_size=len(streams))
    now = datetime.now(timezone.utc)

    def node_id(kind: str, namespace: str, name: str) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"{kind}:{namespace}/{name}")

    async def send(body: bytes) -> None:
        event = json.loads(body)
        job, run = event["job"], event["run"]
        process_id = node_id("p", job["namespace"], job["name"])
        datasets = [(d["namespace"], d["name"], d["facets"]["schema"]["fields"]) for d in event["inputs"] + event["outputs"]]
        async with pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "INSERT INTO lineage_events (id, event_hash, kind, event_type, event_time, received_at, run_id, job_namespace, job_name, producer, payload)"
                " VALUES ($1, $2, 'run', $3, $4, $5, $6, $7, $8, $9, $10::jsonb) ON CONFLICT (event_hash) DO NOTHING",
                uuid.uuid4(), uuid.uuid4().hex, event["eventType"], now, now, run["runId"], job["namespace"], job["name"], event["producer"], body.decode(),
            )
            await connection.execute(
                "INSERT INTO processes (id, namespace, name, kind, tags, sql, created_at, updated_at) VALUES ($1, $2, $3, 'sql_job', '[]', $4, $5, $5)"
                " ON CONFLICT (namespace, name) DO UPDATE SET last_run_state = $6, last_run_at = $5",
                process_id, job["namespace"], job["name"], job["facets"]["sql"]["query"], now, event["eventType"],
            )
            await connection.executemany(
                "INSERT INTO data_assets (id, namespace, name, kind, tags, fields, created_at, updated_at) VALUES ($1, $2, $3, 'file', '[]', $4::jsonb, $5, $5)"
                " ON CONFLICT DO NOTHING",
                [(node_id("a", namespace, name), namespace, name, json.dumps(fields), now) for namespace, name, fields in datasets],
            )
            await connection.execute(
                "INSERT INTO runs (id, process_id, run_id, state, started_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)"
                " ON CONFLICT (run_id) DO UPDATE SET state = $4, ended_at = $5, updated_at = $5",
                uuid.uuid4(), process_id, run["runId"], event["eventType"], now,
            )
            columns = json.dumps([{"source_field": f, "target_field": f} for f in FIELDS * 2])
            edges = [(node_id("a", ns, name), "asset", process_id, "process", "[]") for ns, name, _ in datasets[:-1]]
            edges.append((process_id, "process", node_id("a", *datasets[-1][:2]), "asset", columns))
            await connection.executemany(
                "INSERT INTO lineage_edges (id, source_id, source_type, target_id, target_type, origin, columns, valid_from, run_id)"
                " VALUES ($1, $2, $3, $4, $5, 'openlineage', $6::jsonb, $7, $8)"
                " ON CONFLICT (source_id, target_id) WHERE valid_to IS NULL DO UPDATE SET run_id = EXCLUDED.run_id",
                [(uuid.uuid4(), *edge, now, run["runId"]) for edge in edges],
            )

    try:
        await drive([stream[:WARM_UP] for stream in streams], send)
        before = cpu_seconds()
        seconds = await drive([stream[WARM_UP:] for stream in streams], send)
        after = cpu_seconds()
        return seconds, {name: after[name] - before[name] for name in after}
    finally:
        await pool.close()


NOTES = """How DLV gets there: each worker process has one writer (dlv/openlineage/_writer.py);
a request parses and validates its event, hands it over and waits. The writer applies
everything queued meanwhile in one transaction with a fixed number of statements
(dlv/openlineage/_batch.py: one lock statement, one query or executemany per table, the raw
events in one INSERT ... SELECT FROM unnest), on a connection it holds while events keep
coming, with array parameters so each statement stays one prepared statement; it lets the
event loop turn once before each batch, so requests whose bodies have arrived join it. An event whose
batch fails is applied again alone, so only it is refused. More requests in flight make bigger
batches, which is why DLV gains with concurrency while the floor (one transaction per event)
does not. Also measured on the way: Litestar runs plain-function guards and before_request
hooks in a worker thread (a thread hop per request, about a tenth of a worker's CPU), so
DLV's are coroutines; gc.freeze() after start-up took a fifth of a worker's CPU off the
garbage collector.
Where the cost goes: with few requests in flight per worker, batches are small (about 2
events at 8 in flight with 2 workers), so each event carries half a batch's fixed cost, about
12 round trips to PostgreSQL, each costing the client about 0.1 ms of CPU on this machine (the
floor's client spends 0.6 ms on its 7 statements per event). py-spy samples of a worker at 16
in flight: about 20% of its time in the HTTP path (uvicorn, Litestar, the middlewares), 6%
decoding and validating the event, 65% in the writer, much of that in the database driver.
Tried and not kept: a second writer per process (overlapping two batches) and more workers
than cores; both made batches smaller and gained nothing beyond the noise (about 10%).
Next, for the low-concurrency case: fewer round trips per batch, less Python per event in
the column-lineage mapping.
"""


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    memory = re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text())
    return (
        f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {model.group(1).strip() if model else platform.processor()}, "
        f"{int(memory.group(1)) / 1024 / 1024:.1f} GiB RAM, Python {platform.python_version()}"
    )


def write_results(text: str, heading: str = SECTION) -> None:
    """Replace only this benchmark's section of bench/RESULTS.md; other sections belong to other benchmarks."""
    path = ROOT / "bench" / "RESULTS.md"
    current = path.read_text() if path.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    section = f"{heading}\n\n{text.strip()}\n\n"
    path.write_text(pattern.sub(section, current) if pattern.search(current) else current.rstrip() + "\n\n" + section)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--jobs", type=int, default=64, help="jobs, spread evenly over the client streams when a multiple of each concurrency")
    parser.add_argument("--concurrency", default="8,16,32", help="requests in flight; a comma-separated list runs each")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    parser.add_argument("--alert-rules", action="store_true", help="enable alert rules that match every event but never fire")
    args = parser.parse_args()
    rows, sizes, measured_total = [], [], 0
    with PostgresServer() as server:
        for concurrency in (int(item) for item in args.concurrency.split(",")):
            streams = workload(args.events, args.jobs, concurrency)
            measured = sum(len(stream[WARM_UP:]) for stream in streams)
            sizes.append(sum(len(body) for stream in streams for body in stream) / sum(len(stream) for stream in streams))
            dlv_seconds, dlv_cpu = await run_dlv(server, streams, args.workers, args.alert_rules)
            floor_seconds, floor_cpu = await run_floor(server, streams)
            dlv_rate, floor_rate = measured / dlv_seconds, measured / floor_seconds
            dlv, floor = ({name: value * 1000 / measured for name, value in cpu.items()} for cpu in (dlv_cpu, floor_cpu))
            rows.append(
                f"| {concurrency} | {dlv_rate:,.0f} | {floor_rate:,.0f} | {dlv_rate / floor_rate:.0%} "
                f"| {dlv['dlv']:.2f} / {dlv['postgresql']:.2f} / {dlv['client']:.2f} | {floor['postgresql']:.2f} / {floor['client']:.2f} |"
            )
            measured_total = measured
            print(rows[-1], flush=True)
    report = (
        f"Machine: {machine()}.\n"
        f"Workload per row: {measured_total} measured events (after a warm-up of {WARM_UP} per client stream), {args.jobs} jobs, "
        f"START+COMPLETE per run, avg {sum(sizes) / len(sizes) / 1024:.1f} KB/event (3 inputs, 1 output, 20-column schema, 40 column "
        f"mappings), one keep-alive connection per client stream; DLV with {args.workers} uvicorn workers in a subprocess over loopback "
        "HTTP; PostgreSQL 15 (fsync off, as in the test cluster) and the load generator on the same machine. The floor writes the "
        "same rows with plain asyncpg statements, one transaction per event, at the same concurrency. CPU is user + system time "
        "per measured event.\n\n"
        "| in flight | DLV events/s | floor events/s | DLV / floor | DLV CPU ms/event: workers / PostgreSQL / load generator "
        "| floor CPU ms/event: PostgreSQL / client |\n|---|---|---|---|---|---|\n"
        + "\n".join(rows)
        + "\n\n"
        + NOTES
    )
    print(report)
    if args.write:
        write_results(report)


if __name__ == "__main__":
    asyncio.run(main())
