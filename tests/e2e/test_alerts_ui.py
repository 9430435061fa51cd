"""Alert channels and rules in a real browser: an admin adds a signed webhook (a refused
address is named next to the form), a rule that sends to it, and sees the alert it fires;
a viewer reads the rules and has no form to change them."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from tests.e2e.conftest import ADMIN_PASSWORD, VIEWER_PASSWORD, log_in, screenshot
from tests.integration.openlineage.conftest import run_event

WEBHOOK_SECRET_KEY = "e2e-whsec-7c1d9b3f5a"


def test_an_admin_adds_a_channel_and_a_rule_and_sees_the_alert_it_fires(page, live_server) -> None:
    log_in(page, "admin", ADMIN_PASSWORD, "/ui/lineage")
    page.get_by_role("link", name="Alerts").click()
    expect(page.get_by_role("heading", name="Alerts")).to_be_visible()
    page.get_by_role("link", name="Channels").click()

    page.get_by_label("Name").fill("ops hook")
    page.get_by_label("URL").fill("http://169.254.169.254/latest")
    page.get_by_label("Signing secret").fill(WEBHOOK_SECRET_KEY)
    page.get_by_role("button", name="Add channel").click()
    expect(page.get_by_role("alert")).to_contain_text("refuses to send to 169.254.169.254")
    expect(page.get_by_label("URL")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("URL").fill("https://hooks.example.com/dlv")
    page.get_by_role("button", name="Add channel").click()
    row = page.locator('[data-testid="channel-row"][data-name="ops hook"]')
    expect(row).to_contain_text("secret set")
    expect(page.locator("body")).not_to_contain_text(WEBHOOK_SECRET_KEY)

    page.get_by_role("link", name="Rules").click()
    # The Channels page has a Name field too: fill the rule's only once its form is there.
    expect(page.get_by_role("button", name="Add rule")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("loader fails")
    page.get_by_label("Alert when").select_option("run_failed")
    page.get_by_role("checkbox", name="ops hook (webhook)").check()
    page.get_by_role("button", name="Add rule").click()
    expect(page.locator('[data-testid="rule-row"][data-name="loader fails"]')).to_contain_text("run_failed")
    screenshot(page, "12-alert-rules")

    failed = run_event("e2e_loader", "0190c7a0-0000-7000-8000-00000000a1e7", "FAIL", "2026-01-01T00:00:00Z", outputs=["e2e_orders"])
    with live_server.api() as api:
        assert api.post("/api/v1/lineage", json=failed).status_code == 201
    page.get_by_role("link", name="Fired alerts").click()
    alert = page.get_by_test_id("alert-row").first
    expect(alert).to_contain_text("e2e_loader")
    expect(alert).to_contain_text("loader fails")
    expect(alert).to_contain_text("ops hook")
    screenshot(page, "13-alerts")

    # The failed job carries a badge with its open alert in the explorer.
    with live_server.api() as api:
        loader = next(hit for hit in api.get("/api/search", params={"q": "e2e_loader"}).json()["items"] if hit["type"] == "process")
    page.goto(f"{live_server.base_url}/ui/lineage?node={loader['id']}")
    badge = page.locator('[data-testid="lineage-node"][data-name="e2e_loader"] [data-testid="alert-badge"]')
    expect(badge).to_have_text("1")
    expect(badge).to_have_attribute("title", "1 open alert")
    screenshot(page, "14-alert-badge")


def test_a_viewer_reads_rules_but_has_no_form_and_no_channels(page, live_server) -> None:
    with live_server.api() as api:
        response = api.post("/api/auth/users", json={"username": "alert-viewer", "password": VIEWER_PASSWORD, "role": "viewer"})
        assert response.status_code in (201, 409), response.text
        rule = api.post("/api/alerts/rules", json={"name": "stale orders", "condition": {"kind": "freshness", "max_age_seconds": 7200}})
        assert rule.status_code in (201, 409), rule.text

    log_in(page, "alert-viewer", VIEWER_PASSWORD, "/ui/alerts/rules")
    expect(page.locator('[data-testid="rule-row"][data-name="stale orders"]')).to_contain_text("after 120 min")
    expect(page.get_by_role("form", name="New rule")).to_have_count(0)
    expect(page.get_by_role("link", name="Channels")).to_have_count(0)
    assert httpx.get(f"{live_server.base_url}/api/alerts/channels", timeout=10).status_code == 401
