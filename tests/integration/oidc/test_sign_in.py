"""Single sign-on through a real OpenID provider: the code flow, groups to roles, refusals,
replays, and the provider being down. Runs on SQLite and PostgreSQL (users are created here)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from dlv.auth._oidc_provider import InvalidOidcToken, OidcProvider
from dlv.db.models import AuditEntry, OidcLogin, User
from tests.conftest import ADMIN_PASSWORD, create_user, login
from tests.integration.oidc.conftest import (
    ADMINS, CLIENT_ID, CLIENT_SECRET, VIEWERS, Client, provider_login, session_token, sign_in, start_sign_in, with_oidc,
)
from tests.services.oidc import OidcServer


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def stored_user(session_factory: Any, subject: str) -> User | None:
    async with session_factory() as session:
        return await session.scalar(select(User).where(User.oidc_subject == subject))


async def test_the_login_page_learns_which_sign_ins_are_offered(sso_client: Client, client: Client) -> None:
    offered = (await sso_client.get("/api/auth/providers")).json()
    assert offered == {"local_login": True, "oidc": {"name": "Test IdP", "login_url": "/api/auth/oidc/login"}}
    assert (await client.get("/api/auth/providers")).json() == {"local_login": True, "oidc": None}


async def test_the_sign_in_redirect_carries_pkce_state_and_nonce(sso_client: Client, oidc_server: OidcServer) -> None:
    authorize = urlsplit(await start_sign_in(sso_client))
    query = parse_qs(authorize.query)
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == f"{oidc_server.issuer}/authorize"
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0] and query["scope"] == ["openid profile email groups"]
    assert sso_client.cookies.get("dlv_oidc_state") == query["state"][0]


async def test_an_admin_group_member_signs_in_as_admin_and_may_write(sso_client: Client, session_factory: Any) -> None:
    token = session_token(await sign_in(sso_client, "alice", [ADMINS, "unrelated"]))

    me = (await sso_client.get("/api/auth/me", headers=bearer(token))).json()
    assert me["username"] == "alice" and me["role"] == "admin"
    created = await sso_client.post("/api/nodes/types", json={}, headers=bearer(token))
    assert created.status_code not in (401, 403)
    user = await stored_user(session_factory, "alice")
    assert user is not None and user.role == "admin" and user.oidc_issuer.endswith("/dlv")


async def test_a_viewer_group_member_reads_but_may_not_write(sso_client: Client) -> None:
    token = session_token(await sign_in(sso_client, "victor", [VIEWERS]))

    assert (await sso_client.get("/api/auth/me", headers=bearer(token))).json()["role"] == "viewer"
    assert (await sso_client.get("/api/lineage/assets", headers=bearer(token))).status_code == 200
    refused = await sso_client.post("/api/auth/users", json={"username": "x", "password": "a long enough pw"}, headers=bearer(token))
    assert refused.status_code == 403


async def test_admin_wins_when_both_groups_match(sso_client: Client) -> None:
    token = session_token(await sign_in(sso_client, "bella", [VIEWERS, "platform-team"]))
    assert (await sso_client.get("/api/auth/me", headers=bearer(token))).json()["role"] == "admin"


async def test_no_matching_group_is_refused_naming_the_accepted_groups(sso_client: Client, session_factory: Any) -> None:
    refused = await sign_in(sso_client, "mallory", ["marketing"])

    assert refused.status_code == 403
    detail = refused.json()["detail"]
    assert ADMINS in detail and "platform-team" in detail and VIEWERS in detail and "'groups' claim" in detail
    assert await stored_user(session_factory, "mallory") is None


async def test_a_browser_is_sent_back_to_the_login_page_with_the_refusal(sso_client: Client) -> None:
    callback = provider_login(await start_sign_in(sso_client), "mallory", {"groups": []})
    refused = await sso_client.get(callback, headers={"Accept": "text/html"})

    assert refused.status_code == 303
    location = urlsplit(refused.headers["location"])
    assert location.path == "/ui/login" and ADMINS in parse_qs(location.query)["sso_error"][0]


async def test_a_member_removed_from_the_admin_group_is_a_viewer_at_the_next_sign_in(sso_client: Client, session_factory: Any) -> None:
    first = session_token(await sign_in(sso_client, "dana", [ADMINS]))
    assert (await sso_client.get("/api/auth/me", headers=bearer(first))).json()["role"] == "admin"

    second = session_token(await sign_in(sso_client, "dana", [VIEWERS]))

    assert (await sso_client.get("/api/auth/me", headers=bearer(second))).json()["role"] == "viewer"
    user = await stored_user(session_factory, "dana")
    assert user is not None and user.role == "viewer"
    async with session_factory() as session:  # the audit log says who changed the role, and to what
        entries = (await session.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(user.id)).order_by(AuditEntry.id))).all()
    assert [(e.action, e.actor_name) for e in entries] == [("create", "single sign-on"), ("update", "single sign-on")]
    assert entries[1].diff["role"] == {"old": "admin", "new": "viewer"}
    async with session_factory() as session:  # the same person, not a second account
        assert await session.scalar(select(func.count()).select_from(User).where(User.oidc_subject == "dana")) == 1


async def test_a_provider_user_named_like_a_local_user_gets_another_name(sso_client: Client, session_factory: Any) -> None:
    await create_user(session_factory, "admin", ADMIN_PASSWORD, "admin")
    token = session_token(await sign_in(sso_client, "admin", [VIEWERS]))

    me = (await sso_client.get("/api/auth/me", headers=bearer(token))).json()
    assert me["username"].startswith("admin-") and me["role"] == "viewer"
    local = await login(sso_client, "admin", ADMIN_PASSWORD)  # the local admin is untouched
    assert (await sso_client.get("/api/auth/me", headers=local)).json() == {**me, "id": me_id(await sso_client.get("/api/auth/me", headers=local)), "username": "admin", "role": "admin"}


def me_id(response: Any) -> str:
    return response.json()["id"]


async def test_a_provider_user_cannot_log_in_with_a_password(sso_client: Client, session_factory: Any) -> None:
    session_token(await sign_in(sso_client, "erin", [VIEWERS]))
    user = await stored_user(session_factory, "erin")
    assert user is not None and user.password_hash.startswith("!oidc:")

    attempt = await sso_client.post("/api/auth/login", json={"username": "erin", "password": user.password_hash})
    assert attempt.status_code == 401


async def test_a_deactivated_provider_user_stays_out(sso_client: Client, session_factory: Any) -> None:
    session_token(await sign_in(sso_client, "lena", [ADMINS]))
    async with session_factory() as session:
        user = await session.scalar(select(User).where(User.oidc_subject == "lena"))
        user.is_active = False
        await session.commit()

    refused = await sign_in(sso_client, "lena", [ADMINS])

    assert refused.status_code == 403 and "deactivated" in refused.json()["detail"]


async def test_a_replayed_callback_is_refused(sso_client: Client) -> None:
    callback = provider_login(await start_sign_in(sso_client), "fred", {"groups": [VIEWERS]})
    cookie = sso_client.cookies.get("dlv_oidc_state")
    session_token(await sso_client.get(callback))
    assert (await sso_client.get(callback)).status_code == 400  # the callback cleared the cookie

    sso_client.cookies.set("dlv_oidc_state", cookie or "")  # replayed with everything it had
    replayed = await sso_client.get(callback)

    assert replayed.status_code == 400 and "already used" in replayed.json()["detail"]


async def test_a_callback_in_another_browser_is_refused(sso_client: Client, settings: Any, oidc_server: OidcServer, session_factory: Any) -> None:
    callback = provider_login(await start_sign_in(sso_client), "gina", {"groups": [ADMINS]})
    sso_client.cookies.clear()  # the victim's browser never started this sign-in

    refused = await sso_client.get(callback)

    assert refused.status_code == 400 and "another browser" in refused.json()["detail"]
    assert await stored_user(session_factory, "gina") is None


async def test_a_code_with_the_state_of_another_sign_in_is_refused(sso_client: Client, session_factory: Any) -> None:
    """The code of one sign-in presented with another one's state: its PKCE verifier and
    nonce are the other sign-in's, so the provider or DLV refuses it."""
    first = provider_login(await start_sign_in(sso_client), "hank", {"groups": [ADMINS]})
    second_state = parse_qs(urlsplit(await start_sign_in(sso_client)).query)["state"][0]
    code = parse_qs(urlsplit(first).query)["code"][0]

    refused = await sso_client.get("/api/auth/oidc/callback", params={"code": code, "state": second_state})

    assert refused.status_code == 401 and "code_verifier" in refused.json()["detail"]  # PKCE, checked by the provider
    assert await stored_user(session_factory, "hank") is None
    async with session_factory() as session:  # the second sign-in is used up too
        assert await session.get(OidcLogin, second_state) is None


async def test_an_id_token_is_accepted_only_with_the_nonce_of_its_sign_in(settings: Any, oidc_server: OidcServer) -> None:
    provider = OidcProvider(with_oidc(settings, oidc_server))
    token = oidc_server.sign({"sub": "hank", "aud": CLIENT_ID, "nonce": "nonce-of-the-first-sign-in"})

    with pytest.raises(InvalidOidcToken, match="'nonce'"):
        await provider.validate(token, nonce="nonce-of-another-sign-in")
    with pytest.raises(InvalidOidcToken, match="'nonce'"):
        await provider.validate(oidc_server.sign({"sub": "hank", "aud": CLIENT_ID}), nonce="nonce-of-the-first-sign-in")
    assert (await provider.validate(token, nonce="nonce-of-the-first-sign-in"))["sub"] == "hank"


async def test_the_provider_refusing_the_sign_in_is_reported(sso_client: Client) -> None:
    state = parse_qs(urlsplit(await start_sign_in(sso_client)).query)["state"][0]
    refused = await sso_client.get("/api/auth/oidc/callback", params={"state": state, "error": "access_denied", "error_description": "user cancelled"})
    assert refused.status_code == 401 and "user cancelled" in refused.json()["detail"]


async def test_logout_ends_the_session_at_the_provider(sso_client: Client, oidc_server: OidcServer) -> None:
    response = await sso_client.get("/api/auth/oidc/logout")

    assert response.status_code == 303
    target = urlsplit(response.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{oidc_server.issuer}/endsession"
    assert parse_qs(target.query)["post_logout_redirect_uri"][0].endswith("/ui/login")


async def test_without_single_sign_on_its_routes_say_so(client: Client) -> None:
    response = await client.get("/api/auth/oidc/login")
    assert response.status_code == 404 and "DLV_OIDC_ISSUER" in response.json()["detail"]


async def test_the_client_secret_goes_to_the_provider_only(sso_client: Client, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    answers = [await sso_client.get("/api/auth/providers"), await sso_client.get("/api/auth/oidc/login")]
    callback = provider_login(answers[-1].headers["location"], "ken", {"groups": [VIEWERS]})
    answers.append(await sso_client.get(callback))  # DLV sent the secret to the token endpoint here

    assert session_token(answers[-1])
    for answer in answers:
        assert CLIENT_SECRET not in answer.text and CLIENT_SECRET not in str(answer.headers)
    assert CLIENT_SECRET not in caplog.text
