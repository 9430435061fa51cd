"""What the explorer shows and exports: filters that hide namespaces but keep the paths
through them, groups that open in place without moving anything else, and exports of the
visible part or the whole graph."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.explorer import lineage_node, open_explorer
from tests.e2e.lineage_data import SHOP, WAREHOUSE

POSITIONS = """() => Object.fromEntries([...document.querySelectorAll('.react-flow__node')]
  .map((el) => [el.dataset.id, el.style.transform]))"""
VIEWPORT = "() => document.querySelector('.react-flow__viewport').style.transform"


def test_a_filter_hides_a_namespace_and_the_paths_through_it_stay(page, live_server) -> None:
    open_explorer(page, live_server, "analytics.marts.fct_revenue", "&up=4")
    page.get_by_role("button", name="Filters").click()
    page.get_by_role("checkbox", name=f"Show namespace {WAREHOUSE}").click()

    expect(lineage_node(page, "analytics.staging.stg_orders")).to_have_count(0)
    expect(lineage_node(page, "analytics.staging.stg_customers")).to_have_count(0)
    for name in ("analytics.marts.fct_revenue", "dbt_build_marts", "extract_orders", "shop.public.orders"):
        expect(lineage_node(page, name)).to_be_visible()  # the start stays; the jobs on each side of the hidden tables too
    expect(page.locator(".react-flow__edge-text", has_text="via 1")).to_have_count(2)  # extract_* -> dbt_build_marts
    expect(page.get_by_test_id("graph-count")).to_contain_text("2 filtered out")
    expect(page.get_by_role("button", name="Filters (1)")).to_be_visible()
    assert "hide_namespaces=" in page.url
    screenshot(page, "45-namespace-filtered")

    page.reload()  # the URL carries the filter
    expect(lineage_node(page, "analytics.staging.stg_orders")).to_have_count(0)
    page.get_by_role("button", name="Filters (1)").click()
    page.get_by_role("checkbox", name=f"Show namespace {WAREHOUSE}").click()  # still offered while hidden
    expect(lineage_node(page, "analytics.staging.stg_orders")).to_be_visible()
    page.keyboard.press("Escape")  # the popover closes on Escape, and on a click outside it
    expect(page.get_by_role("dialog", name="Filters")).to_have_count(0)
    page.get_by_role("button", name="Filters").click()
    lineage_node(page, "analytics.marts.fct_revenue").click()
    expect(page.get_by_role("dialog", name="Filters")).to_have_count(0)


def test_opening_a_group_keeps_every_other_node_where_it_was(page, live_server) -> None:
    open_explorer(page, live_server, "dbt_build_marts", "&up=3&down=2")
    page.get_by_label("Group nodes by").select_option("namespace")
    expect(page.get_by_test_id("lineage-group")).to_have_count(4)
    page.wait_for_timeout(300)  # the fitted view settles
    before, viewport = page.evaluate(POSITIONS), page.evaluate(VIEWPORT)

    page.get_by_role("button", name=f"Expand group {SHOP}").click()
    expect(lineage_node(page, "shop.public.orders")).to_be_visible()
    opened = page.evaluate(POSITIONS)
    others = {key: value for key, value in before.items() if key != f"ns:{SHOP}"}
    assert {key: opened[key] for key in others} == others
    assert page.evaluate(VIEWPORT) == viewport  # not re-fitted either
    screenshot(page, "46-group-opened-in-place")

    page.get_by_role("button", name=f"Collapse group {SHOP}").click()
    expect(lineage_node(page, "shop.public.orders")).to_have_count(0)
    assert page.evaluate(POSITIONS) == before


def _download(page, scope: str, label: str) -> bytes:
    page.get_by_role("button", name="Export").click()
    page.get_by_role("radio", name=scope).check()
    with page.expect_download() as info:
        page.get_by_role("menuitem", name=label).click()
    return open(info.value.path(), "rb").read()


def test_export_the_visible_part_or_the_whole_graph(page, live_server) -> None:
    open_explorer(page, live_server, "dbt_build_marts", "&up=4&down=2")
    whole = json.loads(_download(page, "Whole graph", "DLV JSON"))
    assert len(whole["nodes"]) == 10 and len(whole["edges"]) == 9
    lineage_node(page, "dbt_build_marts").click()
    page.get_by_role("button", name="Close details").click()
    for _ in range(4):
        page.locator(".react-flow__controls-zoomin").click()
    page.wait_for_timeout(300)

    visible = json.loads(_download(page, "Visible part", "DLV JSON"))
    names = {node["name"] for node in visible["nodes"]}
    assert "dbt_build_marts" in names and 0 < len(names) < 10, names
    assert all(edge["source_id"] in {n["id"] for n in visible["nodes"]} for edge in visible["edges"])
    svg = _download(page, "Visible part", "SVG image").decode()
    assert "dbt_build_marts" in svg and "finance.revenue_dashboard" not in svg
    assert "finance.revenue_dashboard" in _download(page, "Whole graph", "SVG image").decode()
    screenshot(page, "47-export-visible")


def test_the_toolbar_fits_one_row_at_1440_px_with_filters_and_time_travel_active(page, live_server) -> None:
    open_explorer(page, live_server, "dbt_build_marts", "&hide_tags=x&as_of=2026-01-01T00:00:00Z")
    toolbar = page.get_by_role("toolbar", name="Lineage controls")
    expect(toolbar.get_by_role("button", name=re.compile("^As of "))).to_be_visible()
    assert toolbar.bounding_box()["height"] < 56
    for name in ("Export", "Save as dashboard", "Filters (1)", "Runs"):
        box = toolbar.get_by_role("button", name=name, exact=True).bounding_box()
        assert box["x"] + box["width"] <= page.viewport_size["width"], name
