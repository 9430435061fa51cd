"""Traversal benchmark: the same generated graph in SQLite and PostgreSQL (and Neo4j when
asked), queried through the store directly and through HTTP, against an in-memory floor.

    .venv/bin/python bench/traversal_bench.py --nodes 100000
    .venv/bin/python bench/traversal_bench.py --nodes 1000000 --stores postgresql --write-results

Reports p50/p95 latency of depth 3, 5 and 10 traversals downstream and upstream, and the
ratios store/floor and HTTP/store. Starts come from the upper layers for downstream and
from the lower layers for upstream, so every query has real work to do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import msgspec
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from lineage_graph import ASSET, InMemoryFloor, LineageGraph, edge_uuid, generate, node_uuid  # noqa: E402

from dlv.db.migrate import upgrade  # noqa: E402
from tests.services.postgres import PostgresServer, free_port  # noqa: E402

DEPTHS = (3, 5, 10)
MAX_NODES = 5000
ADMIN_PASSWORD = "bench-console-key-7"


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    memory = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    return f"{os.cpu_count()} cores, {cpu}, {memory / 1024 / 1024:.0f} GiB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def rows(graph: LineageGraph):
    now = datetime.now(timezone.utc)
    assets = [
        (node_uuid(i), "bench://warehouse", f"layer{graph.layers[i]}.table_{i}", "table", now)
        for i in np.flatnonzero(graph.kinds == ASSET)
    ]
    processes = [
        (node_uuid(i), "bench://jobs", f"layer{graph.layers[i]}.job_{i}", "job", now)
        for i in np.flatnonzero(graph.kinds != ASSET)
    ]
    kind_name = np.where(graph.kinds == ASSET, "asset", "process")
    edges = (
        (edge_uuid(e), node_uuid(s), kind_name[s], node_uuid(t), kind_name[t], now)
        for e, (s, t) in enumerate(zip(graph.sources.tolist(), graph.targets.tolist()))
    )
    return assets, processes, edges


async def load_postgresql(url: str, graph: LineageGraph) -> float:
    import asyncpg

    started = time.perf_counter()
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    assets, processes, edges = rows(graph)
    for table, records in (("data_assets", assets), ("processes", processes)):
        await connection.copy_records_to_table(
            table,
            records=[(i, ns, name, kind, "[]", "[]", now, now) if table == "data_assets" else (i, ns, name, kind, "[]", now, now) for i, ns, name, kind, now in records],
            columns=["id", "namespace", "name", "kind", "tags", "fields", "created_at", "updated_at"]
            if table == "data_assets"
            else ["id", "namespace", "name", "kind", "tags", "created_at", "updated_at"],
        )
    await connection.copy_records_to_table(
        "lineage_edges",
        records=[(e, s, st, t, tt, "bench", "[]", now) for e, s, st, t, tt, now in edges],
        columns=["id", "source_id", "source_type", "target_id", "target_type", "origin", "columns", "valid_from"],
    )
    await connection.execute("ANALYZE")
    await connection.close()
    return time.perf_counter() - started


def load_sqlite(url: str, graph: LineageGraph) -> float:
    from sqlalchemy import create_engine, insert

    from dlv.db.models import DataAsset, LineageEdge, Process

    started = time.perf_counter()
    engine = create_engine(url.replace("+aiosqlite", ""))
    assets, processes, edges = rows(graph)
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA synchronous=OFF")
        for model, records in ((DataAsset, assets), (Process, processes)):
            for chunk in range(0, len(records), 50_000):
                connection.execute(
                    insert(model),
                    [
                        {"id": i, "namespace": ns, "name": name, "kind": kind, "created_at": now, "updated_at": now, "tags": []}
                        | ({"fields": []} if model is DataAsset else {})
                        for i, ns, name, kind, now in records[chunk : chunk + 50_000]
                    ],
                )
        batch = []
        for e, s, st, t, tt, now in edges:
            batch.append({"id": e, "source_id": s, "source_type": st, "target_id": t, "target_type": tt, "origin": "bench", "columns": [], "valid_from": now})
            if len(batch) == 50_000:
                connection.execute(insert(LineageEdge), batch)
                batch = []
        if batch:
            connection.execute(insert(LineageEdge), batch)
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


def pick_starts(graph: LineageGraph, count: int, seed: int) -> dict[str, list[int]]:
    rng = np.random.default_rng(seed)
    assets = np.flatnonzero(graph.kinds == ASSET)
    top = graph.layers.max()
    upper = assets[graph.layers[assets] <= top // 3]
    lower = assets[graph.layers[assets] >= 2 * top // 3]
    return {
        "downstream": rng.choice(upper, count, replace=False).tolist(),
        "upstream": rng.choice(lower, count, replace=False).tolist(),
    }


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else float("nan")


def measure_floor(floor: InMemoryFloor, starts: dict[str, list[int]]) -> dict[tuple[str, int], dict]:
    encoder = msgspec.json.Encoder()
    kinds = floor.graph.kinds
    results = {}
    for direction, nodes in starts.items():
        for depth in DEPTHS:
            times, sizes = [], []
            for start in nodes:
                began = time.perf_counter()
                reached = floor.traverse(start, depth, direction == "downstream", MAX_NODES)
                body = encoder.encode(
                    [{"id": str(node_uuid(i)), "type": "asset" if kinds[i] == ASSET else "process", "depth": d} for i, d in reached.items()]
                )
                times.append(time.perf_counter() - began)
                sizes.append(len(reached))
                del body
            results[(direction, depth)] = {"times": times, "sizes": sizes}
    return results


async def measure_store(url: str, starts: dict[str, list[int]], store_name: str, neo4j_uri: str | None = None) -> dict:
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from dlv.graph import SqlGraphStore

    engine = create_async_engine(url)
    sessions = async_sessionmaker(engine)
    results = {}
    driver = None
    if store_name == "neo4j":
        from neo4j import AsyncGraphDatabase

        from dlv.graph.neo4j import Neo4jGraphStore

        driver = AsyncGraphDatabase.driver(neo4j_uri, auth=None, notifications_min_severity="OFF")
    async with sessions() as session:
        store = SqlGraphStore(session) if driver is None else Neo4jGraphStore(driver)
        for direction, nodes in starts.items():
            for depth in DEPTHS:
                times, sizes = [], []
                for start in nodes:  # once untimed: caches and, for Neo4j, the JIT warmed as in a running server
                    await store.traverse({node_uuid(start): "asset"}, direction, depth, max_nodes=MAX_NODES)
                for start in nodes:
                    began = time.perf_counter()
                    traversal = await store.traverse({node_uuid(start): "asset"}, direction, depth, max_nodes=MAX_NODES)
                    times.append(time.perf_counter() - began)
                    sizes.append(len(traversal.nodes))
                results[(direction, depth)] = {"times": times, "sizes": sizes}
    if driver is not None:
        await driver.close()
    await engine.dispose()
    return results


def start_server(url: str, extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="dlv-bench-")
    env = {
        **os.environ,
        "DLV_DATABASE_URL": url,
        "DLV_DATA_DIR": data_dir,
        "DLV_PORT": str(port),
        "DLV_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "DLV_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    process = subprocess.Popen([str(ROOT / ".venv/bin/dlv"), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("dlv serve did not come up")


def measure_http(base: str, starts: dict[str, list[int]]) -> dict:
    results = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        token = client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        for direction, nodes in starts.items():
            for depth in DEPTHS:
                times, sizes = [], []
                for start in nodes:
                    began = time.perf_counter()
                    response = client.get("/api/lineage/graph", params={"node_id": str(node_uuid(start)), "direction": direction, "depth": depth})
                    body = response.json()
                    times.append(time.perf_counter() - began)
                    sizes.append(len(body["nodes"]))
                results[(direction, depth)] = {"times": times, "sizes": sizes, "source": body["source"]}
    return results


def measure_neo4j(url: str, starts: dict[str, list[int]], floor_results: dict, scratch: Path) -> list[str]:
    """Project the PostgreSQL graph into a real Neo4j (the in-process harness), timing the
    rebuild, then query it directly and through HTTP."""
    from neo4j import AsyncGraphDatabase
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from dlv.graph import Projector
    from tests.services.neo4j import Neo4jServer

    # Hold the whole store, as a production Neo4j is sized to (1,000,000 nodes and 4.7M edges
    # with their ids take about 2 GB; 1 GB made most queries read from disk).
    os.environ.setdefault("NEO4J_DEV_PAGECACHE_MB", "4096")
    with Neo4jServer(scratch / "neo4j", java_opts=["-Xmx2g", "-XX:+UseParallelGC"]) as server:
        async def rebuild() -> tuple[int, float]:
            engine = create_async_engine(url)
            driver = AsyncGraphDatabase.driver(server.bolt_uri, auth=None, notifications_min_severity="OFF")
            began = time.perf_counter()
            copied = await Projector(async_sessionmaker(engine), driver, batch_size=5000).rebuild()
            elapsed = time.perf_counter() - began
            await driver.close()
            await engine.dispose()
            return copied, elapsed

        copied, seconds = asyncio.run(rebuild())
        print(f"neo4j: projected {copied:,} edges in {seconds:.0f} s", flush=True)
        measured = {"neo4j store": asyncio.run(measure_store(url, starts, "neo4j", server.bolt_uri))}
        process, base = start_server(url, {"DLV_NEO4J_URI": server.bolt_uri})
        try:
            measured["HTTP (neo4j)"] = measure_http(base, starts)
        finally:
            process.terminate()
            process.wait(timeout=30)
    title = f"neo4j (projection rebuild {seconds:.0f} s, {copied / seconds:,.0f} edges/s)"
    return table(title, floor_results, measured)


def table(title: str, floor: dict, measured: dict[str, dict]) -> list[str]:
    lines = [f"### {title}", "", "| query | nodes (median) | floor p50 | " + " | ".join(f"{name} p50 / p95" for name in measured) + " | store/floor p50 | HTTP/store p50 |", "|---" * (4 + len(measured)) + "|"]
    for key in floor:
        direction, depth = key
        cells = [f"{direction} depth {depth}", f"{int(statistics.median(floor[key]['sizes']))}", f"{percentile(floor[key]['times'], 50):.1f} ms"]
        for name, result in measured.items():
            cells.append(f"{percentile(result[key]['times'], 50):.1f} / {percentile(result[key]['times'], 95):.1f} ms")
        store_key = next((name for name in measured if not name.startswith("HTTP")), None)
        http_key = next((name for name in measured if name.startswith("HTTP")), None)
        store_p50 = percentile(measured[store_key][key]["times"], 50) if store_key else float("nan")
        http_p50 = percentile(measured[http_key][key]["times"], 50) if http_key else float("nan")
        cells.append(f"{store_p50 / percentile(floor[key]['times'], 50):.1f}x")
        cells.append(f"{http_p50 / store_p50:.2f}x")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def write_section(heading: str, body: list[str]) -> None:
    """Replace one '## ' section of bench/RESULTS.md, leaving other benchmarks' sections alone."""
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n\nEach section is written by its benchmark script; rerun the script to refresh it.\n"
    section = f"## {heading}\n\n" + "\n".join(body).rstrip() + "\n"
    parts = text.split("\n## ")
    kept = [parts[0].rstrip() + "\n"] + [f"## {part.rstrip()}\n" for part in parts[1:] if not part.startswith(heading + "\n")]
    path.write_text("\n".join(kept + [section]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges-per-node", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=30, help="start nodes per direction")
    parser.add_argument("--stores", default="sqlite,postgresql", help="any of sqlite,postgresql,neo4j (neo4j is projected from postgresql)")
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    stores = args.stores.split(",")

    began = time.perf_counter()
    graph = generate(args.nodes, args.edges_per_node, args.seed)
    print(f"generated {graph.node_count:,} nodes / {graph.edge_count:,} edges in {time.perf_counter() - began:.1f} s", flush=True)
    floor = InMemoryFloor(graph)
    starts = pick_starts(graph, args.queries, args.seed)
    floor_results = measure_floor(floor, starts)
    report = [f"Machine: {machine()}.", f"Graph: {graph.node_count:,} nodes, {graph.edge_count:,} edges (bench/lineage_graph.py, seed {args.seed}); {args.queries} start nodes per direction; max_nodes {MAX_NODES}.", ""]
    with tempfile.TemporaryDirectory(prefix="dlv-bench-") as scratch:
        postgres = PostgresServer() if "postgresql" in stores else None
        if postgres:
            postgres.start()
        try:
            for store in [name for name in stores if name != "neo4j"]:
                url = postgres.create_database("bench") if store == "postgresql" else f"sqlite+aiosqlite:///{scratch}/bench.db"
                upgrade(url)
                load_seconds = asyncio.run(load_postgresql(url, graph)) if store == "postgresql" else load_sqlite(url, graph)
                print(f"{store}: loaded in {load_seconds:.0f} s", flush=True)
                measured = {f"{store} store": asyncio.run(measure_store(url, starts, store))}
                server, base = start_server(url)
                try:
                    measured[f"HTTP ({store})"] = measure_http(base, starts)
                finally:
                    server.terminate()
                    server.wait(timeout=30)
                lines = table(f"{store} (load {load_seconds:.0f} s)", floor_results, measured)
                print("\n".join(lines), flush=True)
                report += lines + [""]
                if store == "postgresql" and "neo4j" in stores:
                    lines = measure_neo4j(url, starts, floor_results, Path(scratch))
                    print("\n".join(lines), flush=True)
                    report += lines + [""]
        finally:
            if postgres:
                postgres.cleanup()
    if args.write_results:
        write_section(f"Graph traversal: {graph.node_count:,} nodes, {args.stores}", report + [f"Command: `.venv/bin/python bench/traversal_bench.py --nodes {args.nodes} --stores {args.stores} --write-results`"])


if __name__ == "__main__":
    main()
