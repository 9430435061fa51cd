"""The lineage explorer at work in a real browser: readable labels, progressive exploration,
groups, semantic zoom, impact beside the canvas, catalog nodes, paths, hidden jobs, column
tracing, time travel and export."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ADMIN_PASSWORD, log_in, screenshot
from tests.e2e.explorer import entity_id, lineage_node, open_explorer
from tests.e2e.lineage_data import AIRFLOW, SHOP, WAREHOUSE
from tests.integration.openlineage.conftest import run_event

S3 = "s3://lake"
SPARK = "spark://jobs"


@pytest.fixture(scope="module", autouse=True)
def event_parts(live_server) -> None:
    """Two objects both named `part`, compacted by one job: the labels must tell them apart."""
    parts = [f"lake/events/2024-0{month}/part" for month in (5, 6)]
    body = {
        "assets": [{"namespace": S3, "name": name, "kind": "file"} for name in parts] + [{"namespace": S3, "name": "lake/compacted/part", "kind": "file"}],
        "processes": [{"namespace": SPARK, "name": "compact_events", "kind": "spark"}],
        "edges": [{"source": {"type": "asset", "namespace": S3, "name": name}, "target": {"type": "process", "namespace": SPARK, "name": "compact_events"}} for name in parts]
        + [{"source": {"type": "process", "namespace": SPARK, "name": "compact_events"}, "target": {"type": "asset", "namespace": S3, "name": "lake/compacted/part"}}],
    }
    with live_server.api() as api:
        api.post("/api/lineage/bulk", json=body).raise_for_status()


_id, _node, _open = entity_id, lineage_node, open_explorer


def test_labels_are_the_shortest_unique_suffix_with_a_place_chip_and_the_full_name_on_hover(page, live_server) -> None:
    _open(page, live_server, "compact_events")

    labels = sorted(page.get_by_test_id("node-label").all_inner_texts())
    assert labels == ["2024-05/part", "2024-06/part", "compact_events", "compacted/part"]
    may = _node(page, "lake/events/2024-05/part")
    expect(may).to_contain_text("lake")  # the namespace chip
    assert may.get_attribute("title").startswith("lake/events/2024-05/part\ns3://lake")
    screenshot(page, "20-unique-labels")


def test_opens_one_hop_each_side_and_grows_and_shrinks_per_node(page, live_server) -> None:
    _open(page, live_server, "analytics.staging.stg_orders")
    count = page.get_by_test_id("graph-count")
    expect(count).to_have_text("3 nodes · 2 edges")

    page.get_by_role("button", name="Expand upstream of extract_orders").click()
    expect(_node(page, "shop.public.orders")).to_be_visible()
    expect(count).to_have_text("4 nodes · 3 edges")
    page.get_by_role("button", name="Expand downstream of dbt_build_marts").click()
    expect(count).to_have_text("6 nodes · 5 edges")
    screenshot(page, "21-progressive")

    page.get_by_role("button", name="Collapse upstream of extract_orders").click()
    expect(_node(page, "shop.public.orders")).to_have_count(0)
    _node(page, "analytics.marts.dim_customers").hover()
    page.get_by_role("button", name="Hide analytics.marts.dim_customers").click()
    expect(_node(page, "analytics.marts.dim_customers")).to_have_count(0)
    expect(count).to_contain_text("1 hidden")
    count.get_by_role("button").click()
    expect(_node(page, "analytics.marts.dim_customers")).to_be_visible()


def test_groups_open_in_place(page, live_server) -> None:
    _open(page, live_server, "dbt_build_marts", "&up=3&down=2")
    page.get_by_label("Group nodes by").select_option("namespace")
    groups = page.get_by_test_id("lineage-group")
    expect(groups).to_have_count(4)  # the shop's and the warehouse's databases, the Airflow jobs, the BI tool
    screenshot(page, "22-groups")

    page.get_by_role("button", name="Expand group postgres://shop-db.internal:5432").click()
    expect(_node(page, "shop.public.orders")).to_be_visible()
    expect(_node(page, "shop.public.customers")).to_be_visible()
    expect(groups).to_have_count(3)
    screenshot(page, "23-group-opened")


def test_zooming_out_never_draws_text_smaller_than_legible(page, live_server) -> None:
    _open(page, live_server, "dbt_build_marts", "&up=4&down=2")
    smallest = """() => {
      const zoom = Number(/scale\\(([\\d.]+)\\)/.exec(document.querySelector('.react-flow__viewport').style.transform)[1]);
      const sizes = [...document.querySelectorAll('.lineage-node *')]
        .filter((el) => el.childNodes.length && [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
        .filter((el) => el.checkVisibility({ visibilityProperty: true }))
        .map((el) => parseFloat(getComputedStyle(el).fontSize) * zoom);
      return [zoom, sizes.length ? Math.min(...sizes) : null];
    }"""
    seen = []
    for _ in range(9):
        zoom, size = page.evaluate(smallest)
        seen.append((round(zoom, 2), size))
        assert size is None or size >= 9, seen
        page.locator(".react-flow__controls-zoomout").click()
        page.wait_for_timeout(150)
    assert any(size is None for _, size in seen) and any(size is not None for _, size in seen), seen
    expect(page.locator(".react-flow.zoom-far, .react-flow.zoom-tiny")).to_have_count(1)
    screenshot(page, "24-zoomed-out-blocks")


def test_the_impact_panel_sits_beside_the_canvas_and_root_causes_focus_their_node(page, live_server) -> None:
    failed = run_event(
        "extract_customers", "0190c7a0-0000-7000-8000-00000000fa11", "FAIL", "2026-01-01T00:00:00Z", namespace=AIRFLOW,
        inputs=[{"namespace": SHOP, "name": "shop.public.customers"}], outputs=[{"namespace": WAREHOUSE, "name": "analytics.staging.stg_customers"}],
    )
    with live_server.api() as api:
        assert api.post("/api/v1/lineage", json=failed).status_code in (200, 201)
    _open(page, live_server, "analytics.marts.fct_revenue", "&up=4")
    page.get_by_role("button", name="Impact", exact=True).click()
    panel = page.get_by_test_id("impact-panel")
    expect(panel.get_by_test_id("impact-list")).to_be_visible()
    canvas, side = page.locator(".react-flow").bounding_box(), panel.bounding_box()
    assert side["x"] + side["width"] <= canvas["x"] + 1, (side, canvas)

    separator = panel.get_by_role("separator")
    box = separator.bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + 122, box["y"] + 200, steps=5)
    page.mouse.up()
    assert panel.bounding_box()["width"] > side["width"] + 100

    expect(_node(page, "finance.revenue_dashboard")).to_have_class(re.compile("highlighted"))
    expect(_node(page, "analytics.marts.fct_revenue")).to_have_class(re.compile("highlighted"))  # brought into view
    cause = panel.get_by_role("button", name=re.compile("extract_customers"))
    assert cause.bounding_box()["width"] > 100
    cause.click()
    expect(_node(page, "extract_customers")).to_have_class(re.compile("selected"))
    screenshot(page, "25-impact-docked")


def test_a_catalog_node_picked_in_search_opens_its_lineage_and_impact(page, live_server, postgres_server) -> None:
    config = {"host": postgres_server.host, "port": postgres_server.port, "database": "postgres", "user": postgres_server.user, "password": postgres_server.password}
    with live_server.api() as api:
        node = api.post("/api/nodes", json={"name": "Shop database", "type": "postgresql", "config": config}).raise_for_status().json()
        assets = [{"namespace": "postgres://shop-db.internal:5432", "name": name, "node_id": node["id"]} for name in ("shop.public.orders", "shop.public.customers")]
        api.post("/api/lineage/bulk", json={"assets": assets}).raise_for_status()
    log_in(page, "admin", ADMIN_PASSWORD, "/ui/lineage")
    page.get_by_role("combobox", name="Search assets, processes and nodes").fill("Shop database")
    page.get_by_role("option", name=re.compile("Shop database")).click()

    expect(page.get_by_test_id("catalog-root")).to_contain_text("Shop database")
    expect(_node(page, "shop.public.orders")).to_be_visible()
    expect(_node(page, "extract_customers")).to_be_visible()
    expect(_node(page, "shop.public.orders")).to_contain_text("Shop database")  # the chip names the catalog node
    page.get_by_test_id("catalog-root").get_by_role("button", name="What breaks if it fails?").click()
    expect(page.get_by_test_id("impact-list")).to_contain_text("finance.revenue_dashboard")
    expect(_node(page, "shop.public.orders")).to_have_class(re.compile("highlighted"))  # where the failure starts
    screenshot(page, "26-catalog-node-lineage")


def test_all_paths_between_two_tables(page, live_server) -> None:
    _open(page, live_server, "dbt_build_marts", "&up=4&down=2")
    _node(page, "shop.public.orders").click()
    page.get_by_test_id("details-drawer").get_by_role("button", name="Paths from here").click()
    page.get_by_role("button", name="Close details").click()
    _node(page, "finance.revenue_dashboard").click()
    page.get_by_test_id("details-drawer").get_by_role("button", name="Paths to here").click()

    expect(page.get_by_test_id("paths-note")).to_contain_text("6 nodes lie on paths")
    for name in ("shop.public.orders", "extract_orders", "dbt_build_marts", "finance.revenue_dashboard"):
        expect(_node(page, name)).to_have_class(re.compile("highlighted"))
    expect(_node(page, "shop.public.customers")).to_have_class(re.compile("dimmed"))
    screenshot(page, "27-paths")


def test_hiding_jobs_keeps_the_paths_through_them(page, live_server) -> None:
    _open(page, live_server, "analytics.marts.fct_revenue", "&up=4")
    page.get_by_role("button", name="Filters").click()
    # The box shows the URL's filter, so it turns off after the navigation its click makes:
    # click, then wait for it (uncheck() insists on the state changing during the click).
    show_jobs = page.get_by_role("checkbox", name="Show jobs")
    show_jobs.click()
    expect(show_jobs).not_to_be_checked()
    expect(_node(page, "dbt_build_marts")).to_have_count(0)
    expect(_node(page, "analytics.staging.stg_orders")).to_be_visible()
    expect(page.locator(".react-flow__edge.folded").first).to_be_attached()
    expect(page.locator(".react-flow__edge-text", has_text="via 1").first).to_be_visible()
    screenshot(page, "28-jobs-hidden")


def test_a_column_followed_through_two_jobs(page, live_server) -> None:
    _open(page, live_server, "analytics.marts.fct_revenue")
    page.get_by_role("button", name="Columns").click()
    _node(page, "analytics.marts.fct_revenue").get_by_role("button", name="revenue", exact=True).click()

    expect(page.get_by_test_id("trace-note")).to_contain_text("revenue")
    for name in ("analytics.marts.fct_revenue", "dbt_build_marts", "analytics.staging.stg_orders", "extract_orders", "shop.public.orders"):
        expect(_node(page, name)).to_have_class(re.compile("highlighted"))
    expect(_node(page, "shop.public.orders").locator(".field-button.traced")).to_have_text("amount")
    expect(_node(page, "analytics.staging.stg_customers")).to_have_count(0)  # revenue never came from there
    screenshot(page, "29-column-trace")


def test_last_months_graph(page, live_server) -> None:
    _open(page, live_server, "analytics.marts.fct_revenue")
    expect(page.get_by_test_id("graph-count")).to_have_text("3 nodes · 2 edges")
    page.get_by_role("button", name="Now").click()
    page.get_by_label("As of").fill("2020-01-01T09:00")
    expect(page.get_by_test_id("as-of-note")).to_be_visible()
    expect(page.get_by_test_id("graph-count")).to_have_text("1 nodes · 0 edges")  # nothing was linked back then
    assert "as_of=2020-01-01" in page.url
    screenshot(page, "30-as-of")


def test_export_what_is_on_the_canvas(page, live_server) -> None:
    _open(page, live_server, "dbt_build_marts", "&up=4&down=2")
    page.get_by_role("button", name="Columns").click()
    expect(page.locator(".react-flow__edge-text").first).to_be_visible()

    def download(label: str) -> bytes:
        page.get_by_role("button", name="Export").click()
        with page.expect_download() as info:
            page.get_by_role("menuitem", name=label).click()
        return open(info.value.path(), "rb").read()

    svg = download("SVG image").decode()
    assert svg.count("marker-end") == 9 and "dbt_build_marts" in svg and "fct_revenue" in svg
    assert download("PNG image")[:8] == b"\x89PNG\r\n\x1a\n"
    rows = list(csv.DictReader(io.StringIO(download("CSV edge list").decode())))
    assert {"source_name": "dbt_build_marts", "target_name": "analytics.marts.fct_revenue", "source_field": "amount", "target_field": "revenue"}.items() <= next(
        row for row in rows if row["source_field"] == "amount" and row["target_name"] == "analytics.marts.fct_revenue"
    ).items()
    graph = json.loads(download("DLV JSON"))
    assert len(graph["nodes"]) == 10 and len(graph["edges"]) == 9
    events = json.loads(download("OpenLineage JSON"))
    build = next(event for event in events if event["job"]["name"] == "dbt_build_marts")
    assert {item["name"] for item in build["inputs"]} == {"analytics.staging.stg_orders", "analytics.staging.stg_customers"}
    assert "revenue" in next(out for out in build["outputs"] if out["name"] == "analytics.marts.fct_revenue")["facets"]["columnLineage"]["fields"]


def test_the_toolbar_fits_one_row_at_1440_px(page, live_server) -> None:
    _open(page, live_server, "analytics.marts.fct_revenue")
    toolbar = page.get_by_role("toolbar", name="Lineage controls")
    assert toolbar.bounding_box()["height"] < 56
    right_edge = page.viewport_size["width"]
    for name in ("Export", "Save as dashboard", "Impact", "Filters", "Columns"):
        box = toolbar.get_by_role("button", name=name, exact=True).bounding_box()
        assert box["x"] + box["width"] <= right_edge, name
