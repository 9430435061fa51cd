"""Bulk loading benchmark: a generated lineage graph through ``POST /api/lineage/bulk``.

    .venv/bin/python bench/bulk_bench.py --nodes 20000
    .venv/bin/python bench/bulk_bench.py --nodes 50000 --stores sqlite,postgresql --write-results

Starts ``dlv serve`` on each store, sends the graph's assets and processes, then its edges in
requests of ``--chunk`` edges (each request one transaction), then the same edges again (every
edge already current: what a nightly re-import costs). Reports rows per second of each phase,
measured at the client, request bodies built before the clock starts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx
import msgspec
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from lineage_graph import ASSET, generate  # noqa: E402
from traversal_bench import ADMIN_PASSWORD, machine, start_server, write_section  # noqa: E402

from tests.services.postgres import PostgresServer  # noqa: E402


def ref(index: int, kinds: np.ndarray, layers: np.ndarray) -> dict:
    if kinds[index] == ASSET:
        return {"type": "asset", "namespace": "bench://warehouse", "name": f"layer{layers[index]}.table_{index}"}
    return {"type": "process", "namespace": "bench://jobs", "name": f"layer{layers[index]}.job_{index}"}


def bodies(nodes: int, seed: int, chunk: int) -> tuple[bytes, list[bytes], int, int]:
    graph = generate(nodes, 5.0, seed)
    kinds, layers = graph.kinds, graph.layers
    assets = [{"namespace": "bench://warehouse", "name": f"layer{layers[i]}.table_{i}", "kind": "table"} for i in np.flatnonzero(kinds == ASSET)]
    processes = [{"namespace": "bench://jobs", "name": f"layer{layers[i]}.job_{i}", "kind": "job"} for i in np.flatnonzero(kinds != ASSET)]
    encoder = msgspec.json.Encoder()
    catalog = encoder.encode({"assets": assets, "processes": processes})
    pairs = list(zip(graph.sources.tolist(), graph.targets.tolist()))
    edge_bodies = [
        encoder.encode({"edges": [{"source": ref(s, kinds, layers), "target": ref(t, kinds, layers)} for s, t in pairs[start : start + chunk]]})
        for start in range(0, len(pairs), chunk)
    ]
    return catalog, edge_bodies, len(assets) + len(processes), len(pairs)


def load(base: str, catalog: bytes, edge_bodies: list[bytes]) -> dict[str, float]:
    seconds = {}
    with httpx.Client(base_url=base, timeout=600) as client:
        token = client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}).json()["access_token"]
        client.headers.update({"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        began = time.perf_counter()
        client.post("/api/lineage/bulk", content=catalog).raise_for_status()
        seconds["nodes"] = time.perf_counter() - began
        for phase in ("edges", "edges again"):
            began = time.perf_counter()
            for body in edge_bodies:
                client.post("/api/lineage/bulk", content=body).raise_for_status()
            seconds[phase] = time.perf_counter() - began
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=20_000, help="edges per request")
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    catalog, edge_bodies, node_count, edge_count = bodies(args.nodes, args.seed, args.chunk)
    lines = [
        f"Machine: {machine()}.",
        f"Graph: {node_count:,} assets and processes, {edge_count:,} edges (bench/lineage_graph.py, seed {args.seed}); "
        f"edges in requests of {args.chunk:,}; `dlv serve`, one worker.",
        "",
        "| store | nodes/s | edges/s (new) | edges/s (again, unchanged) |",
        "|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory(prefix="dlv-bench-") as scratch:
        postgres = PostgresServer() if "postgresql" in args.stores else None
        if postgres:
            postgres.start()
        try:
            for store in args.stores.split(","):
                url = postgres.create_database("bulk") if store == "postgresql" else f"sqlite+aiosqlite:///{scratch}/bulk.db"
                server, base = start_server(url)
                try:
                    seconds = load(base, catalog, edge_bodies)
                finally:
                    server.terminate()
                    server.wait(timeout=30)
                row = f"| {store} | {node_count / seconds['nodes']:,.0f} | {edge_count / seconds['edges']:,.0f} | {edge_count / seconds['edges again']:,.0f} |"
                print(row, flush=True)
                lines.append(row)
        finally:
            if postgres:
                postgres.cleanup()
    if args.write_results:
        write_section("Bulk loading", lines + ["", f"Command: `.venv/bin/python bench/bulk_bench.py --nodes {args.nodes} --stores {args.stores} --write-results`"])


if __name__ == "__main__":
    main()
