"""Helpers shared by the explorer's browser tests: find ids, nodes, and open the explorer."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import ADMIN_PASSWORD, log_in


def entity_id(live_server, name: str) -> str:
    with live_server.api() as api:
        hits = api.get("/api/search", params={"q": name, "limit": 50}).json()["items"]
    return next(hit["id"] for hit in hits if hit["name"] == name)


def lineage_node(page, name: str):
    return page.locator(f'[data-testid="lineage-node"][data-name="{name}"]')


def open_explorer(page, live_server, name: str, query: str = "") -> None:
    log_in(page, "admin", ADMIN_PASSWORD, f"/ui/lineage?node={entity_id(live_server, name)}{query}")
    expect(lineage_node(page, name)).to_be_visible()
