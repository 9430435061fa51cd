"""Channels and rules through the API: secrets are write-only and sealed, bad input is a 400
naming the field (and stores nothing), viewers read rules but cannot change them, and every
admin write is in the audit log."""

from __future__ import annotations

from sqlalchemy import func, select

from dlv.db.models import AlertChannel, AlertRule
from tests.integration.alerts.conftest import SLACK_PATH, WEBHOOK_SECRET_KEY, alerts, create
from tests.integration.openlineage.conftest import run_event

HOOK = {"name": "hook", "kind": "webhook", "config": {"url": "https://hooks.example.com/dlv", "secret": WEBHOOK_SECRET_KEY}}


async def _refused(client, headers, path: str, cases: list[tuple[dict, str]]) -> None:
    """Each body is a 400 naming its field."""
    for body, field in cases:
        response = await client.post(path, json=body, headers=headers)
        assert response.status_code == 400, (body, response.text)
        assert field in response.text, (field, response.text)


async def test_channel_secrets_are_sealed_write_only_and_kept_on_patch(client, admin_headers, session_factory) -> None:
    created = await create(client, admin_headers, "/api/alerts/channels", HOOK)
    slack = await create(client, admin_headers, "/api/alerts/channels", {"name": "chat", "kind": "slack", "config": {"url": f"https://hooks.slack.com{SLACK_PATH}"}})

    assert created["config"] == {"url": "https://hooks.example.com/dlv", "secret": None} and created["secrets_set"] == ["secret"]
    assert slack["config"] == {"url": None} and slack["secrets_set"] == ["url"]
    async with session_factory() as session:
        stored = {row.name: row for row in await session.scalars(select(AlertChannel))}
    assert WEBHOOK_SECRET_KEY not in str(stored["hook"].config) and stored["hook"].encrypted_secrets.startswith("dlv1.")
    assert SLACK_PATH not in str(stored["chat"].config) and SLACK_PATH not in stored["chat"].encrypted_secrets

    response = await client.patch(f"/api/alerts/channels/{created['id']}", json={"config": {"url": "https://other.example.com/x"}}, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.json()["secrets_set"] == ["secret"]
    async with session_factory() as session:
        sealed = (await session.get(AlertChannel, stored["hook"].id)).encrypted_secrets
    assert sealed != stored["hook"].encrypted_secrets  # sealed again, with the same secret kept

    listed = await client.get("/api/alerts/channels", headers=admin_headers)
    assert [item["name"] for item in listed.json()] == ["chat", "hook"]
    audit = (await client.get("/api/audit", params={"entity_type": "alert_channel"}, headers=admin_headers)).json()["items"]
    assert {entry["action"] for entry in audit} == {"create", "update"}
    assert all(WEBHOOK_SECRET_KEY not in str(entry) for entry in audit)


async def test_bad_channels_are_refused_naming_the_field_and_store_nothing(client, admin_headers, session_factory) -> None:
    cases = [
        ({**HOOK, "config": {"url": "http://169.254.169.254/latest", "secret": WEBHOOK_SECRET_KEY}}, "config.url"),
        ({**HOOK, "config": {"url": "http://[::ffff:169.254.169.254]/", "secret": WEBHOOK_SECRET_KEY}}, "config.url"),
        ({**HOOK, "config": {"url": "ftp://files.example.com/", "secret": WEBHOOK_SECRET_KEY}}, "config.url"),
        ({**HOOK, "config": {"url": "https://user:pw@hooks.example.com/", "secret": WEBHOOK_SECRET_KEY}}, "config.url"),
        ({**HOOK, "config": {"url": "https://hooks.example.com/"}}, "config.secret"),
        ({**HOOK, "config": {"url": "https://hooks.example.com/", "secret": WEBHOOK_SECRET_KEY, "extra": 1}}, "config.extra"),
        ({"name": "chat", "kind": "slack", "config": {}}, "config.url"),
        ({"name": "mail", "kind": "email", "config": {"to": ["not an address"]}}, "config.to[0]"),
        ({"name": "x", "kind": "pager", "config": {}}, "kind"),
        ({"name": "", "kind": "email"}, "name"),
    ]
    await _refused(client, admin_headers, "/api/alerts/channels", cases)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(AlertChannel)) == 0

    await create(client, admin_headers, "/api/alerts/channels", HOOK)
    duplicate = await client.post("/api/alerts/channels", json=HOOK, headers=admin_headers)
    assert duplicate.status_code == 409 and "name" in duplicate.text


async def test_rules_are_checked_read_by_viewers_and_changed_by_admins_only(client, admin_headers, viewer_headers, session_factory) -> None:
    channel = await create(client, admin_headers, "/api/alerts/channels", HOOK)
    body = {"name": "stale orders", "condition": {"kind": "freshness", "max_age_seconds": 3600}, "channel_ids": [channel["id"]],
            "scope": {"namespaces": ["postgres://db:5432"], "tags": ["finance"]}, "notify_downstream_owners": True}  # fmt: skip
    bad = [
        ({**body, "condition": {"kind": "freshness"}}, "condition.max_age_seconds"),
        ({**body, "condition": {"kind": "run_failed", "max_age_seconds": 60}}, "condition.max_age_seconds"),
        ({**body, "condition": {"kind": "volcano"}}, "condition.kind"),
        ({**body, "channel_ids": ["00000000-0000-4000-8000-000000000000"]}, "channel_ids"),
        ({**body, "scope": {"asset_ids": ["00000000-0000-4000-8000-000000000000"]}}, "scope.asset_ids"),
        ({**body, "scope": {"owners": ["x"]}}, "owners"),
    ]
    await _refused(client, admin_headers, "/api/alerts/rules", bad)
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(AlertRule)) == 0

    rule = await create(client, admin_headers, "/api/alerts/rules", body)
    assert rule["condition"] == {"kind": "freshness", "max_age_seconds": 3600}
    assert rule["scope"]["namespaces"] == ["postgres://db:5432"] and rule["channel_ids"] == [channel["id"]]

    assert (await client.get("/api/alerts/rules", headers=viewer_headers)).json()[0]["id"] == rule["id"]
    for method, path in (("post", "/api/alerts/rules"), ("patch", f"/api/alerts/rules/{rule['id']}"), ("delete", f"/api/alerts/rules/{rule['id']}")):
        response = await client.request(method.upper(), path, json=body if method != "delete" else None, headers=viewer_headers)
        assert response.status_code == 403, (method, response.text)
    assert (await client.get("/api/alerts/channels", headers=viewer_headers)).status_code == 403

    patched = await client.patch(f"/api/alerts/rules/{rule['id']}", json={"enabled": False}, headers=admin_headers)
    assert patched.status_code == 200 and patched.json()["enabled"] is False and patched.json()["condition"]["max_age_seconds"] == 3600
    assert (await client.delete(f"/api/alerts/rules/{rule['id']}", headers=admin_headers)).status_code == 204
    audit = (await client.get("/api/audit", params={"entity_type": "alert_rule"}, headers=admin_headers)).json()["items"]
    assert sorted(entry["action"] for entry in audit) == ["create", "delete", "update"]


async def test_bad_event_queries_are_refused_naming_the_parameter(client, viewer_headers) -> None:
    for params, field in (({"limit": 0}, "limit"), ({"ids": "not-a-uuid"}, "ids"), ({"status": "maybe"}, "status")):
        path = "/api/alerts/open" if "ids" in params else "/api/alerts/events"
        response = await client.get(path, params=params, headers=viewer_headers)
        assert response.status_code == 400 and field in response.text, response.text


async def test_an_admin_resolves_an_alert_by_hand(client, admin_headers) -> None:
    await create(client, admin_headers, "/api/alerts/rules", {"name": "failures", "condition": {"kind": "run_failed"}})
    failed = run_event("nightly", "f1111111-1111-4111-8111-111111111111", "FAIL", "2026-01-05T09:00:00Z")
    assert (await client.post("/api/v1/lineage", json=failed, headers=admin_headers)).status_code == 201
    [alert] = await alerts(client, admin_headers, status="open")

    response = await client.post(f"/api/alerts/events/{alert['id']}/resolve", headers=admin_headers)
    assert response.status_code == 200 and response.json()["id"] == alert["id"] and response.json()["resolved_at"]
    assert await alerts(client, admin_headers, status="open") == []
    missing = await client.post("/api/alerts/events/00000000-0000-4000-8000-000000000000/resolve", headers=admin_headers)
    assert missing.status_code == 404 and "alert_id" in missing.text
