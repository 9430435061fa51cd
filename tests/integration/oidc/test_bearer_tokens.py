"""Tokens of the OpenID provider sent as bearer tokens (machine clients): what is accepted,
what is refused with 401, the provider's key rotation, and the provider being down."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec
from joserfc.jwk import RSAKey
from litestar.testing import AsyncTestClient

from dlv.app import create_app
from dlv.config import Settings
from tests.conftest import ADMIN_PASSWORD, create_user, login
from tests.integration.oidc.conftest import ADMINS, CLIENT_ID, VIEWERS, Client, start_sign_in, with_oidc
from tests.services.oidc import OidcServer


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims(**changes: Any) -> dict[str, Any]:
    return {"sub": "etl-robot", "aud": CLIENT_ID, "azp": CLIENT_ID, "groups": [ADMINS], **changes}


async def test_a_provider_token_with_an_admin_group_may_write(sso_client: Client, oidc_server: OidcServer) -> None:
    token = oidc_server.sign(claims())

    me = await sso_client.get("/api/auth/me", headers=bearer(token))
    assert me.status_code == 200 and me.json()["username"] == CLIENT_ID and me.json()["role"] == "admin"
    created = await sso_client.post("/api/lineage/assets", json={"namespace": "pg", "name": "orders"}, headers=bearer(token))
    assert created.status_code == 201, created.text


async def test_a_provider_token_with_a_viewer_group_only_reads(sso_client: Client, oidc_server: OidcServer) -> None:
    token = oidc_server.sign(claims(groups=[VIEWERS]))

    assert (await sso_client.get("/api/lineage/assets", headers=bearer(token))).status_code == 200
    refused = await sso_client.post("/api/lineage/assets", json={"namespace": "pg", "name": "orders"}, headers=bearer(token))
    assert refused.status_code == 403


async def test_a_provider_token_without_a_matching_group_is_refused(sso_client: Client, oidc_server: OidcServer) -> None:
    refused = await sso_client.get("/api/auth/me", headers=bearer(oidc_server.sign(claims(groups=["sales"]))))
    assert refused.status_code == 403 and ADMINS in refused.json()["detail"]


async def test_the_configured_audience_is_accepted_too(settings: Settings, oidc_server: OidcServer, session_factory: Any) -> None:
    async with AsyncTestClient(app=create_app(with_oidc(settings, oidc_server, oidc_audience="api://dlv"))) as client:
        accepted = await client.get("/api/auth/me", headers=bearer(oidc_server.sign(claims(aud="api://dlv"))))
        assert accepted.status_code == 200


async def test_the_issuer_setting_may_end_with_a_slash(settings: Settings, oidc_server: OidcServer, session_factory: Any) -> None:
    async with AsyncTestClient(app=create_app(with_oidc(settings, oidc_server, oidc_issuer=oidc_server.issuer + "/"))) as client:
        assert (await client.get("/api/auth/me", headers=bearer(oidc_server.sign(claims())))).status_code == 200


async def test_a_single_valued_claim_may_decide_the_role(settings: Settings, oidc_server: OidcServer, session_factory: Any) -> None:
    """Google has no groups claim: its Workspace domain (hd) can make viewers, as the README says."""
    changed = with_oidc(settings, oidc_server, oidc_groups_claim="hd", oidc_admin_groups=None, oidc_viewer_groups="example.com")
    async with AsyncTestClient(app=create_app(changed)) as client:
        inside = await client.get("/api/auth/me", headers=bearer(oidc_server.sign(claims(hd="example.com"))))
        outside = await client.get("/api/auth/me", headers=bearer(oidc_server.sign(claims(hd="gmail.example"))))
    assert inside.status_code == 200 and inside.json()["role"] == "viewer"
    assert outside.status_code == 403 and "'hd' claim" in outside.json()["detail"]


async def test_bad_provider_tokens_are_refused_with_401(sso_client: Client, oidc_server: OidcServer) -> None:
    other_key = RSAKey.generate_key(2048, private=True)
    now = int(time.time())
    cases = {
        "expired": (oidc_server.sign(claims(iat=now - 3600, exp=now - 600)), "expired"),
        "forged": (oidc_server.sign(claims(), key=other_key), "signature"),
        "wrong audience": (oidc_server.sign(claims(aud="another-app")), "'aud'"),
        "wrong issuer": (oidc_server.sign(claims(iss=f"http://127.0.0.1:{oidc_server.port}/other")), "'iss'"),
        "no subject": (oidc_server.sign({"aud": CLIENT_ID, "groups": [ADMINS]}), "'sub'"),
        "not a JWT": ("eyJhbGciOiJSUzI1NiJ9.bm9wZQ.bm9wZQ", ""),
    }
    for case, (token, reason) in cases.items():
        response = await sso_client.get("/api/auth/me", headers=bearer(token))
        assert response.status_code == 401, (case, response.text)
        assert reason in response.json()["detail"], (case, response.json()["detail"])


async def test_dlv_logins_and_api_tokens_keep_working_next_to_sso(sso_client: Client, session_factory: Any) -> None:
    await create_user(session_factory, "admin", ADMIN_PASSWORD, "admin")
    headers = await login(sso_client, "admin", ADMIN_PASSWORD)
    created = await sso_client.post("/api/tokens", json={"name": "ci", "role": "viewer"}, headers=headers)
    assert created.status_code == 201

    assert (await sso_client.get("/api/auth/me", headers=headers)).json()["role"] == "admin"
    assert (await sso_client.get("/api/lineage/assets", headers=bearer(created.json()["token"]))).status_code == 200


async def test_turning_local_login_off_leaves_only_single_sign_on(settings: Settings, oidc_server: OidcServer, session_factory: Any) -> None:
    await create_user(session_factory, "admin", ADMIN_PASSWORD, "admin")
    async with AsyncTestClient(app=create_app(with_oidc(settings, oidc_server, local_login=False))) as client:
        refused = await client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert refused.status_code == 403 and "DLV_LOCAL_LOGIN" in refused.json()["detail"]
        assert (await client.get("/api/auth/providers")).json()["local_login"] is False


async def test_a_key_rotation_at_the_provider_needs_no_restart_of_dlv(sso_client: Client, oidc_server: OidcServer) -> None:
    before = oidc_server.sign(claims())
    assert (await sso_client.get("/api/auth/me", headers=bearer(before))).status_code == 200  # keys now cached

    await asyncio.to_thread(oidc_server.restart, new_key=True)
    after = oidc_server.sign(claims())

    # DLV fetches the keys again at most every few seconds: the new key is accepted within that.
    deadline = time.monotonic() + 15
    while (status := (await sso_client.get("/api/auth/me", headers=bearer(after))).status_code) != 200 and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    assert status == 200
    assert (await sso_client.get("/api/auth/me", headers=bearer(before))).status_code == 401  # the retired key


async def test_with_the_provider_down_local_login_works_and_sso_says_why(
    settings: Settings, oidc_server: OidcServer, session_factory: Any
) -> None:
    await create_user(session_factory, "admin", ADMIN_PASSWORD, "admin")
    token = oidc_server.sign(claims())
    await asyncio.to_thread(oidc_server.stop)
    try:
        async with AsyncTestClient(app=create_app(with_oidc(settings, oidc_server))) as client:
            client.follow_redirects = False
            down = await client.get("/api/auth/oidc/login")
            assert down.status_code == 503 and "did not answer" in down.json()["detail"]
            browser = await client.get("/api/auth/oidc/login", headers={"Accept": "text/html"})
            assert browser.status_code == 303 and "sso_error=Single+sign-on+is+unavailable" in browser.headers["location"]
            unchecked = await client.get("/api/auth/me", headers=bearer(token))
            assert unchecked.status_code == 503 and "cannot be checked" in unchecked.json()["detail"]

            assert (await client.get("/api/auth/me", headers=await login(client, "admin", ADMIN_PASSWORD))).status_code == 200
    finally:
        await asyncio.to_thread(oidc_server.start)


async def test_the_provider_going_down_between_redirect_and_callback(sso_client: Client, oidc_server: OidcServer) -> None:
    from tests.integration.oidc.conftest import provider_login

    callback = provider_login(await start_sign_in(sso_client), "ivy", {"groups": [ADMINS]})
    await asyncio.to_thread(oidc_server.stop)
    try:
        response = await sso_client.get(callback)
        assert response.status_code == 503 and "token endpoint" in response.json()["detail"]
    finally:
        await asyncio.to_thread(oidc_server.start)


def test_settings_name_what_single_sign_on_needs(settings: Settings) -> None:
    from dlv.config import SettingsError, load_settings

    base = {"DLV_DATABASE_URL": settings.database_url, "DLV_SECRET_KEY": settings.secret_key, "DLV_DATA_DIR": str(settings.data_dir)}
    problems = {
        "DLV_OIDC_CLIENT_ID": {"DLV_OIDC_ISSUER": "https://idp.example.com", "DLV_OIDC_ADMIN_GROUPS": "a"},
        "DLV_OIDC_ADMIN_GROUPS": {"DLV_OIDC_ISSUER": "https://idp.example.com", "DLV_OIDC_CLIENT_ID": "dlv"},
        "DLV_LOCAL_LOGIN": {"DLV_LOCAL_LOGIN": "false"},
        "openid": {"DLV_OIDC_ISSUER": "https://idp.example.com", "DLV_OIDC_CLIENT_ID": "dlv", "DLV_OIDC_VIEWER_GROUPS": "v", "DLV_OIDC_SCOPES": "email"},
    }
    for named, environ in problems.items():
        try:
            load_settings({**base, **environ})
        except SettingsError as exc:
            assert named in str(exc), (named, str(exc))
        else:
            raise AssertionError(f"{environ} was accepted")
    loaded = load_settings({**base, "DLV_OIDC_ISSUER": "https://idp.example.com/", "DLV_OIDC_CLIENT_ID": "dlv", "DLV_OIDC_VIEWER_GROUPS": " v1, v2 "})
    assert msgspec.structs.asdict(loaded)["oidc_scopes"] == "openid profile email groups" and loaded.local_login is True
