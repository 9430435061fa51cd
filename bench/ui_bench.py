"""Browser benchmark: how fast the lineage explorer shows and answers on large graphs.

    make ui && .venv/bin/python bench/ui_bench.py [--runs 10] [--write-results]

Starts `dlv serve` on a scratch SQLite database (DLV_GRAPH_MAX_NODES=20000), loads layered
lineages (one source fanning out over 8 levels, with cross links) of 500, 2,000 and 10,000
assets through POST /api/lineage/bulk, then opens the explorer in headless Debian Chromium
at 1440x900, downstream depth 8 from the source. Per run, measured in the page from
navigation start:

- first paint: the app's `dlv:graph-rendered` mark (data fetched, laid out in the layout
  worker, nodes on the canvas and the view fitted); p95 over --runs cold page loads;
- interactive: a click on the zoom-in control has changed the viewport after that;
- pan / zoom frame rate at 2,000 nodes on the canvas: requestAnimationFrame callbacks
  counted in the page while the mouse drags the canvas (and while the wheel zooms).

Targets (issue 17): first paint p95 < 1 s at 500 nodes and < 1.5 s at 2,000; pan/zoom at
30 fps or more at 2,000 nodes; a 10,000-node answer grouped and interactive in < 2 s.
Needs dlv/static (make ui) and /usr/bin/chromium.
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

# Counts animation frames from now until stopped: window.__frames() -> [frames, ms].
COUNT_FRAMES = """() => {
  let frames = 0, running = true;
  const started = performance.now();
  const tick = () => { if (!running) return; frames += 1; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  window.__frames = () => { running = false; return [frames, performance.now() - started]; };
}"""


def open_graph(page, url: str) -> tuple[float, float, int]:
    """(first paint s, interactive s, canvas nodes) of one cold page load."""
    page.goto(url)
    page.wait_for_function("() => performance.getEntriesByName('dlv:graph-rendered').length > 0", timeout=60_000)
    mark = page.evaluate("() => { const m = performance.getEntriesByName('dlv:graph-rendered')[0]; return [m.startTime, m.detail.nodes]; }")
    interactive = page.evaluate(MEASURE_INTERACTIVE)
    return mark[0] / 1000, interactive / 1000, mark[1]


def frame_rate(page, gesture) -> float:
    """Frames per second the page drew while ``gesture(page)`` ran."""
    page.wait_for_timeout(500)
    page.evaluate(COUNT_FRAMES)
    gesture(page)
    frames, ms = page.evaluate("() => window.__frames()")
    return frames / (ms / 1000)


def pan(page) -> None:
    box = page.locator(".react-flow__pane").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 121):  # about two seconds of dragging, back and forth
        page.mouse.move(x + 300 * ((step % 60) / 60 - 0.5), y + 150 * ((step % 40) / 40 - 0.5))
        page.wait_for_timeout(16)
    page.mouse.up()


def wheel_zoom(page) -> None:
    box = page.locator(".react-flow__pane").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for step in range(80):
        page.mouse.wheel(0, 60 if (step // 20) % 2 else -60)
        page.wait_for_timeout(25)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def new_page(browser, token: str):
    # A fresh context per run: cold HTTP cache, nothing memoised in the page.
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_init_script(f"sessionStorage.setItem('dlv.token', {token!r})")
    return context, context.new_page()


def load(api: httpx.Client, nodes: int, seed: int, prefix: str) -> tuple[str, int]:
    """Loads one lineage (names prefixed so several live side by side); its root id and edges."""
    graph = lineage(nodes, seed)
    for asset in graph["assets"]:
        asset["name"] = f"{prefix}.{asset['name']}"
    for edge in graph["edges"]:
        for end in ("source", "target"):
            edge[end]["name"] = f"{prefix}.{edge[end]['name']}"
    api.post("/api/lineage/bulk", json=graph).raise_for_status()
    root = api.get("/api/search", params={"q": f"{prefix}.l0.table_0"}).json()["items"][0]["id"]
    return root, len(graph["edges"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--shared", default="", help="say what else ran on the machine meanwhile (written to RESULTS.md)")
    parser.add_argument("--write-results", action="store_true", help="replace the '## UI' section of bench/RESULTS.md")
    parser.add_argument("--screenshots", type=Path, help="save the last page of each case here, to look at")
    args = parser.parse_args()
    if not (ROOT / "dlv" / "static" / "index.html").is_file():
        raise SystemExit("Build the UI first: make ui")
    from playwright.sync_api import sync_playwright

    cases = [(500, "&group=none"), (2000, "&group=none"), (2000, ""), (10000, "")]
    loads: dict[tuple[int, str], list[tuple[float, float, int]]] = {}
    rates: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="dlv-ui-bench-") as scratch:
        process, base = start_server(f"sqlite+aiosqlite:///{scratch}/dlv.db", {"DLV_GRAPH_MAX_NODES": "20000"})
        try:
            api = httpx.Client(base_url=base, timeout=300)
            token = api.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}).raise_for_status().json()["access_token"]
            api.headers["Authorization"] = f"Bearer {token}"
            roots = {size: load(api, size, args.seed, f"n{size}") for size in sorted({size for size, _ in cases})}
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                for size, extra in cases:
                    url = f"{base}/ui/lineage?node={roots[size][0]}&up=0&down={LEVELS}{extra}"
                    for run in range(args.runs):
                        context, page = new_page(browser, token)
                        loads.setdefault((size, extra), []).append(open_graph(page, url))
                        if size == 2000 and extra == "&group=none" and run == 0:
                            rates["pan"] = frame_rate(page, pan)
                            rates["wheel zoom"] = frame_rate(page, wheel_zoom)
                        if args.screenshots and run == 0:
                            args.screenshots.mkdir(parents=True, exist_ok=True)
                            page.screenshot(path=str(args.screenshots / f"ui-bench-{size}{extra.replace('&group=', '-') or '-grouped'}.png"))
                        context.close()
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=10)
    report(args, loads, rates, {size: edges for size, (_, edges) in roots.items()})


def report(args, loads, rates, edges) -> None:
    lines = [
        f"Machine: {machine()}{f'; shared with {args.shared}' if args.shared else ''}.",
        f"Workload: layered lineages of 500, 2,000 and 10,000 assets ({', '.join(f'{e:,}' for e in edges.values())} edges; 9 levels from one source); "
        f"the explorer opens each downstream depth {LEVELS} from the source in headless Debian Chromium at 1440x900, `dlv serve` on SQLite on the same machine; "
        f"{args.runs} cold page loads per case. Times from navigation start.",
        "",
        "| answer | canvas | drawn boxes | first paint p50 (s) | first paint p95 (s) | interactive p95 (s) | target |",
        "|---|---|---|---|---|---|---|",
    ]
    targets = {(500, "&group=none"): "p95 < 1 s", (2000, "&group=none"): "p95 < 1.5 s", (2000, ""): "p95 < 1.5 s", (10000, ""): "interactive < 2 s"}
    for (size, extra), runs in loads.items():
        canvas = "every node" if extra else "grouped by namespace (automatic)"
        firsts = [run[0] for run in runs]
        lines.append(
            f"| {size:,} nodes | {canvas} | {runs[0][2]:,} | {statistics.median(firsts):.2f} | {p95(firsts):.2f} | {p95([run[1] for run in runs]):.2f} | {targets[(size, extra)]} |"
        )
    lines += [
        "",
        f"Frame rate with 2,000 nodes on the canvas (every node, the view at the start node, readable zoom): "
        + ", ".join(f"{name} {fps:.0f} fps" for name, fps in rates.items())
        + " (requestAnimationFrame callbacks counted in the page during two seconds of mouse drag, then of wheel zoom; target >= 30).",
        "",
        "First paint = both graph queries answered, laid out in the layout Web Worker (ELK up to 400 boxes, a linear-time layered layout past that and for grouped views), "
        "nodes on the canvas and the view fitted (past 400 nodes: centred on the start node at a readable zoom). Interactive = a zoom click has moved the viewport after that. "
        "React Flow renders only the visible nodes (`onlyRenderVisibleElements`); past 300 nodes the explorer groups by namespace unless asked not to. "
        "The graph requests leave when the app's first module runs, in parallel with the session check; the page mounts while the session is checked; "
        "the first layout starts as soon as the graph arrives (the canvas picks it up by shape key, no second pass); ELK is loaded only when a small graph needs it.",
    ]
    print("\n".join(lines))
    if args.write_results:
        write_section("UI", lines)


if __name__ == "__main__":
    main()
