"""Sessions end when they should: a new password ends every earlier login, the API tokens of
a deleted user stop working, and X-Forwarded-For is believed only from DLV_TRUSTED_PROXIES."""

from __future__ import annotations

import httpx
import msgspec
import pytest
from sqlalchemy import select

from dlv.app import create_app
from dlv.config import Settings, SettingsError, load_settings, proxy_options
from dlv.db.models import ApiToken, AuditEntry
from tests.conftest import create_user, login
from tests.integration.hardening.conftest import Client, issue_api_token, served_on_loopback

ALICE_PASSWORD = "amber-kettle-orbit-7"
NEW_PASSWORD = "violet-harbour-gantry-9"


async def _me(client: Client, headers: dict[str, str]):
    return await client.get("/api/auth/me", headers=headers)


async def test_an_admin_resetting_a_password_ends_the_users_earlier_logins(client: Client, admin_headers, session_factory) -> None:
    alice = await create_user(session_factory, "alice", ALICE_PASSWORD, "viewer")
    earlier = await login(client, "alice", ALICE_PASSWORD)

    reset = await client.patch(f"/api/auth/users/{alice.id}", json={"password": NEW_PASSWORD}, headers=admin_headers)
    after = await _me(client, earlier)
    fresh = await login(client, "alice", NEW_PASSWORD)

    assert reset.status_code == 200, reset.text
    assert after.status_code == 401
    assert "password was changed" in after.json()["detail"]
    assert (await _me(client, fresh)).status_code == 200
    assert (await _me(client, admin_headers)).status_code == 200  # other people's logins are untouched


async def test_changing_the_role_keeps_the_login_but_applies_at_once(client: Client, admin_headers, session_factory) -> None:
    alice = await create_user(session_factory, "alice", ALICE_PASSWORD, "admin")
    headers = await login(client, "alice", ALICE_PASSWORD)

    await client.patch(f"/api/auth/users/{alice.id}", json={"role": "viewer"}, headers=admin_headers)

    assert (await _me(client, headers)).json()["role"] == "viewer"
    assert (await client.get("/api/auth/users", headers=headers)).status_code == 403


async def test_deleting_a_user_revokes_the_api_tokens_they_created(client: Client, admin_headers, session_factory) -> None:
    alice = await create_user(session_factory, "alice", ALICE_PASSWORD, "admin")
    alice_headers = await login(client, "alice", ALICE_PASSWORD)
    theirs = await issue_api_token(client, alice_headers, "ingest", name="alice-airflow")
    others = await issue_api_token(client, admin_headers, "viewer", name="admin-script")
    assert (await client.get("/api/lineage/assets", headers={"Authorization": f"Bearer {others}"})).status_code == 200

    deleted = await client.delete(f"/api/auth/users/{alice.id}", headers=admin_headers)
    refused = await client.post("/api/v1/lineage", json={}, headers={"Authorization": f"Bearer {theirs}"})
    kept = await client.get("/api/lineage/assets", headers={"Authorization": f"Bearer {others}"})

    assert deleted.status_code == 204, deleted.text
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert kept.status_code == 200
    async with session_factory() as session:
        tokens = {token.name: token for token in await session.scalars(select(ApiToken))}
        revokes = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "revoke"))).all()
    assert tokens["alice-airflow"].revoked_at is not None and tokens["admin-script"].revoked_at is None
    assert [entry.entity_name for entry in revokes] == ["alice-airflow"]


async def _spray(base_url: str, attempts: int) -> list[int]:
    """Failed logins, each claiming to come from another client via X-Forwarded-For."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        statuses = []
        for index in range(attempts):
            response = await http.post(
                "/api/auth/login",
                json={"username": f"user{index}", "password": "spray-spray"},
                headers={"X-Forwarded-For": f"203.0.113.{index + 1}"},
            )
            statuses.append(response.status_code)
        return statuses


async def test_x_forwarded_for_does_not_dodge_the_address_limit_by_default(settings, session_factory) -> None:
    limited = msgspec.structs.replace(settings, login_max_failures_per_address=3)

    async with served_on_loopback(create_app(limited), **proxy_options(limited)) as base_url:
        statuses = await _spray(base_url, 5)

    assert statuses[:3] == [401, 401, 401]
    assert statuses[3] == 429  # counted against the real peer, 127.0.0.1


async def test_x_forwarded_for_is_believed_from_a_trusted_proxy(settings, session_factory) -> None:
    behind_proxy = msgspec.structs.replace(settings, login_max_failures_per_address=3, trusted_proxies="127.0.0.1/32")

    async with served_on_loopback(create_app(behind_proxy), **proxy_options(behind_proxy)) as base_url:
        statuses = await _spray(base_url, 5)

    assert statuses == [401] * 5  # five different clients, one failure each


def test_proxy_headers_are_off_unless_proxies_are_named() -> None:
    assert proxy_options(Settings())["proxy_headers"] is False
    assert proxy_options(Settings(trusted_proxies="10.0.0.5, 10.1.0.0/16")) == {
        "proxy_headers": True,
        "forwarded_allow_ips": "10.0.0.5,10.1.0.0/16",
    }


def test_a_trusted_proxy_that_is_not_an_address_stops_start_up(tmp_path) -> None:
    with pytest.raises(SettingsError, match="DLV_TRUSTED_PROXIES holds 'proxy.internal'"):
        load_settings({"DLV_DATA_DIR": str(tmp_path), "DLV_TRUSTED_PROXIES": "10.0.0.5,proxy.internal"})

