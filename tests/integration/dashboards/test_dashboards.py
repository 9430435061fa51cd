"""Dashboards through the API: admins save canvases, viewers open them, bad layouts store nothing."""

from __future__ import annotations

from uuid import uuid4

from sqlalchemy import func, select

from dlv.db.models import Dashboard

LAYOUT = {
    "root_id": str(uuid4()),
    "upstream_depth": 3,
    "downstream_depth": 1,
    "columns": True,
    "expanded": [str(uuid4())],
    "positions": {"a": {"x": 10.5, "y": -4.0}},
    "viewport": {"x": 12.0, "y": 8.0, "zoom": 0.75},
    "annotations": [{"text": "Incident 42 started here", "x": 1.0, "y": 2.0}],
}


async def _count(session_factory) -> int:
    async with session_factory() as session:
        return await session.scalar(select(func.count()).select_from(Dashboard))


async def test_admin_saves_lists_renames_and_deletes_a_dashboard(client, admin_headers, session_factory) -> None:
    created = await client.post(
        "/api/dashboards", json={"name": "Orders incident", "description": "what broke", "layout": LAYOUT}, headers=admin_headers
    )
    assert created.status_code == 201, created.text
    dashboard = created.json()
    assert dashboard["owner"] == "admin"
    assert dashboard["layout"]["positions"] == {"a": {"x": 10.5, "y": -4.0}}
    assert dashboard["layout"]["viewport"] == {"x": 12.0, "y": 8.0, "zoom": 0.75}
    assert dashboard["layout"]["upstream_depth"] == 3 and dashboard["layout"]["columns"] is True

    listed = (await client.get("/api/dashboards", headers=admin_headers)).json()
    assert listed["total"] == 1 and listed["items"][0]["name"] == "Orders incident"
    assert "layout" not in listed["items"][0]

    renamed = await client.patch(f"/api/dashboards/{dashboard['id']}", json={"name": "Orders, resolved"}, headers=admin_headers)
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Orders, resolved" and renamed.json()["layout"] == dashboard["layout"]

    deleted = await client.delete(f"/api/dashboards/{dashboard['id']}", headers=admin_headers)
    assert deleted.status_code == 204
    assert (await client.get(f"/api/dashboards/{dashboard['id']}", headers=admin_headers)).status_code == 404
    assert await _count(session_factory) == 0


async def test_viewer_opens_dashboards_but_cannot_change_them(client, admin_headers, viewer_headers, session_factory) -> None:
    dashboard = (await client.post("/api/dashboards", json={"name": "Shared"}, headers=admin_headers)).json()

    opened = await client.get(f"/api/dashboards/{dashboard['id']}", headers=viewer_headers)
    assert opened.status_code == 200 and opened.json()["layout"]["upstream_depth"] == 2

    assert (await client.post("/api/dashboards", json={"name": "Mine"}, headers=viewer_headers)).status_code == 403
    assert (await client.patch(f"/api/dashboards/{dashboard['id']}", json={"name": "x"}, headers=viewer_headers)).status_code == 403
    assert (await client.delete(f"/api/dashboards/{dashboard['id']}", headers=viewer_headers)).status_code == 403
    assert await _count(session_factory) == 1


async def test_anonymous_callers_are_refused(client) -> None:
    assert (await client.get("/api/dashboards")).status_code == 401


async def test_an_invalid_layout_is_refused_and_nothing_is_stored(client, admin_headers, session_factory) -> None:
    bad = await client.post(
        "/api/dashboards", json={"name": "Broken", "layout": {"viewport": {"zoom": -1}}}, headers=admin_headers
    )

    assert bad.status_code == 400
    assert "zoom" in bad.text
    assert await _count(session_factory) == 0


async def test_search_finds_dashboards_by_name(client, admin_headers) -> None:
    for name in ("Payments", "Orders daily", "Orders weekly"):
        await client.post("/api/dashboards", json={"name": name}, headers=admin_headers)

    found = (await client.get("/api/dashboards", params={"searchString": "orders"}, headers=admin_headers)).json()

    assert sorted(item["name"] for item in found["items"]) == ["Orders daily", "Orders weekly"]
