"""Login, tokens, roles and user administration, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from uuid import UUID, uuid4

import jwt
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from dlv.auth._tokens import credential_version, issue_access_token, key_id
from dlv.config import SettingsError, load_settings
from dlv.db.models import User
from tests.conftest import ADMIN_PASSWORD, SECRET_KEY, create_user, login
from tests.integration.hardening.conftest import client_with

Client = AsyncTestClient[Litestar]
# Passwords the policy accepts for any of the usernames below.
PASSWORD = "amber-kettle-orbit-7"
NEW_PASSWORD = "copper-lantern-fjord-3"


async def test_login_returns_a_bearer_token_that_identifies_the_user(client: Client, session_factory) -> None:
    await create_user(session_factory, "alice", PASSWORD, "viewer")

    response = await client.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    assert me.json()["role"] == "viewer"


async def test_login_accepts_the_oauth2_form_used_by_swagger(client: Client, session_factory) -> None:
    await create_user(session_factory, "alice", PASSWORD, "admin")

    response = await client.post("/api/auth/login", data={"username": "alice", "password": PASSWORD})

    assert response.status_code == 200
    assert response.json()["access_token"]


async def test_wrong_password_and_unknown_user_get_the_same_401(client: Client, session_factory) -> None:
    await create_user(session_factory, "alice", PASSWORD, "admin")

    wrong_password = await client.post("/api/auth/login", json={"username": "alice", "password": "nope-nope"})
    unknown_user = await client.post("/api/auth/login", json={"username": "mallory", "password": "nope-nope"})

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json()
    assert wrong_password.json()["detail"] == "Wrong username or password."
    assert wrong_password.headers["content-type"].startswith("application/problem+json")


async def test_deactivated_user_cannot_log_in(client: Client, session_factory, admin_headers) -> None:
    created = await client.post(
        "/api/auth/users", json={"username": "bob", "password": PASSWORD, "role": "viewer"}, headers=admin_headers
    )
    await client.patch(f"/api/auth/users/{created.json()['id']}", json={"is_active": False}, headers=admin_headers)

    response = await client.post("/api/auth/login", json={"username": "bob", "password": PASSWORD})

    assert response.status_code == 401


async def test_login_with_a_malformed_body_names_what_to_send(client: Client) -> None:
    response = await client.post("/api/auth/login", content=b"{not json", headers={"content-type": "application/json"})

    assert response.status_code == 400
    assert "username" in response.json()["detail"] and "password" in response.json()["detail"]


async def test_expired_token_is_refused(client: Client, session_factory) -> None:
    user = await create_user(session_factory, "alice", PASSWORD, "admin")
    expired = issue_access_token(user.id, SECRET_KEY, timedelta(seconds=-5), credential_version(user.password_hash))

    response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {expired}"})

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_tampered_token_is_refused(client: Client, session_factory) -> None:
    user = await create_user(session_factory, "alice", PASSWORD, "viewer")
    token = issue_access_token(user.id, SECRET_KEY, timedelta(minutes=5), credential_version(user.password_hash))
    claims = jwt.decode(token, options={"verify_signature": False})
    header, _, signature = token.split(".")
    forged_payload = jwt.encode({**claims, "sub": str(uuid4())}, "another-key-of-sufficient-length-123").split(".")[1]
    forged = f"{header}.{forged_payload}.{signature}"
    signed_elsewhere = jwt.encode(claims | {"typ": "access"}, "not-the-server-secret-key-at-all-000", algorithm="HS256")
    odd_header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "kid": ["a", "list"]}).encode()).decode().rstrip("=")
    odd_key_id = f"{odd_header}.{token.split('.')[1]}.{signature}"  # PyJWT itself will not write such a header

    for bad in (forged, signed_elsewhere, odd_key_id, "garbage"):
        response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, bad


async def test_anonymous_request_to_a_guarded_route_gets_401_with_a_hint(client: Client) -> None:
    response = await client.get("/api/auth/me")

    assert response.status_code == 401
    assert "/api/auth/login" in response.json()["detail"]


async def test_viewer_gets_403_on_every_write_route(client: Client, app: Litestar, viewer_headers, admin_headers) -> None:
    writes = 0
    for route in app.routes:
        for method in getattr(route, "methods", set()) - {"GET", "HEAD", "OPTIONS"}:
            path = re.sub(r"\{\w+:uuid\}", str(uuid4()), route.path)
            if path == "/api/auth/login":
                continue
            response = await client.request(method, path, json={}, headers=viewer_headers)
            if response.status_code == 405:  # writes only Marquez offers: refused to everyone, admins too
                assert (await client.request(method, path, json={}, headers=admin_headers)).status_code == 405, (method, path)
                continue
            assert response.status_code == 403, (method, path, response.text)
            writes += 1
    assert writes >= 12


async def test_admin_creates_lists_changes_and_deletes_users(client: Client, admin_headers, session_factory) -> None:
    created = await client.post(
        "/api/auth/users", json={"username": "bob", "password": PASSWORD, "role": "viewer"}, headers=admin_headers
    )
    assert created.status_code == 201
    bob = created.json()
    assert bob["role"] == "viewer" and bob["is_active"] is True
    assert "password" not in bob and "password_hash" not in bob

    listing = await client.get("/api/auth/users", headers=admin_headers)
    assert listing.status_code == 200
    assert sorted(u["username"] for u in listing.json()["items"]) == ["admin", "bob"]
    assert listing.json()["total"] == 2

    promoted = await client.patch(f"/api/auth/users/{bob['id']}", json={"role": "admin"}, headers=admin_headers)
    assert promoted.json()["role"] == "admin"

    reset = await client.patch(f"/api/auth/users/{bob['id']}", json={"password": NEW_PASSWORD}, headers=admin_headers)
    assert reset.status_code == 200
    assert (await client.post("/api/auth/login", json={"username": "bob", "password": PASSWORD})).status_code == 401
    await login(client, "bob", NEW_PASSWORD)

    deleted = await client.delete(f"/api/auth/users/{bob['id']}", headers=admin_headers)
    assert deleted.status_code == 204
    async with session_factory() as session:
        assert (await session.scalars(select(User.username))).all() == ["admin"]


async def test_creating_a_user_with_bad_fields_names_each_field_and_stores_nothing(
    client: Client, admin_headers, session_factory
) -> None:
    response = await client.post(
        "/api/auth/users", json={"username": "has spaces", "password": "x", "role": "owner"}, headers=admin_headers
    )

    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"username", "role"} <= fields or {"username"} <= fields
    async with session_factory() as session:
        assert (await session.scalars(select(User.username))).all() == ["admin"]


async def test_short_password_is_refused_with_the_rule(client: Client, admin_headers) -> None:
    response = await client.post(
        "/api/auth/users", json={"username": "bob", "password": "short", "role": "viewer"}, headers=admin_headers
    )

    assert response.status_code == 400
    assert "at least 12 characters" in response.json()["detail"]


async def test_duplicate_username_is_a_conflict(client: Client, admin_headers) -> None:
    response = await client.post(
        "/api/auth/users", json={"username": "admin", "password": "another-password", "role": "viewer"}, headers=admin_headers
    )

    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


async def test_the_last_active_admin_cannot_be_removed_demoted_or_deactivated(
    client: Client, admin_headers, session_factory
) -> None:
    me = (await client.get("/api/auth/me", headers=admin_headers)).json()

    for request in (
        client.patch(f"/api/auth/users/{me['id']}", json={"role": "viewer"}, headers=admin_headers),
        client.patch(f"/api/auth/users/{me['id']}", json={"is_active": False}, headers=admin_headers),
        client.delete(f"/api/auth/users/{me['id']}", headers=admin_headers),
    ):
        response = await request
        assert response.status_code == 409
        assert "last active admin" in response.json()["detail"]

    async with session_factory() as session:
        admin = await session.get(User, UUID(me["id"]))
        assert admin is not None and admin.role == "admin" and admin.is_active


async def test_an_admin_can_be_demoted_when_another_admin_remains(client: Client, admin_headers) -> None:
    other = await client.post(
        "/api/auth/users", json={"username": "carol", "password": PASSWORD, "role": "admin"}, headers=admin_headers
    )

    response = await client.patch(f"/api/auth/users/{other.json()['id']}", json={"role": "viewer"}, headers=admin_headers)

    assert response.status_code == 200
    assert response.json()["role"] == "viewer"


async def test_a_token_stops_working_when_its_user_is_deleted(client: Client, admin_headers) -> None:
    created = await client.post(
        "/api/auth/users", json={"username": "dave", "password": PASSWORD, "role": "viewer"}, headers=admin_headers
    )
    dave_headers = await login(client, "dave", PASSWORD)
    await client.delete(f"/api/auth/users/{created.json()['id']}", headers=admin_headers)

    response = await client.get("/api/auth/me", headers=dave_headers)

    assert response.status_code == 401


async def test_unknown_user_id_is_a_404(client: Client, admin_headers) -> None:
    response = await client.get(f"/api/auth/users/{uuid4()}", headers=admin_headers)

    assert response.status_code == 404


async def test_admin_password_from_fixture_is_the_bootstrap_password(client: Client, admin_headers) -> None:
    response = await client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 200


async def test_users_cannot_be_sorted_by_their_password_hash(client: Client, admin_headers) -> None:
    response = await client.get("/api/auth/users", params={"orderBy": "password_hash"}, headers=admin_headers)

    assert response.status_code == 400
    assert "orderBy=password_hash is not allowed" in response.json()["detail"]


OLD_KEY = "the-key-before-rotation-" + "o" * 24
NEW_KEY = "the-key-after-rotation-" + "n" * 24


async def test_rotating_the_secret_key_keeps_earlier_logins_valid_until_they_expire(settings, session_factory) -> None:
    user = await create_user(session_factory, "alice", PASSWORD, "viewer")
    earlier = issue_access_token(user.id, OLD_KEY, timedelta(minutes=5), credential_version(user.password_hash))
    earlier_expired = issue_access_token(user.id, OLD_KEY, timedelta(seconds=-5), credential_version(user.password_hash))

    async with client_with(settings, secret_key=NEW_KEY, previous_secret_keys=OLD_KEY) as rotated:
        still_in = await rotated.get("/api/auth/me", headers={"Authorization": f"Bearer {earlier}"})
        expired = await rotated.get("/api/auth/me", headers={"Authorization": f"Bearer {earlier_expired}"})
        fresh = (await rotated.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})).json()["access_token"]
        fresh_me = await rotated.get("/api/auth/me", headers={"Authorization": f"Bearer {fresh}"})

    assert still_in.status_code == 200 and still_in.json()["username"] == "alice"
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    assert fresh_me.status_code == 200
    assert jwt.get_unverified_header(fresh)["kid"] == key_id(NEW_KEY)
    jwt.decode(fresh, NEW_KEY, algorithms=["HS256"])  # signed with the new key, not the old one


async def test_once_the_old_key_is_dropped_its_logins_stop_working(settings, session_factory) -> None:
    user = await create_user(session_factory, "alice", PASSWORD, "viewer")
    earlier = issue_access_token(user.id, OLD_KEY, timedelta(minutes=5), credential_version(user.password_hash))

    async with client_with(settings, secret_key=NEW_KEY) as rotated:
        response = await rotated.get("/api/auth/me", headers={"Authorization": f"Bearer {earlier}"})

    assert response.status_code == 401
    assert "signed with a key DLV no longer accepts; log in again" in response.json()["detail"]


async def test_a_token_naming_one_key_but_signed_with_another_is_refused(settings, session_factory) -> None:
    """The kid only picks the key to check with; it never replaces the check."""
    user = await create_user(session_factory, "alice", PASSWORD, "admin")
    claims = {"sub": str(user.id), "iat": 1, "exp": 4_000_000_000, "typ": "access"}
    forged = jwt.encode(claims, "an-attackers-own-key-of-enough-length-1", algorithm="HS256", headers={"kid": key_id(OLD_KEY)})

    async with client_with(settings, secret_key=NEW_KEY, previous_secret_keys=OLD_KEY) as rotated:
        response = await rotated.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"})

    assert response.status_code == 401


def test_a_short_previous_key_stops_start_up(tmp_path) -> None:
    with pytest.raises(SettingsError, match="DLV_PREVIOUS_SECRET_KEYS holds a key shorter than 32 characters"):
        load_settings({"DLV_PREVIOUS_SECRET_KEYS": f"{OLD_KEY},short", "DLV_DATA_DIR": str(tmp_path)})
