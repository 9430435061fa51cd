"""Runs and dataset versions in the explorer, from real OpenLineage events: a process's Runs
tab (states, durations, a run's inputs and outputs with versions, its facets as received), an
asset's Versions tab with a schema diff, and the run picker showing what one run touched."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.explorer import entity_id, lineage_node, open_explorer
from tests.integration.openlineage.conftest import fixture_events, run_event

DB = "postgres://db:5432"
T = "2026-11-0{}T{}:00Z"
FIRST = [{"name": "id", "type": "int"}, {"name": "amount", "type": "int"}, {"name": "note", "type": "text"}]
SECOND = [{"name": "id", "type": "int"}, {"name": "amount", "type": "numeric"}, {"name": "region", "type": "text"}]


def _totals(fields: list[dict], rows: int) -> dict:
    return {"namespace": DB, "name": "daily_totals", "facets": {"schema": {"fields": fields}}, "outputFacets": {"outputStatistics": {"rowCount": rows, "size": rows * 100}}}


def _events() -> list[dict]:
    """Three runs of load_totals: one reads payments and completes, one fails, one reads refunds
    and completes with a changed schema."""
    events = []
    for run_id, day, inputs, end, output in (
        ("7a1c0000-0000-7000-8000-000000000001", 1, ["raw_payments"], ("COMPLETE", "10:04"), _totals(FIRST, 10)),
        ("7a1c0000-0000-7000-8000-000000000002", 2, ["raw_payments"], ("FAIL", "10:01"), None),
        ("7a1c0000-0000-7000-8000-000000000003", 3, ["raw_refunds"], ("COMPLETE", "10:02"), _totals(SECOND, 12)),
    ):
        outputs = [output] if output else []
        events.append(run_event("load_totals", run_id, "START", T.format(day, "10:00"), inputs=inputs, outputs=outputs))
        last = run_event("load_totals", run_id, end[0], T.format(day, end[1]), inputs=inputs, outputs=outputs)
        if end[0] == "FAIL":
            last["run"]["facets"] = {"errorMessage": {"_producer": "https://example.com", "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/ErrorMessageRunFacet.json", "message": "disk full", "programmingLanguage": "python"}}
        events.append(last)
    # A real Dataproc Spark run (from OpenLineage's own test suite): its facets are shown as received.
    events += fixture_events("spark_dataproc_bigquery_to_file_running_output_statistics.json")
    events += fixture_events("spark_dataproc_bigquery_to_file_column_lineage_complete.json")
    return events


@pytest.fixture(scope="module", autouse=True)
def runs(live_server) -> None:
    with live_server.api() as api:
        for event in _events():
            assert api.post("/api/v1/lineage", json=event).status_code == 201


def _open_history(page, live_server, name: str, tab: str) -> None:
    """The explorer on `name`, its details drawer open on the Runs or Versions tab."""
    open_explorer(page, live_server, name)
    lineage_node(page, name).click()
    page.get_by_test_id("details-drawer").get_by_role("tab", name=tab).click()


def test_the_runs_tab_lists_every_run_and_a_run_opens_what_it_read_and_wrote(page, live_server) -> None:
    _open_history(page, live_server, "load_totals", "Runs")

    rows = page.get_by_test_id("run-row")
    expect(rows).to_have_count(3)
    assert [row.locator(".badge").inner_text() for row in rows.all()] == ["complete", "fail", "complete"]  # newest first
    expect(rows.nth(1)).to_contain_text("disk full")
    expect(rows.nth(0)).to_contain_text("2 min 00 s")
    bars = page.get_by_test_id("run-durations").locator("rect")
    expect(bars).to_have_count(3)
    assert [bar.get_attribute("class") for bar in bars.all()] == ["run-bar run-complete", "run-bar run-fail", "run-bar run-complete"]  # oldest left
    screenshot(page, "40-runs-tab")

    rows.nth(2).click()  # the oldest run
    detail = page.get_by_test_id("run-detail")
    expect(detail.get_by_test_id("run-inputs")).to_contain_text("raw_payments")
    expect(detail.get_by_test_id("run-outputs")).to_contain_text("daily_totals")
    expect(detail.get_by_test_id("run-outputs").locator("td.mono")).not_to_have_text("")  # the version it wrote
    screenshot(page, "41-run-detail")

    detail.get_by_role("button", name="raw_payments").click()  # focus the canvas on what it read
    expect(page).to_have_url(re.compile(f"node={entity_id(live_server, 'raw_payments')}"))
    expect(lineage_node(page, "raw_payments")).to_have_class(re.compile("root"))


def test_a_spark_runs_facets_are_shown_as_received(page, live_server) -> None:
    _open_history(page, live_server, _spark_job(live_server), "Runs")
    page.get_by_test_id("run-row").first.click()

    detail = page.get_by_test_id("run-detail")
    engine = detail.locator("details.facet", has_text="processing_engine")
    expect(engine.locator("pre")).to_be_hidden()  # collapsed until asked
    engine.locator("summary").click()
    expect(engine.locator("pre")).to_contain_text('"name": "spark"')
    expect(detail.locator("details.facet summary", has_text="jobType")).to_be_visible()
    screenshot(page, "42-run-facets")


def _spark_job(live_server) -> str:
    """The Spark application's job (its parent, shakespeare_on_spark, has no run of its own)."""
    with live_server.api() as api:
        items = api.get("/api/lineage/processes", params={"searchString": "shakespeare"}).json()["items"]
    return next(item["name"] for item in items if item["name"].startswith("shakespeare_on_spark.adaptive_spark_plan"))


def test_the_versions_tab_diffs_two_versions_of_an_asset(page, live_server) -> None:
    _open_history(page, live_server, "daily_totals", "Versions")

    versions = page.get_by_test_id("version-row")
    expect(versions).to_have_count(2)
    expect(versions.nth(0)).to_contain_text("12 rows")
    expect(versions.nth(1)).to_contain_text("10 rows")
    diff = page.get_by_test_id("schema-diff")  # the two newest, older -> newer, by default
    expect(diff.locator("tr.diff-added")).to_contain_text("region")
    expect(diff.locator("tr.diff-removed")).to_contain_text("note")
    expect(diff.locator("tr.diff-changed")).to_contain_text("int → numeric")
    assert diff.locator("tr.diff-added td").first.evaluate("el => getComputedStyle(el).backgroundColor") != diff.locator(
        "tr.diff-removed td"
    ).first.evaluate("el => getComputedStyle(el).backgroundColor")
    screenshot(page, "43-versions-diff")

    versions.nth(0).get_by_role("radio", name=re.compile("Diff from")).check()  # newest as from
    versions.nth(1).get_by_role("radio", name=re.compile("Diff to")).check()
    expect(diff.locator("tr.diff-added")).to_contain_text("note")


def test_the_run_picker_shows_only_what_the_run_touched_and_the_link_reopens_it(page, live_server) -> None:
    open_explorer(page, live_server, "load_totals")
    count = page.get_by_test_id("graph-count")
    # Live: what the newest run read (refunds); the payments edge ended when a run stopped reading it.
    expect(count).to_have_text("3 nodes · 2 edges")
    expect(lineage_node(page, "raw_refunds")).to_be_visible()
    expect(lineage_node(page, "raw_payments")).to_have_count(0)

    page.get_by_role("button", name="Runs", exact=True).click()
    page.get_by_role("menuitem").filter(has_text="complete").last.click()  # the oldest complete run
    expect(page.get_by_test_id("run-note")).to_be_visible()
    expect(count).to_have_text("3 nodes · 2 edges")
    expect(lineage_node(page, "raw_payments")).to_be_visible()
    expect(lineage_node(page, "raw_refunds")).to_have_count(0)
    assert "run=7a1c0000-0000-7000-8000-000000000001" in page.url
    expect(page.get_by_role("button", name=re.compile("^Expand (up|down)stream of"))).to_have_count(0)  # nothing further in a run
    expect(page.get_by_role("button", name="Filters")).to_be_disabled()
    toolbar = page.get_by_role("toolbar", name="Lineage controls")
    assert toolbar.bounding_box()["height"] < 56  # the run picker's label fits the one row at 1440 px
    save = toolbar.get_by_role("button", name="Save as dashboard").bounding_box()
    assert save["x"] + save["width"] <= page.viewport_size["width"]
    screenshot(page, "44-run-picked")

    page.reload()
    expect(count).to_have_text("3 nodes · 2 edges")
    expect(lineage_node(page, "raw_refunds")).to_have_count(0)
    page.get_by_test_id("run-note").get_by_role("button", name="Back to the live graph").click()
    expect(lineage_node(page, "raw_refunds")).to_be_visible()
    expect(lineage_node(page, "raw_payments")).to_have_count(0)
    assert "run=" not in page.url


def test_show_on_graph_from_a_run_loads_that_runs_graph(page, live_server) -> None:
    _open_history(page, live_server, "load_totals", "Runs")
    page.get_by_test_id("run-row").last.click()  # the oldest run: read payments, which the live graph no longer shows
    page.get_by_role("button", name="Show on graph").click()
    expect(page.get_by_test_id("run-note")).to_be_visible()
    expect(lineage_node(page, "raw_payments")).to_be_visible()
    expect(lineage_node(page, "raw_refunds")).to_have_count(0)
    assert "run=7a1c0000-0000-7000-8000-000000000001" in page.url
