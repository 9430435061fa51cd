"""API tokens: admin CRUD, the value shown once and stored hashed, roles enforced per route."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from dlv.db.models import ApiToken
from tests.integration.openlineage.conftest import issue_token, post, row_counts, run_event

EVENT = run_event("load", "r1", "COMPLETE", "2024-06-01T10:00:00Z", outputs=["totals"])


async def test_admin_creates_lists_and_revokes_tokens(client, session_factory, admin_headers) -> None:
    created = await client.post("/api/tokens", json={"name": "airflow-prod", "role": "ingest"}, headers=admin_headers)
    assert created.status_code == 201
    body = created.json()
    value = body["token"]
    assert value.startswith("dlv_") and body["role"] == "ingest" and value.startswith(body["prefix"])
    async with session_factory() as session:
        stored = await session.scalar(select(ApiToken))
    assert stored.token_hash == hashlib.sha256(value.encode()).hexdigest() and value not in repr(stored.__dict__)

    listed = (await client.get("/api/tokens", headers=admin_headers)).json()
    assert [item["name"] for item in listed["items"]] == ["airflow-prod"] and "token" not in listed["items"][0]
    assert listed["items"][0]["last_used_at"] is None

    ingest = {"Authorization": f"Bearer {value}"}
    assert (await post(client, ingest, EVENT)).status_code == 201
    used = (await client.get(f"/api/tokens/{body['id']}", headers=admin_headers)).json()
    assert used["last_used_at"] is not None

    assert (await client.delete(f"/api/tokens/{body['id']}", headers=admin_headers)).status_code == 204
    refused = await post(client, ingest, EVENT)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert (await client.get("/api/tokens", headers=admin_headers)).json()["total"] == 0
    assert (await client.get("/api/tokens", params={"include_revoked": True}, headers=admin_headers)).json()["total"] == 1


async def test_each_role_reaches_only_its_routes(client, session_factory, viewer_headers) -> None:
    ingest = await issue_token(session_factory, "ingest")
    viewer_token = await issue_token(session_factory, "viewer")
    admin_token = await issue_token(session_factory, "admin")

    assert (await post(client, {}, EVENT)).status_code == 401
    assert (await post(client, {"Authorization": "Bearer dlv_not-a-real-token"}, EVENT)).status_code == 401
    for headers in (viewer_headers, viewer_token):
        refused = await post(client, headers, EVENT)
        assert refused.status_code == 403 and "ingest" in refused.json()["detail"]
    # An ingest token posts events and nothing else: no reads, no writes, no token admin.
    assert (await post(client, ingest, EVENT)).status_code == 201
    for method, path in (("GET", "/api/lineage/assets"), ("GET", "/api/v1/events/lineage"), ("GET", "/api/auth/me"), ("GET", "/api/tokens")):
        assert (await client.request(method, path, headers=ingest)).status_code == 403, path
    assert (await client.post("/api/lineage/assets", json={"namespace": "n", "name": "x"}, headers=ingest)).status_code == 403
    assert (await client.post("/api/tokens", json={"name": "x"}, headers=viewer_token)).status_code == 403
    assert (await client.get("/api/v1/events/lineage", headers=viewer_token)).status_code == 200
    assert (await client.post("/api/tokens", json={"name": "x", "role": "viewer"}, headers=admin_token)).status_code == 201
    assert (await post(client, admin_token, run_event("load", "r2", "COMPLETE", "2024-06-01T11:00:00Z"))).status_code == 201
    assert (await row_counts(session_factory))["events"] == 2


async def test_a_token_role_must_be_one_of_the_three(client, admin_headers) -> None:
    response = await client.post("/api/tokens", json={"name": "x", "role": "root"}, headers=admin_headers)
    assert response.status_code == 400 and "role" in response.json()["detail"]
