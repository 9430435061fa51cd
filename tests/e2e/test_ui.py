"""The UI in a real browser against a live server: what a data engineer does during an incident."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ADMIN_PASSWORD, VIEWER_PASSWORD, log_in, screenshot
from tests.integration.openlineage.conftest import run_event


def _node_id(live_server, name: str) -> str:
    with live_server.api() as api:
        hits = api.get("/api/search", params={"q": name}).json()["items"]
    return next(hit["id"] for hit in hits if hit["name"] == name)


def _canvas_node(page, name: str):
    return page.locator(f'[data-testid="lineage-node"][data-name="{name}"]')


def _on_canvas(page, locator) -> tuple[float, float]:
    """Where a node sits inside the canvas (independent of the toolbar above it)."""
    node, canvas = locator.bounding_box(), page.locator(".react-flow").bounding_box()
    return node["x"] - canvas["x"], node["y"] - canvas["y"]


def test_login_search_and_explore_lineage(page, live_server) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "01-login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("user-role")).to_have_text("admin")

    page.get_by_role("combobox", name="Search assets, processes and nodes").fill("fct_revenue")
    page.get_by_role("option", name=re.compile("analytics.marts.fct_revenue")).click()
    # One hop each side first; the + on a node's side goes further that way.
    expect(page.get_by_test_id("graph-count")).to_have_text("3 nodes · 2 edges")
    expect(_canvas_node(page, "finance.revenue_dashboard")).to_be_visible()

    page.get_by_label("Upstream depth").fill("4")
    expect(page.get_by_test_id("graph-count")).to_have_text("9 nodes · 8 edges")
    expect(_canvas_node(page, "shop.public.orders")).to_be_visible()

    page.get_by_role("button", name="Expand downstream of dbt_build_marts").click()
    expect(_canvas_node(page, "analytics.marts.dim_customers")).to_be_visible()
    expect(page.get_by_test_id("graph-count")).to_have_text("10 nodes · 9 edges")

    page.get_by_role("button", name="Columns").click()
    expect(_canvas_node(page, "analytics.marts.fct_revenue")).to_contain_text("revenue")
    expect(page.locator(".react-flow__edge-text", has_text="amount → revenue +1")).to_be_visible()

    _canvas_node(page, "analytics.marts.fct_revenue").click()
    drawer = page.get_by_test_id("details-drawer")
    expect(drawer).to_contain_text("analytics")  # owner
    expect(drawer).to_contain_text("critical")
    expect(drawer.get_by_test_id("column-mappings")).to_contain_text("amount")
    screenshot(page, "02-lineage-explorer")


def test_impact_panel_highlights_and_exports_csv(page, live_server) -> None:
    orders = _node_id(live_server, "shop.public.orders")
    log_in(page, "admin", ADMIN_PASSWORD, f"/ui/lineage?node={orders}&down=6")
    expect(page.get_by_test_id("graph-count")).to_have_text("7 nodes · 6 edges")

    page.get_by_role("button", name="Impact").click()
    panel = page.get_by_test_id("impact-panel")
    expect(panel.get_by_test_id("impact-list")).to_contain_text("finance.revenue_dashboard")
    expect(panel.get_by_test_id("impact-summary")).to_contain_text("impacted")
    expect(page.locator(".lineage-node.highlighted").first).to_be_visible()
    expect(_canvas_node(page, "shop.public.orders")).not_to_have_class(re.compile("dimmed"))

    with page.expect_download() as download_info:
        panel.get_by_role("button", name="Export CSV").click()
    download = download_info.value
    rows = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert "finance.revenue_dashboard" in {row["name"] for row in rows}
    assert download.suggested_filename.endswith(".csv")
    screenshot(page, "03-impact-panel")


def test_dashboard_is_saved_and_restored_after_reload(page, live_server) -> None:
    revenue = _node_id(live_server, "analytics.marts.fct_revenue")
    log_in(page, "admin", ADMIN_PASSWORD, f"/ui/lineage?node={revenue}&up=1&down=1")
    node = _canvas_node(page, "finance.revenue_dashboard")
    expect(node).to_be_visible()
    box = node.bounding_box()
    page.mouse.move(box["x"] + 60, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 60, box["y"] + 180, steps=8)
    page.mouse.up()
    assert node.bounding_box()["y"] > box["y"] + 100
    moved = _on_canvas(page, node)

    page.get_by_role("button", name="Save as dashboard").click()
    page.get_by_label("Name").fill("Revenue incident")
    page.get_by_role("dialog").get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"dashboard="))

    page.reload()
    restored = _canvas_node(page, "finance.revenue_dashboard")
    expect(restored).to_be_visible()
    page.wait_for_timeout(300)  # the saved viewport is applied on the next animation frame
    after = _on_canvas(page, restored)
    assert abs(after[0] - moved[0]) < 4 and abs(after[1] - moved[1]) < 4

    page.get_by_role("link", name="Dashboards").click()
    expect(page.get_by_test_id("dashboard-row")).to_contain_text("Revenue incident")
    screenshot(page, "04-dashboards")


def test_add_a_postgresql_node_test_it_then_see_a_wrong_password_fail(page, live_server, postgres_server) -> None:
    log_in(page, "admin", ADMIN_PASSWORD, "/ui/nodes")
    page.get_by_role("button", name="Add node").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("textbox", name="Name", exact=True).fill("Test warehouse")
    dialog.get_by_role("combobox", name="Type", exact=True).first.select_option("postgresql")
    dialog.get_by_role("textbox", name="Host", exact=True).fill(postgres_server.host)
    dialog.get_by_role("spinbutton", name="Port", exact=True).fill(str(postgres_server.port))
    dialog.get_by_role("textbox", name="User", exact=True).fill(postgres_server.user)
    dialog.get_by_label("Password", exact=True).fill(postgres_server.password)
    dialog.get_by_label("Tags", exact=True).fill("e2e, warehouse")
    dialog.get_by_role("button", name="Test connection").click()
    report = dialog.get_by_test_id("test-report")
    expect(report).to_contain_text("ok", timeout=20_000)
    screenshot(page, "05-node-test-ok")
    dialog.get_by_role("button", name="Add node").click()
    card = page.get_by_test_id("node-card").filter(has_text="Test warehouse")
    expect(card).to_be_visible()

    card.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Stored encrypted")).to_be_visible()
    dialog.get_by_role("button", name="Replace Password").click()
    dialog.get_by_label("Password", exact=True).fill("not-the-password")
    dialog.get_by_role("button", name="Save & test").click()
    report = dialog.get_by_test_id("test-report")
    expect(report).to_contain_text("error", timeout=20_000)
    expect(report.locator('[data-testid="test-step"].failed').first).to_be_visible()
    screenshot(page, "06-node-test-error")

    dialog.get_by_role("tab", name="Check history").click()
    expect(dialog.get_by_test_id("check-history")).to_contain_text("error")
    dialog.get_by_role("button", name="Close").first.click()
    expect(page.get_by_test_id("node-card").filter(has_text="Test warehouse")).to_contain_text("error")
    screenshot(page, "07-nodes")


def test_viewer_sees_everything_and_can_change_nothing(page, live_server) -> None:
    with live_server.api() as api:
        created = api.post("/api/auth/users", json={"username": "viewer", "password": VIEWER_PASSWORD, "role": "viewer"})
        assert created.status_code in (201, 409), created.text
    revenue = _node_id(live_server, "analytics.marts.fct_revenue")
    log_in(page, "viewer", VIEWER_PASSWORD, f"/ui/lineage?node={revenue}")
    expect(page.get_by_test_id("user-role")).to_have_text("viewer")
    expect(_canvas_node(page, "analytics.marts.fct_revenue")).to_be_visible()
    expect(page.get_by_role("button", name="Save as dashboard")).to_have_count(0)
    screenshot(page, "08-viewer-lineage")

    page.get_by_role("link", name="Nodes").click()
    expect(page.get_by_role("heading", name="Nodes")).to_be_visible()
    expect(page.get_by_role("button", name="Add node")).to_have_count(0)
    cards = page.get_by_test_id("node-card")
    if cards.count():
        cards.first.click()
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_text("read-only access")).to_be_visible()
        for name in ("Test connection", "Save & test", "Save changes", "Delete", "Replace Password"):
            expect(dialog.get_by_role("button", name=name)).to_have_count(0)
        dialog.get_by_role("button", name="Close").first.click()

    page.get_by_role("link", name="Dashboards").click()
    expect(page.get_by_role("heading", name="Dashboards")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^(Rename|Delete)"))).to_have_count(0)
    screenshot(page, "09-viewer-dashboards")


# Open screens update live: the node list is cached for 30 s and not refetched on focus, so
# only the event stream (GET /api/events) can move this badge without a reload.
def test_a_node_badge_follows_a_status_change_made_elsewhere(page, live_server, postgres_server) -> None:
    config = {
        "host": postgres_server.host, "port": postgres_server.port, "database": "postgres",
        "user": postgres_server.user, "password": postgres_server.password,
    }  # fmt: skip
    with live_server.api() as api:
        node = api.post("/api/nodes", json={"name": "Live warehouse", "type": "postgresql", "config": config}).json()
    log_in(page, "admin", ADMIN_PASSWORD, "/ui/nodes")
    card = page.get_by_test_id("node-card").filter(has_text="Live warehouse")
    expect(card).to_have_attribute("aria-label", "Live warehouse, PostgreSQL, status unknown")

    with live_server.api() as api:
        assert api.post(f"/api/nodes/{node['id']}/test").json()["status"] == "ok"

    expect(card).to_have_attribute("aria-label", "Live warehouse, PostgreSQL, status ok", timeout=10_000)
    screenshot(page, "10-node-status-live")


def test_an_admin_sees_who_changed_what_in_the_audit_log(page, live_server) -> None:
    with live_server.api() as api:
        created = api.post("/api/dashboards", json={"name": "Audit trail demo"})
        assert created.status_code == 201, created.text
        api.patch(f"/api/dashboards/{created.json()['id']}", json={"name": "Audit trail demo v2"}).raise_for_status()

    log_in(page, "admin", ADMIN_PASSWORD, "/ui/lineage")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    rows = page.get_by_test_id("audit-row")
    newest = rows.first
    expect(newest).to_contain_text("Audit trail demo v2")
    expect(newest).to_contain_text("update")
    expect(newest).to_contain_text("admin")
    expect(newest.locator("li", has_text="name:")).to_contain_text("Audit trail demo → Audit trail demo v2")

    page.get_by_label("Entity type").select_option("dashboard")
    page.get_by_label("Action").select_option("create")
    expect(rows.filter(has_text="Audit trail demo")).to_have_count(1)
    expect(rows.filter(has_text="update")).to_have_count(0)
    screenshot(page, "11-audit-log")


def _post_run_event(live_server, token: str) -> httpx.Response:
    """What an OpenLineage client configured with OPENLINEAGE_API_KEY sends."""
    event = run_event("e2e_token_dag", "0190c7a0-0000-7000-8000-0000000000e2", "START", "2026-01-01T00:00:00Z", namespace="airflow")
    return httpx.post(f"{live_server.base_url}/api/v1/lineage", json=event, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_an_admin_creates_an_ingest_token_in_the_ui_and_revoking_it_stops_it(page, live_server) -> None:
    log_in(page, "admin", ADMIN_PASSWORD, "/ui/lineage")
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    form = page.get_by_role("form", name="New token")
    form.get_by_label("Name").fill("airflow-e2e")
    expect(form.get_by_label("Role")).to_have_value("ingest")

    # An impossible lifetime: the server's answer names the field, next to the form.
    form.get_by_label("Lifetime in days").fill("0")
    form.get_by_role("button", name="Create token").click()
    expect(form.get_by_role("alert")).to_contain_text("expires_in_days")
    expect(form.get_by_label("Lifetime in days")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("region", name="New token value")).to_have_count(0)

    form.get_by_label("Lifetime in days").fill("30")
    form.get_by_role("button", name="Create token").click()
    panel = page.get_by_role("region", name="New token value")
    expect(panel).to_contain_text("will not be shown again")
    value = panel.get_by_test_id("token-value").inner_text()
    settings = f"OPENLINEAGE_URL={live_server.base_url}\nOPENLINEAGE_API_KEY={value}"
    expect(panel.get_by_test_id("token-settings")).to_have_text(settings)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    panel.get_by_role("button", name="Copy both lines").click()
    expect(panel.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == settings
    expect(form.get_by_role("alert")).to_have_count(0)
    row = page.locator('[data-testid="token-row"][data-name="airflow-e2e"]')
    expect(row).to_contain_text("ingest")
    expect(row.get_by_test_id("token-status")).to_have_text("active")
    assert value not in row.inner_text()
    screenshot(page, "12-api-token-created")

    posted = _post_run_event(live_server, value)
    assert posted.status_code == 201, posted.text

    page.get_by_role("button", name="I have stored it").click()
    expect(panel).to_have_count(0)
    expect(page.get_by_text(value)).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(row.get_by_test_id("token-status")).to_have_text("revoked")
    expect(row.get_by_role("button", name="Revoke")).to_have_count(0)
    screenshot(page, "13-api-token-revoked")

    refused = _post_run_event(live_server, value)
    assert refused.status_code == 401, refused.text


@pytest.mark.parametrize(("link", "path"), [("Audit log", "/ui/audit"), ("API tokens", "/ui/tokens")])
def test_a_viewer_has_no_admin_page_link_and_is_refused_the_page(page, live_server, link: str, path: str) -> None:
    with live_server.api() as api:
        created = api.post("/api/auth/users", json={"username": "viewer", "password": VIEWER_PASSWORD, "role": "viewer"})
        assert created.status_code in (201, 409), created.text

    log_in(page, "viewer", VIEWER_PASSWORD, "/ui/lineage")
    expect(page.get_by_role("link", name="Dashboards")).to_be_visible()
    expect(page.get_by_role("link", name=link)).to_have_count(0)
    page.goto(path)
    expect(page.locator("#main").get_by_text("needs the admin role")).to_be_visible()
    expect(page.get_by_role("form", name="New token")).to_have_count(0)