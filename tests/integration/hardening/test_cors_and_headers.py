"""CORS is closed unless DLV_CORS_ORIGINS lists origins; every response carries security
headers, and the UI a Content-Security-Policy that lets only its own scripts run."""

from __future__ import annotations

import pytest

from dlv.config import SettingsError, load_settings
from tests.integration.hardening.conftest import Client, client_with

CATALOG = "https://catalog.example.com"
STRANGER = "https://evil.example.net"


def _preflight(origin: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}


async def test_by_default_no_origin_gets_cors_headers(client: Client, admin_headers) -> None:
    preflight = await client.options("/api/lineage/assets", headers=_preflight(CATALOG))
    read = await client.get("/api/lineage/assets", headers=admin_headers | {"Origin": CATALOG})

    assert read.status_code == 200
    for response in (preflight, read):
        assert not [name for name in response.headers if name.lower().startswith("access-control-")], response.headers


async def test_a_listed_origin_may_call_the_api_and_others_may_not(settings, admin_headers) -> None:
    async with client_with(settings, cors_origins=f"{CATALOG}, http://localhost:5173") as client:
        allowed = await client.options("/api/lineage/assets", headers=_preflight(CATALOG))
        read = await client.get("/api/lineage/assets", headers=admin_headers | {"Origin": CATALOG})
        refused = await client.options("/api/lineage/assets", headers=_preflight(STRANGER))
        stranger_read = await client.get("/api/lineage/assets", headers=admin_headers | {"Origin": STRANGER})

    assert allowed.status_code in (200, 204)
    assert allowed.headers["access-control-allow-origin"] == CATALOG
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in allowed.headers
    assert read.headers["access-control-allow-origin"] == CATALOG
    assert "access-control-allow-origin" not in refused.headers
    assert "access-control-allow-origin" not in stranger_read.headers


@pytest.mark.parametrize("value", ["*", "catalog.example.com", "https://catalog.example.com/app", "ftp://files.example.com"])
def test_anything_but_a_list_of_origins_stops_start_up(value: str, tmp_path) -> None:
    with pytest.raises(SettingsError, match="DLV_CORS_ORIGINS"):
        load_settings({"DLV_CORS_ORIGINS": value, "DLV_DATA_DIR": str(tmp_path)})


def _assert_common_headers(response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_the_ui_has_a_content_security_policy_that_allows_only_its_own_scripts(client: Client) -> None:
    for path in ("/ui/", "/ui/graph/some-asset"):
        response = await client.get(path)
        assert response.status_code == 200
        _assert_common_headers(response)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-eval" not in policy
        assert "object-src 'none'" in policy


async def test_api_answers_and_errors_carry_the_security_headers(client: Client, admin_headers) -> None:
    answers = [
        await client.get("/api/lineage/assets", headers=admin_headers),
        await client.get("/api/lineage/assets"),  # 401
        await client.get("/api/no-such-route", headers=admin_headers),  # 404 from the router itself
        await client.get("/health"),
    ]

    for response in answers:
        _assert_common_headers(response)
        # JSON is never a page: nothing may load from or frame it.
        assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert [response.status_code for response in answers[:3]] == [200, 401, 404]


async def test_the_swagger_page_may_load_its_scripts_but_not_be_framed(client: Client) -> None:
    response = await client.get("/schema/swagger")

    assert response.status_code == 200
    _assert_common_headers(response)
    # Its scripts come from DLV itself (test_offline_docs.py), and only from there.
    assert "default-src 'self'" in response.headers["content-security-policy"]
