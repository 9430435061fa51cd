"""Marquez-compatible lineage: `GET /api/v1/lineage` (Marquez's graph, each node with its
dataset or job data) against DLV's own `GET /api/lineage/graph` for the same start and depth
in both directions, on the generated graph of traversal_bench.py, through `dlv serve`.

    .venv/bin/python bench/marquez_bench.py --nodes 10000 --stores sqlite,postgresql --write-results

Reports p50/p95 latency and the answer's size (nodes) at depth 2 and 4; the ratio says what
Marquez's shape costs on top of the traversal (loading every node's row, a job's inputs,
outputs and latest run, encoding).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time

import httpx
import numpy as np

from traversal_bench import ADMIN_PASSWORD, load_postgresql, load_sqlite, machine, pick_starts, start_server, write_section

from lineage_graph import ASSET, generate, node_uuid  # noqa: E402  (bench/ is on sys.path via traversal_bench)
from dlv.db.migrate import upgrade  # noqa: E402
from tests.services.postgres import PostgresServer  # noqa: E402

DEPTHS = (2, 4)


def marquez_node(graph, index: int) -> str:
    kind = "dataset:bench://warehouse" if graph.kinds[index] == ASSET else "job:bench://jobs"
    name = f"layer{graph.layers[index]}.{'table' if graph.kinds[index] == ASSET else 'job'}_{index}"
    return f"{kind}:{name}"


def measure(base: str, graph, starts: list[int]) -> dict[tuple[str, int], dict]:
    results = {}
    with httpx.Client(base_url=base, timeout=120) as client:
        token = client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        for depth in DEPTHS:
            for label in ("DLV graph", "Marquez lineage"):
                times, sizes = [], []
                for start in starts:
                    began = time.perf_counter()
                    if label == "DLV graph":
                        body = client.get("/api/lineage/graph", params={"node_id": str(node_uuid(start)), "direction": "both", "depth": depth}).json()
                        sizes.append(len(body["nodes"]))
                    else:
                        response = client.get("/api/v1/lineage", params={"nodeId": marquez_node(graph, start), "depth": depth})
                        assert response.status_code == 200, response.text[:300]
                        sizes.append(len(response.json()["graph"]))
                    times.append(time.perf_counter() - began)
                results[(label, depth)] = {"times": times, "sizes": sizes}
    return results


def table(store: str, results: dict) -> list[str]:
    lines = [f"### {store}", "", "| query | depth | nodes (median) | p50 ms | p95 ms |", "|---|---|---|---|---|"]
    for (label, depth), result in results.items():
        times = sorted(result["times"])
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        lines.append(f"| {label} | {depth} | {statistics.median(result['sizes']):.0f} | {statistics.median(times) * 1000:.1f} | {p95 * 1000:.1f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--edges-per-node", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    graph = generate(args.nodes, args.edges_per_node, args.seed)
    picked = pick_starts(graph, args.queries, args.seed)
    starts = [int(index) for index in np.concatenate([picked["downstream"], picked["upstream"]])]
    report = [f"Machine: {machine()}.", f"Graph: {graph.node_count:,} nodes, {graph.edge_count:,} edges (bench/lineage_graph.py, seed {args.seed}); {len(starts)} start datasets, both directions.", ""]
    with tempfile.TemporaryDirectory(prefix="dlv-bench-") as scratch:
        postgres = PostgresServer() if "postgresql" in args.stores else None
        if postgres:
            postgres.start()
        try:
            for store in args.stores.split(","):
                url = postgres.create_database("marquez_bench") if store == "postgresql" else f"sqlite+aiosqlite:///{scratch}/bench.db"
                upgrade(url)
                asyncio.run(load_postgresql(url, graph)) if store == "postgresql" else load_sqlite(url, graph)
                server, base = start_server(url)
                try:
                    lines = table(store, measure(base, graph, starts))
                finally:
                    server.terminate()
                    server.wait(timeout=30)
                print("\n".join(lines), flush=True)
                report += lines + [""]
        finally:
            if postgres:
                postgres.cleanup()
    if args.write_results:
        command = f"`.venv/bin/python bench/marquez_bench.py --nodes {args.nodes} --stores {args.stores} --write-results`"
        write_section(f"Marquez-compatible lineage: {graph.node_count:,} nodes", report + [f"Command: {command}"])


if __name__ == "__main__":
    main()
