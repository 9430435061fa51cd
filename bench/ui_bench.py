"""Browser benchmark: how fast the lineage explorer shows and answers on a 2,000-node graph.

    make ui && .venv/bin/python bench/ui_bench.py [--nodes 2000] [--runs 3] [--write-results]

Starts `dlv serve` on a scratch SQLite database, loads a layered lineage of --nodes assets
(one source fanning out over 8 levels, with cross links) through POST /api/lineage/bulk,
then opens the explorer in headless Debian Chromium, downstream depth 8, in two modes:
"all nodes" (every node on the canvas) and "grouped" (the namespace view the UI uses past
300 nodes). Per run, measured from navigation start in the page:

- first render: the app's `dlv:graph-rendered` mark (data fetched, laid out, nodes on the
  canvas and the view fitted);
- interactive: a click on the zoom-in control has changed the viewport.

Target: both under 2 s for 2,000 nodes. Needs dlv/static (make ui) and /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from traversal_bench import ADMIN_PASSWORD, machine, start_server, write_section  # noqa: E402

from tests.services.postgres import free_port  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync"]
LEVELS = 8
NAMESPACES = ["postgres://shop:5432", "postgres://warehouse:5432", "kafka://events:9092", "s3://lake", "bigquery://analytics"]


def lineage(nodes: int, seed: int) -> dict:
    """One root asset; each level about 2.5x the one before, so `nodes` fit in LEVELS levels."""
    rng = random.Random(seed)
    weights = [2.5**level for level in range(1, LEVELS + 1)]
    sizes = [1] + [max(1, round((nodes - 1) * weight / sum(weights))) for weight in weights]
    sizes[-1] += nodes - sum(sizes)
    levels: list[list[str]] = []
    assets, edges = [], []
    for level, size in enumerate(sizes):
        names = [f"l{level}.table_{index}" for index in range(size)]
        levels.append(names)
        for name in names:
            assets.append({"namespace": NAMESPACES[hash(name) % len(NAMESPACES)], "name": name, "kind": "table", "owner": f"team-{level % 4}"})
    namespace_of = {asset["name"]: asset["namespace"] for asset in assets}
    ref = lambda name: {"type": "asset", "namespace": namespace_of[name], "name": name}  # noqa: E731
    for level in range(1, len(levels)):
        for index, name in enumerate(levels[level]):
            parents = {levels[level - 1][index * len(levels[level - 1]) // len(levels[level])]}
            if rng.random() < 0.3:
                parents.add(rng.choice(levels[level - 1]))
            edges.extend({"source": ref(parent), "target": ref(name)} for parent in parents)
    return {"assets": assets, "edges": edges}


MEASURE_INTERACTIVE = """async () => {
  const viewport = document.querySelector('.react-flow__viewport');
  const before = viewport.style.transform;
  document.querySelector('.react-flow__controls-zoomin').click();
  while (viewport.style.transform === before) await new Promise((resolve) => requestAnimationFrame(resolve));
  return performance.now();
}"""


def measure(page, url: str) -> tuple[float, float, int]:
    page.goto(url)
    page.wait_for_function("() => performance.getEntriesByName('dlv:graph-rendered').length > 0", timeout=60_000)
    mark = page.evaluate("() => { const m = performance.getEntriesByName('dlv:graph-rendered')[0]; return [m.startTime, m.detail.nodes]; }")
    interactive = page.evaluate(MEASURE_INTERACTIVE)
    return mark[0] / 1000, interactive / 1000, mark[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--write-results", action="store_true", help="replace the '## UI' section of bench/RESULTS.md")
    parser.add_argument("--screenshots", type=Path, help="save the last page of each mode here, to look at")
    args = parser.parse_args()
    if not (ROOT / "dlv" / "static" / "index.html").is_file():
        raise SystemExit("Build the UI first: make ui")
    from playwright.sync_api import sync_playwright

    graph = lineage(args.nodes, args.seed)
    with tempfile.TemporaryDirectory(prefix="dlv-ui-bench-") as scratch:
        process, base = start_server(f"sqlite+aiosqlite:///{scratch}/dlv.db")
        try:
            api = httpx.Client(base_url=base, timeout=120)
            token = api.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}).raise_for_status().json()["access_token"]
            api.headers["Authorization"] = f"Bearer {token}"
            api.post("/api/lineage/bulk", json=graph).raise_for_status()
            root = api.get("/api/search", params={"q": "l0.table_0"}).json()["items"][0]["id"]
            served = len(api.get("/api/lineage/graph", params={"node_id": root, "direction": "downstream", "depth": LEVELS}).json()["nodes"])
            modes = {"all nodes": "&all=1", "grouped by namespace": ""}
            results: dict[str, list[tuple[float, float, int]]] = {mode: [] for mode in modes}
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                for mode, extra in modes.items():
                    for _ in range(args.runs):
                        # A fresh context per run: cold HTTP cache, nothing memoised in the page.
                        context = browser.new_context(viewport={"width": 1440, "height": 900})
                        context.add_init_script(f"sessionStorage.setItem('dlv.token', {token!r})")
                        page = context.new_page()
                        results[mode].append(measure(page, f"{base}/ui/lineage?node={root}&up=0&down={LEVELS}{extra}"))
                        if args.screenshots:
                            args.screenshots.mkdir(parents=True, exist_ok=True)
                            page.screenshot(path=str(args.screenshots / f"ui-bench-{mode.split()[0]}.png"))
                        context.close()
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=10)

    lines = [
        f"Machine: {machine()}.",
        f"Workload: {args.nodes} assets, {len(graph['edges'])} edges in {LEVELS + 1} levels from one source; the explorer opens it downstream "
        f"depth {LEVELS} ({served} nodes in the answer), headless Debian Chromium at 1440x900, `dlv serve` on SQLite on the same machine; "
        f"median of {args.runs} cold page loads per mode. Times from navigation start; target < 2 s.",
        "",
        "| mode | canvas nodes | first render (s) | interactive (s) |",
        "|---|---|---|---|",
    ]
    for mode, runs in results.items():
        first = statistics.median(run[0] for run in runs)
        interactive = statistics.median(run[1] for run in runs)
        lines.append(f"| {mode} | {runs[0][2]} | {first:.2f} | {interactive:.2f} |")
    lines += [
        "",
        "First render = graph fetched (two graph queries), laid out (a linear-time layered layout past 400 nodes; ELK below), "
        "nodes on the canvas and the view fitted (past 400 nodes: centred on the start node at a readable zoom). Interactive = a zoom click has moved the viewport after that. "
        "React Flow renders only the visible nodes (`onlyRenderVisibleElements`) after the first paint.",
    ]
    print("\n".join(lines))
    if args.write_results:
        write_section("UI", lines)


if __name__ == "__main__":
    main()
