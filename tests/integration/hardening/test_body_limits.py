"""Request body limits: every route refuses an oversized body with a 413 naming the limit and
its setting; bulk upsert and OpenLineage ingestion are allowed more than the rest."""

from __future__ import annotations

import asyncio

import json

import pytest
from sqlalchemy import func, select

from dlv.config import SettingsError, load_settings
from dlv.db.models import ApiToken, DataAsset
from tests.integration.hardening.conftest import Client, client_with

SMALL_LIMIT = 4096
BULK_LIMIT = 16384


def _padded(body: dict, size: int) -> bytes:
    """``body`` as JSON with a filler field that brings it to ``size`` bytes."""
    encoded = json.dumps(body | {"filler": ""})
    return json.dumps(body | {"filler": "x" * (size - len(encoded))}).encode()


def _assert_too_large(response, limit: int, setting: str) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert f"at most {limit} bytes ({setting})" in problem["detail"]
    assert problem["limit"] == limit


async def test_the_default_limit_refuses_a_body_over_one_mebibyte_and_stores_nothing(
    client: Client, admin_headers, session_factory
) -> None:
    body = _padded({"name": "airflow", "role": "ingest"}, 1024 * 1024 + 1)

    response = await client.post("/api/tokens", content=body, headers=admin_headers | {"content-type": "application/json"})

    _assert_too_large(response, 1024 * 1024, "DLV_MAX_BODY_BYTES")
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(ApiToken)) == 0


async def _post_in_chunks(client: Client, path: str, headers: dict[str, str], chunks: list[bytes]) -> tuple[int, dict]:
    """POST straight to the ASGI app in several body messages without Content-Length, as a
    chunked upload arrives (the test client always sends Content-Length). The call runs on
    the test client's event loop (its portal thread), where the app's connections live."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80), "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    messages = [{"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks]
    messages.append({"type": "http.request", "body": b"", "more_body": False})
    sent: list[dict] = []

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await asyncio.to_thread(client.blocking_portal.call, client.app, scope, receive, send)
    body = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body)


async def test_a_streamed_body_without_content_length_is_cut_off_too(settings, admin_headers) -> None:
    async with client_with(settings, max_body_bytes=SMALL_LIMIT) as small:
        status, problem = await _post_in_chunks(
            small, "/api/lineage/assets", admin_headers | {"content-type": "application/json"}, [b"x" * 1024] * 8
        )

    assert status == 413
    assert f"at most {SMALL_LIMIT} bytes (DLV_MAX_BODY_BYTES)" in problem["detail"]


async def test_each_route_gets_its_own_limit(settings, admin_headers, session_factory) -> None:
    json_headers = admin_headers | {"content-type": "application/json"}
    async with client_with(settings, max_body_bytes=SMALL_LIMIT, bulk_max_body_bytes=BULK_LIMIT) as small:
        asset = await small.post("/api/lineage/assets", content=_padded({"namespace": "pg", "name": "t"}, SMALL_LIMIT + 1), headers=json_headers)
        _assert_too_large(asset, SMALL_LIMIT, "DLV_MAX_BODY_BYTES")
        user = await small.post("/api/auth/users", content=_padded({"username": "bob"}, SMALL_LIMIT + 1), headers=json_headers)
        _assert_too_large(user, SMALL_LIMIT, "DLV_MAX_BODY_BYTES")

        # Bulk upsert takes more than the default: past the size check, the body itself is judged.
        bulk_body = {"assets": [{"namespace": "pg", "name": f"t{i}", "description": "d" * 100} for i in range(60)]}
        assert SMALL_LIMIT < len(json.dumps(bulk_body)) < BULK_LIMIT
        accepted = await small.post("/api/lineage/bulk", json=bulk_body, headers=admin_headers)
        assert accepted.status_code == 200, accepted.text
        oversized = await small.post("/api/lineage/bulk", content=_padded({"assets": []}, BULK_LIMIT + 1), headers=json_headers)
        _assert_too_large(oversized, BULK_LIMIT, "DLV_BULK_MAX_BODY_BYTES")

        # OpenLineage keeps DLV_OPENLINEAGE_MAX_BODY_BYTES (5 MiB by default): judged on content, not size.
        event = await small.post("/api/v1/lineage", content=_padded({"eventType": "START"}, SMALL_LIMIT * 2), headers=json_headers)
        assert event.status_code == 400, event.text

    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(DataAsset)) == 60


@pytest.mark.parametrize("variable", ["DLV_MAX_BODY_BYTES", "DLV_BULK_MAX_BODY_BYTES"])
def test_a_limit_below_one_kibibyte_stops_start_up(variable: str, tmp_path) -> None:
    with pytest.raises(SettingsError, match=f"{variable}=100 is not valid: expected at least 1024"):
        load_settings({variable: "100", "DLV_DATA_DIR": str(tmp_path)})
