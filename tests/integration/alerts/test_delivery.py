"""A failing job reaches a signed webhook, a Slack channel and the downstream owners' mail,
once each, with its downstream impact; a receiver that was down gets it when it is back."""

from __future__ import annotations

import hashlib
import hmac
from email import message_from_bytes

from tests.integration.alerts.conftest import SLACK_PATH, WEBHOOK_SECRET_KEY, alerts, create, wait_for
from tests.integration.openlineage.conftest import ingest_headers, run_event  # noqa: F401 - fixture

NOW = "2026-01-05T10:00:00Z"


async def _lineage(client, admin_headers) -> dict[str, str]:
    """load_orders writes orders; build_revenue reads it and writes the revenue dashboard
    (owned by the BI team, high criticality). Returns the ids by name."""
    for event in (
        run_event("load_orders", "11111111-1111-4111-8111-111111111111", "COMPLETE", "2026-01-05T09:00:00Z", outputs=["orders"]),
        run_event("build_revenue", "22222222-2222-4222-8222-222222222222", "COMPLETE", "2026-01-05T09:10:00Z", inputs=["orders"], outputs=["revenue"]),
    ):
        assert (await client.post("/api/v1/lineage", json=event, headers=admin_headers)).status_code == 201
    assets = (await client.get("/api/lineage/assets", headers=admin_headers)).json()["items"]
    ids = {asset["name"]: asset["id"] for asset in assets}
    response = await client.patch(f"/api/lineage/assets/{ids['revenue']}", json={"owner": "bi-team@example.com", "criticality": "high"}, headers=admin_headers)
    assert response.status_code == 200, response.text
    processes = (await client.get("/api/lineage/processes", headers=admin_headers)).json()["items"]
    ids.update({process["name"]: process["id"] for process in processes})
    return ids


async def _channels(client, admin_headers, receiver, slack) -> list[str]:
    webhook = await create(client, admin_headers, "/api/alerts/channels", {"name": "ops hook", "kind": "webhook", "config": {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET_KEY}})
    chat = await create(client, admin_headers, "/api/alerts/channels", {"name": "ops slack", "kind": "slack", "config": {"url": f"{slack.url}{SLACK_PATH}"}})
    mail = await create(client, admin_headers, "/api/alerts/channels", {"name": "ops mail", "kind": "email", "config": {"to": ["ops@example.com"]}})
    return [webhook["id"], chat["id"], mail["id"]]


async def test_a_failed_run_reaches_every_channel_signed_once_with_its_impact(client, admin_headers, receiver, slack, mailbox) -> None:
    ids = await _lineage(client, admin_headers)
    channel_ids = await _channels(client, admin_headers, receiver, slack)
    rule = await create(client, admin_headers, "/api/alerts/rules", {
        "name": "orders loader fails", "condition": {"kind": "run_failed"}, "scope": {"process_ids": [ids["load_orders"]]},
        "channel_ids": channel_ids, "notify_downstream_owners": True,
    })  # fmt: skip

    failed = run_event("load_orders", "33333333-3333-4333-8333-333333333333", "FAIL", NOW, outputs=["orders"])
    assert (await client.post("/api/v1/lineage", json=failed, headers=admin_headers)).status_code == 201

    await wait_for(lambda: receiver.received and slack.received and mailbox.messages, 20, "delivery to all three channels")
    path, headers, body = receiver.received[0]
    assert path == "/hook"
    expected = "sha256=" + hmac.new(WEBHOOK_SECRET_KEY.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-dlv-signature"] == expected
    payload = receiver.bodies()[0]
    assert headers["x-dlv-alert-id"] == payload["id"]
    assert payload["rule"] == {"id": rule["id"], "name": "orders loader fails", "kind": "run_failed"}
    assert payload["subject"]["id"] == ids["load_orders"]
    assert "failed" in payload["message"]
    impacted = {item["name"]: item for item in payload["impact"]["impacted"]}
    assert {"orders", "build_revenue", "revenue"} <= impacted.keys()
    assert impacted["revenue"]["owner"] == "bi-team@example.com" and impacted["revenue"]["criticality"] == "high"
    assert payload["notify_owners"] == ["bi-team@example.com"]
    assert payload["links"]["subject"] == f"https://dlv.example.com/ui/lineage?node={ids['load_orders']}"

    slack_body = slack.bodies()[0]
    assert "load_orders" in slack_body["text"] and payload["id"] in slack_body["blocks"][0]["text"]["text"]
    mail = mailbox.messages[0]
    assert sorted(mail.rcpt_tos) == ["bi-team@example.com", "ops@example.com"]
    assert message_from_bytes(mail.content)["Message-ID"] == f"<{payload['id']}@dlv>"

    # Once: later dispatcher rounds send nothing again. The dispatcher records a delivery
    # after the peer answered, so the states are read once they have all settled.
    await wait_for(lambda: True, 1.5, "a pause")
    assert len(receiver.received) == len(slack.received) == len(mailbox.messages) == 1
    [alert] = await wait_for(lambda: _settled(client, admin_headers), 20, "every delivery recorded")
    assert alert["id"] == payload["id"] and alert["resolved_at"] is None
    assert sorted((d["channel_name"], d["state"], d["attempts"]) for d in alert["deliveries"]) == [
        ("ops hook", "delivered", 1), ("ops mail", "delivered", 1), ("ops slack", "delivered", 1)
    ]
    assert all(d["attempt_log"][0]["ok"] for d in alert["deliveries"])


async def _settled(client, admin_headers) -> list[dict] | None:
    """The alerts, once none of their deliveries is still pending."""
    found = await alerts(client, admin_headers)
    return found if found and all(d["state"] != "pending" for a in found for d in a["deliveries"]) else None


async def _fails_while_down(client, admin_headers, receiver, run_id: str) -> dict:
    """A webhook channel and a rule sending every failure to it; the receiver goes down, then
    build_revenue fails. Returns the channel."""
    await _lineage(client, admin_headers)
    hook = await create(client, admin_headers, "/api/alerts/channels", {"name": "hook", "kind": "webhook", "config": {"url": receiver.url, "secret": WEBHOOK_SECRET_KEY}})
    await create(client, admin_headers, "/api/alerts/rules", {"name": "any failure", "condition": {"kind": "run_failed"}, "channel_ids": [hook["id"]]})
    receiver.down()
    failed = run_event("build_revenue", run_id, "FAIL", NOW, inputs=["orders"])
    assert (await client.post("/api/v1/lineage", json=failed, headers=admin_headers)).status_code == 201
    return hook


async def test_a_receiver_that_was_down_gets_the_alert_when_it_is_back(client, admin_headers, receiver) -> None:
    await _fails_while_down(client, admin_headers, receiver, "44444444-4444-4444-8444-444444444444")

    async def failed_attempt():
        found = await alerts(client, admin_headers)
        return found and found[0]["deliveries"][0]["attempts"] >= 1 and found[0]
    alert = await wait_for(failed_attempt, 20, "a failed delivery attempt")
    delivery = alert["deliveries"][0]
    assert delivery["state"] == "pending" and delivery["last_error"] and not delivery["attempt_log"][0]["ok"]
    receiver.up()

    await wait_for(lambda: receiver.received, 30, "the delivery once the receiver is back")
    assert [body["id"] for body in receiver.bodies()] == [alert["id"]]

    async def delivered():  # recorded just after the receiver answered
        [after] = await alerts(client, admin_headers)
        return after["deliveries"][0]["state"] == "delivered" and after
    after = await wait_for(delivered, 10, "the delivery's record")
    assert after["deliveries"][0]["attempt_log"][-1]["ok"] and not after["deliveries"][0]["attempt_log"][0]["ok"]


async def test_open_alerts_are_counted_per_node_and_resolve_when_the_job_recovers(client, admin_headers, viewer_headers) -> None:
    ids = await _lineage(client, admin_headers)
    await create(client, admin_headers, "/api/alerts/rules", {"name": "any failure", "condition": {"kind": "run_failed"}})

    failed = run_event("load_orders", "55555555-5555-4555-8555-555555555555", "FAIL", NOW, outputs=["orders"])
    assert (await client.post("/api/v1/lineage", json=failed, headers=admin_headers)).status_code == 201
    response = await client.get("/api/alerts/open", params={"ids": f"{ids['load_orders']},{ids['orders']}"}, headers=viewer_headers)
    assert response.status_code == 200
    assert response.json() == {"counts": {ids["load_orders"]: 1}}
    every = await client.get("/api/alerts/open", headers=viewer_headers)  # what the explorer asks
    assert every.json() == {"counts": {ids["load_orders"]: 1}}

    again = run_event("load_orders", "66666666-6666-4666-8666-666666666666", "COMPLETE", "2026-01-05T11:00:00Z", outputs=["orders"])
    assert (await client.post("/api/v1/lineage", json=again, headers=admin_headers)).status_code == 201

    async def resolved():
        return (await client.get("/api/alerts/open", params={"ids": ids["load_orders"]}, headers=viewer_headers)).json() == {"counts": {}}
    await wait_for(resolved, 30, "the alert's resolution")
    [alert] = await alerts(client, viewer_headers, status="resolved")
    assert alert["kind"] == "run_failed"


async def test_an_alert_for_a_deleted_channel_fails_at_once_instead_of_retrying(client, admin_headers, receiver) -> None:
    hook = await _fails_while_down(client, admin_headers, receiver, "77777777-7777-4777-8777-777777777777")
    assert (await client.delete(f"/api/alerts/channels/{hook['id']}", headers=admin_headers)).status_code == 204

    async def given_up():
        found = await alerts(client, admin_headers)
        return found and found[0]["deliveries"][0]["state"] == "failed" and found[0]["deliveries"][0]
    delivery = await wait_for(given_up, 20, "the delivery's failure")
    assert delivery["channel_id"] == hook["id"] and delivery["channel_name"] == "hook"
    assert delivery["last_error"] == "the channel was deleted" and delivery["next_attempt_at"] is None
