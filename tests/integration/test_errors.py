"""Every refusal (4xx) is a problem document whose ``errors`` names the field to fix, with
``field`` and ``message``: the UI points at the field from it, whoever refused the request
(a handler, a service, Litestar's validation, authentication, routing, the database)."""

from __future__ import annotations

import gzip
import uuid

import pytest


def _named_field(response, status: int) -> str:
    assert response.status_code == status, response.text[:300]
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["status"] == status and problem["detail"]
    assert problem["errors"] and all(error["field"] and error["message"] for error in problem["errors"]), problem
    return problem["errors"][0]["field"]


async def test_every_refusal_names_a_field(client, admin_headers, viewer_headers) -> None:
    asset = {"namespace": "postgres://db:5432", "name": "public.orders", "kind": "table"}
    assert (await client.post("/api/lineage/assets", json=asset, headers=admin_headers)).status_code == 201
    missing = uuid.uuid4()
    cases = [
        # (response, status, field the UI should point at; None: whichever Litestar names)
        (await client.get("/api/lineage/assets"), 401, "Authorization"),
        (await client.post("/api/lineage/assets", json=asset, headers=viewer_headers), 403, "Authorization"),
        (await client.get("/api/no-such-route", headers=viewer_headers), 404, "path"),
        (await client.get(f"/api/lineage/assets/{missing}", headers=viewer_headers), 404, "asset_id"),
        (await client.get(f"/api/lineage/edges/{missing}", headers=viewer_headers), 404, "edge_id"),
        (await client.post("/api/lineage/assets", json=asset, headers=admin_headers), 409, "name"),
        (await client.post("/api/lineage/assets", json={"namespace": "x"}, headers=admin_headers), 400, None),
        (await client.get("/api/lineage/edges", params={"limit": 0}, headers=viewer_headers), 400, "limit"),
        (await client.get("/api/v1/events/lineage", params={"offset": -1}, headers=viewer_headers), 400, "offset"),
        (await client.get("/api/lineage/graph", params={"node_id": str(missing), "depth": 9999}, headers=viewer_headers), 400, "depth"),
        (await client.get("/api/search", params={"q": " "}, headers=viewer_headers), 400, "q"),
        (await client.get("/api/lineage/assets", params={"pageSize": 10**9}, headers=viewer_headers), 400, "pageSize"),
        (
            await client.post(
                "/api/lineage/edges", json={"source_id": str(missing), "target_id": str(uuid.uuid4())}, headers=admin_headers
            ),
            400,
            "source_id",
        ),
        (await client.post("/api/v1/lineage", content=b"{}", headers=admin_headers), 400, "$.job"),
        (
            await client.post(
                "/api/v1/lineage", content=gzip.compress(b"x") + b"!", headers={**admin_headers, "content-encoding": "br"}
            ),
            400,
            "Content-Encoding",
        ),
        (await client.post("/api/nodes", json={"name": "n", "type": "nope", "config": {}}, headers=admin_headers), 400, "type"),
    ]
    for response, status, field in cases:
        named = _named_field(response, status)
        if field is not None:
            assert named == field, (response.request.url, response.json())


@pytest.mark.parametrize("payload", [b"not json", b"[]"])
async def test_a_malformed_openlineage_event_names_the_json_path(client, admin_headers, payload: bytes) -> None:
    response = await client.post("/api/v1/lineage", content=payload, headers=admin_headers)
    assert _named_field(response, 400) == "$"
