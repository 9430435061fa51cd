"""/metrics after real requests: the series an operator graphs and alerts on move, with
labels that name route templates, stores, node types and outcomes — never a person or a secret."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update

from dlv.app import create_app
from dlv.db.models import GraphOutbox
from tests.conftest import ADMIN_PASSWORD, VIEWER_PASSWORD, create_user, login
from tests.integration.lineage.conftest import GraphBuilder
from tests.integration.nodes.conftest import api_config
from tests.integration.observability.conftest import Client, scrape
from tests.integration.openlineage.conftest import issue_token, run_event

REQUESTS = "dlv_http_request_duration_seconds_count"
GRAPH_QUERIES = "dlv_graph_query_duration_seconds_count"
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def sql_store(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


async def test_request_latency_is_labelled_by_route_template_method_and_status_class(client: Client, admin_headers) -> None:
    lineage = GraphBuilder(client, admin_headers)
    ids = await lineage.build([("raw", "p_load"), ("p_load", "clean")])
    for name in ("raw", "clean"):
        assert (await client.get(f"/api/lineage/assets/{ids[name]}", headers=admin_headers)).status_code == 200
    assert (await client.get(f"/api/lineage/assets/{uuid4()}", headers=admin_headers)).status_code == 404
    assert (await client.get("/api/lineage/assets")).status_code == 401
    assert (await client.get("/api/no-such-thing")).status_code == 404

    metrics = await scrape(client)

    template = "/api/lineage/assets/{asset_id}"
    assert metrics.value(REQUESTS, method="GET", route=template, status="2xx") == 2
    assert metrics.value(REQUESTS, method="GET", route=template, status="4xx") == 1
    assert metrics.value(REQUESTS, method="GET", route="/api/lineage/assets", status="4xx") == 1  # refused by auth
    assert metrics.value(REQUESTS, method="POST", route="/api/lineage/bulk", status="2xx") == 1
    assert metrics.value(REQUESTS, method="GET", route="<unmatched>", status="4xx") == 1
    routes = {labels["route"] for labels, _ in metrics.samples(REQUESTS)}
    assert not any(UUID_TEXT.search(route) for route in routes), routes  # templates, never concrete ids
    buckets = [labels for labels, _ in metrics.samples("dlv_http_request_duration_seconds_bucket") if labels["route"] == template]
    assert {labels["le"] for labels in buckets} >= {"0.1", "1.0", "+Inf"}


async def test_graph_queries_are_timed_per_store_and_direction(client: Client, admin_headers, database_url: str) -> None:
    lineage = GraphBuilder(client, admin_headers)
    await lineage.build([("a", "p_1"), ("p_1", "b"), ("b", "p_2"), ("p_2", "c")])
    before = await scrape(client)
    await lineage.graph("a", direction="downstream", depth=3)
    await lineage.graph("c", direction="upstream")
    await lineage.graph("b", direction="upstream")
    impact = await client.get("/api/lineage/impact", params={"node_id": lineage.ids["b"]}, headers=admin_headers)
    assert impact.status_code == 200

    after = await scrape(client)

    store = sql_store(database_url)
    assert before.samples(GRAPH_QUERIES) == []
    # an impact analysis walks both ways: one downstream and one upstream traversal
    assert after.value(GRAPH_QUERIES, store=store, direction="downstream") == 2
    assert after.value(GRAPH_QUERIES, store=store, direction="upstream") == 3
    assert {labels["store"] for labels, _ in after.samples(GRAPH_QUERIES)} == {store}
    assert after.value("dlv_graph_query_duration_seconds_sum", store=store, direction="upstream") > 0


async def test_openlineage_events_are_counted_as_accepted_or_rejected(client: Client, session_factory) -> None:
    ingest = await issue_token(session_factory, "ingest")
    event = run_event("load", "0190a1b2-0000-7000-8000-0000000000a1", "COMPLETE", "2024-06-01T10:00:00Z", outputs=["totals"])
    assert (await client.post("/api/v1/lineage", json=event, headers=ingest)).status_code == 201
    assert (await client.post("/api/v1/lineage", json=event, headers=ingest)).status_code == 200  # a repeat: accepted
    later = run_event("load", "0190a1b2-0000-7000-8000-0000000000a2", "START", "2024-06-02T10:00:00Z")
    assert (await client.post("/api/v1/lineage", json=later, headers=ingest)).status_code == 201
    broken = {**event, "eventTime": "yesterday"}
    assert (await client.post("/api/v1/lineage", json=broken, headers=ingest)).status_code == 400
    assert (await client.post("/api/v1/lineage", content=b"{not json", headers=ingest)).status_code == 400
    assert (await client.post("/api/v1/lineage", json=event)).status_code == 401  # never reached the handler

    metrics = await scrape(client)

    assert metrics.value("dlv_openlineage_events_total", outcome="accepted") == 3
    assert metrics.value("dlv_openlineage_events_total", outcome="rejected") == 2


async def test_node_checks_are_counted_by_node_type_and_result(client: Client, admin_headers, http_peer) -> None:
    healthy = await client.post(
        "/api/nodes", json={"name": "billing-api", "type": "api", "config": api_config(http_peer.url)}, headers=admin_headers
    )
    failing = await client.post(
        "/api/nodes",
        json={"name": "broken-api", "type": "api", "config": api_config(http_peer.url, health_path="/fail")},
        headers=admin_headers,
    )
    assert healthy.status_code == failing.status_code == 201, (healthy.text, failing.text)
    for node, expected in ((healthy, "ok"), (healthy, "ok"), (failing, "error")):
        report = await client.post(f"/api/nodes/{node.json()['id']}/test", headers=admin_headers)
        assert report.status_code == 200 and report.json()["status"] == expected, report.text

    metrics = await scrape(client)

    assert metrics.value("dlv_node_checks_total", node_type="api", status="ok") == 2
    assert metrics.value("dlv_node_checks_total", node_type="api", status="error") == 1


async def test_outbox_lag_is_read_from_the_database_at_each_scrape(client: Client, session_factory) -> None:
    empty = await scrape(client)
    assert empty.value("dlv_graph_outbox_pending_rows") == 0
    assert empty.value("dlv_graph_outbox_oldest_age_seconds") == 0

    now = datetime.now(timezone.utc)
    async with session_factory() as session:
        session.add_all(
            [
                GraphOutbox(edge_id=uuid4(), created_at=now - timedelta(minutes=10)),
                GraphOutbox(edge_id=uuid4(), created_at=now - timedelta(minutes=2)),
                GraphOutbox(edge_id=uuid4(), created_at=now - timedelta(hours=1), applied_at=now),
            ]
        )
        await session.commit()
    waiting = await scrape(client)
    assert waiting.value("dlv_graph_outbox_pending_rows") == 2
    assert 600 <= waiting.value("dlv_graph_outbox_oldest_age_seconds") < 900  # the oldest waiting row, not the applied one

    async with session_factory() as session:
        await session.execute(update(GraphOutbox).values(applied_at=now))
        await session.commit()
    caught_up = await scrape(client)
    assert caught_up.value("dlv_graph_outbox_pending_rows") == 0
    assert caught_up.value("dlv_graph_outbox_oldest_age_seconds") == 0


async def test_metrics_are_public_but_name_no_user_and_show_no_secret(client: Client, admin_headers, viewer_headers) -> None:
    token = await client.post("/api/tokens", json={"name": "airflow-prod", "role": "ingest"}, headers=admin_headers)
    assert token.status_code == 201
    assert (await client.get("/api/auth/me", headers=viewer_headers)).status_code == 200

    metrics = await scrape(client)

    assert metrics.value(REQUESTS, method="POST", route="/api/auth/login", status="2xx") == 2
    for secret_or_name in (ADMIN_PASSWORD, VIEWER_PASSWORD, token.json()["token"], "airflow-prod", "viewer-password", "Bearer"):
        assert secret_or_name not in metrics.text
    assert not re.search(r'"(admin|viewer)"', metrics.text)  # user names appear in no label value


async def test_metrics_stay_out_of_the_api_description(client: Client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()

    assert "/metrics" not in schema["paths"]


async def test_each_app_counts_only_its_own_requests(client: Client, settings) -> None:
    assert (await client.get("/health")).status_code == 200
    async with AsyncTestClient(app=create_app(settings)) as other:
        fresh = await scrape(other)
    mine = await scrape(client)

    assert fresh.value(REQUESTS, method="GET", route="/health", status="2xx") == 0
    assert mine.value(REQUESTS, method="GET", route="/health", status="2xx") == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_with_neo4j_the_outbox_drains_and_traversals_are_labelled_neo4j(neo4j_client: Client, session_factory) -> None:
    await create_user(session_factory, "admin", ADMIN_PASSWORD, "admin")
    lineage = GraphBuilder(neo4j_client, await login(neo4j_client, "admin", ADMIN_PASSWORD))
    await lineage.build([("a", "p_x"), ("p_x", "b")])

    for _ in range(100):  # the projector applies the outbox in the background
        metrics = await scrape(neo4j_client)
        if metrics.value("dlv_graph_outbox_pending_rows") == 0:
            break
        await asyncio.sleep(0.1)
    assert metrics.value("dlv_graph_outbox_pending_rows") == 0
    assert metrics.value("dlv_graph_outbox_oldest_age_seconds") == 0
    assert (await lineage.graph("a", direction="downstream"))["source"] == "neo4j"

    metrics = await scrape(neo4j_client)
    assert metrics.value(GRAPH_QUERIES, store="neo4j", direction="downstream") == 1
    assert metrics.value(GRAPH_QUERIES, store="postgresql", direction="downstream") == 0
