"""``kill -9`` of a real ``dlv serve`` right after a job failed, while the receiver is down:
the alert was committed with the failure, so the next process delivers it, once."""

from __future__ import annotations

import httpx

from tests.integration.alerts.conftest import WEBHOOK_SECRET_KEY, Receiver, wait_for
from tests.integration.leadership.conftest import Launch, fresh_database, launch  # noqa: F401 - fixtures
from tests.integration.openlineage.conftest import run_event

FAST = {"DLV_ALERT_DISPATCH_INTERVAL_SECONDS": "0.3"}


async def test_an_alert_survives_kill_9_between_its_cause_and_its_delivery(launch: Launch, receiver: Receiver) -> None:
    receiver.down()
    [first] = await launch("first", **FAST)
    headers = await first.login()
    async with httpx.AsyncClient(base_url=first.base, headers=headers, timeout=20) as http:
        hook = await http.post("/api/alerts/channels", json={"name": "hook", "kind": "webhook", "config": {"url": receiver.url, "secret": WEBHOOK_SECRET_KEY}})
        assert hook.status_code == 201, hook.text
        rule = await http.post("/api/alerts/rules", json={"name": "failures", "condition": {"kind": "run_failed"}, "channel_ids": [hook.json()["id"]]})
        assert rule.status_code == 201, rule.text
        failed = run_event("nightly", "e1111111-1111-4111-8111-111111111111", "FAIL", "2026-01-05T09:00:00Z", outputs=["orders"])
        assert (await http.post("/api/v1/lineage", json=failed)).status_code == 201
    first.kill()
    receiver.up()

    [second] = await launch("second", **FAST)
    await wait_for(lambda: receiver.received, 60, "the delivery by the next process")
    await wait_for(lambda: True, 2, "a few more dispatcher rounds")
    async with httpx.AsyncClient(base_url=second.base, headers=await second.login(), timeout=20) as http:
        [alert] = (await http.get("/api/alerts/events")).json()["items"]
    assert [body["id"] for body in receiver.bodies()] == [alert["id"]]
    assert alert["deliveries"][0]["state"] == "delivered"
