"""Back-pressure benchmark: does a flood of deep traversals from one caller starve the server?

    .venv/bin/python bench/backpressure_bench.py [--nodes 100000] [--seconds 20] [--write-results]

Loads the generated lineage graph (bench/lineage_graph.py) into PostgreSQL, starts `dlv serve`
on it, and for --seconds keeps 32 depth-50 downstream graph requests in flight from one
logged-in user (each a few thousand nodes, max_nodes 5000), while a probe asks /health four
times a second and another user asks one depth-3 graph at a time. Run twice: with the traversal
gate as configured by default (DLV_GRAPH_MAX_CONCURRENT, ..._PER_CALLER, DLV_GRAPH_QUEUE_SECONDS)
and with it opened wide (1000 each), which is how DLV behaved before it had one.
Reports /health p50/p95/max, the other user's depth-3 p50/p95, and the flood's status counts.
Target (issue 19): /health under 1 s while 32 depth-50 queries run.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from lineage_graph import generate, node_uuid  # noqa: E402
from traversal_bench import ADMIN_PASSWORD, load_postgresql, machine, percentile, pick_starts, start_server, write_section  # noqa: E402

from dlv.db.migrate import upgrade  # noqa: E402
from tests.services.postgres import PostgresServer  # noqa: E402

FLOOD = 32
WIDE_OPEN = {"DLV_GRAPH_MAX_CONCURRENT": "1000", "DLV_GRAPH_MAX_CONCURRENT_PER_CALLER": "1000"}


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await client.post("/api/auth/login", json={"username": username, "password": password})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def run(base: str, starts: list[str], seconds: float) -> dict:
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        admin = await login(client, "admin", ADMIN_PASSWORD)
        created = await client.post("/api/auth/users", json={"username": "bob", "password": "correct-horse-battery-9", "role": "viewer"}, headers=admin)
        if created.status_code != 409:  # the second run finds the user made by the first
            created.raise_for_status()
        other = await login(client, "bob", "correct-horse-battery-9")
        stop = time.monotonic() + seconds
        statuses: collections.Counter[int] = collections.Counter()
        health, neighbour = [], []

        async def flood(index: int) -> None:
            while time.monotonic() < stop:
                params = {"node_id": starts[index % len(starts)], "direction": "downstream", "depth": 50, "max_nodes": 5000}
                statuses[(await client.get("/api/lineage/graph", params=params, headers=admin)).status_code] += 1
                index += FLOOD

        async def probe() -> None:
            while time.monotonic() < stop:
                began = time.perf_counter()
                await client.get("/health")
                health.append(time.perf_counter() - began)
                await asyncio.sleep(0.25)

        async def shallow() -> None:
            index = 0
            while time.monotonic() < stop:
                began = time.perf_counter()
                params = {"node_id": starts[index % len(starts)], "direction": "downstream", "depth": 3}
                response = await client.get("/api/lineage/graph", params=params, headers=other)
                if response.status_code == 200:
                    neighbour.append(time.perf_counter() - began)
                index += 1

        await asyncio.gather(*(flood(index) for index in range(FLOOD)), probe(), shallow())
    return {"health": health, "neighbour": neighbour, "statuses": dict(statuses)}


def line(label: str, result: dict, seconds: float) -> str:
    health, neighbour = result["health"], result["neighbour"]
    answered = result["statuses"].get(200, 0)
    return (
        f"| {label} | {percentile(health, 50):.0f} / {percentile(health, 95):.0f} / {max(health) * 1000:.0f} ms "
        f"| {percentile(neighbour, 50):.0f} / {percentile(neighbour, 95):.0f} ms ({len(neighbour)}) "
        f"| {answered / seconds:.1f}/s | {', '.join(f'{code}: {count}' for code, count in sorted(result['statuses'].items()))} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    graph = generate(args.nodes)
    starts = [str(node_uuid(index)) for index in pick_starts(graph, 64, 7)["downstream"]]
    report = [
        f"Machine: {machine()}.",
        f"Graph: {graph.node_count:,} nodes, {graph.edge_count:,} edges in PostgreSQL 15; DLV with one uvicorn worker; "
        f"{FLOOD} depth-50 downstream graph requests in flight from one user for {args.seconds:.0f} s, /health every 0.25 s, "
        "another user's depth-3 graphs one at a time. Everything on this machine.",
        "",
        "| traversal gate | /health p50 / p95 / max | other user's depth 3 p50 / p95 (answers) | flood answered | flood statuses |",
        "|---|---|---|---|---|",
    ]
    with PostgresServer() as postgres:
        url = postgres.create_database("bench")
        upgrade(url)
        asyncio.run(load_postgresql(url, graph))
        for label, env in (("default (4 overall, 3 per caller, 2 s queue)", {}), ("opened wide (no bound)", WIDE_OPEN)):
            server, base = start_server(url, env)
            try:
                result = asyncio.run(run(base, starts, args.seconds))
            finally:
                server.terminate()
                server.wait()
            report.append(line(label, result, args.seconds))
            print(report[-1], flush=True)
    print("\n".join(report))
    if args.write_results:
        write_section("Back-pressure: a flood of deep traversals", report)


if __name__ == "__main__":
    main()
