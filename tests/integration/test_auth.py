"""Login, tokens, roles and user administration, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import UUID, uuid4

import jwt
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from dlv.auth._tokens import issue_access_token
from dlv.db.models import User
from tests.conftest import ADMIN_PASSWORD, SECRET_KEY, create_user, login

Client = AsyncTestClient[Litestar]


async def test_login_returns_a_bearer_token_that_identifies_the_user(client: Client, session_factory) -> None:
    await create_user(session_factory, "alice", "alice-password", "viewer")

    response = await client.post("/api/auth/login", json={"username": "alice", "password": "alice-password"})

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    assert me.json()["role"] == "viewer"


async def test_login_accepts_the_oauth2_form_used_by_swagger(client: Client, session_factory) -> None:
    await create_user(session_factory, "alice", "alice-password", "admin")

    response = await client.post("/api/auth/login", data={"username": "alice", "password": "alice-password"})

    assert response.status_code == 200
    assert response.json()["access_token"]


async def test_wrong_password_and_unknown_user_get_the_same_401(client: Client, session_factory) -> None:
    await create_user(session_factory, "alice", "alice-password", "admin")

    wrong_password = await client.post("/api/auth/login", json={"username": "alice", "password": "nope-nope"})
    unknown_user = await client.post("/api/auth/login", json={"username": "mallory", "password": "nope-nope"})

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json()
    assert wrong_password.json()["detail"] == "Wrong username or password."
    assert wrong_password.headers["content-type"].startswith("application/problem+json")


async def test_deactivated_user_cannot_log_in(client: Client, session_factory, admin_headers) -> None:
    created = await client.post(
        "/api/auth/users", json={"username": "bob", "password": "bob-password", "role": "viewer"}, headers=admin_headers
    )
    await client.patch(f"/api/auth/users/{created.json()['id']}", json={"is_active": False}, headers=admin_headers)

    response = await client.post("/api/auth/login", json={"username": "bob", "password": "bob-password"})

    assert response.status_code == 401


async def test_login_with_a_malformed_body_names_what_to_send(client: Client) -> None:
    response = await client.post("/api/auth/login", content=b"{not json", headers={"content-type": "application/json"})

    assert response.status_code == 400
    assert "username" in response.json()["detail"] and "password" in response.json()["detail"]


async def test_expired_token_is_refused(client: Client, session_factory) -> None:
    user = await create_user(session_factory, "alice", "alice-password", "admin")
    expired = issue_access_token(user.id, SECRET_KEY, timedelta(seconds=-5))

    response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {expired}"})

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_tampered_token_is_refused(client: Client, session_factory) -> None:
    user = await create_user(session_factory, "alice", "alice-password", "viewer")
    token = issue_access_token(user.id, SECRET_KEY, timedelta(minutes=5))
    claims = jwt.decode(token, options={"verify_signature": False})
    header, _, signature = token.split(".")
    forged_payload = jwt.encode({**claims, "sub": str(uuid4())}, "another-key-of-sufficient-length-123").split(".")[1]
    forged = f"{header}.{forged_payload}.{signature}"
    signed_elsewhere = jwt.encode(claims | {"typ": "access"}, "not-the-server-secret-key-at-all-000", algorithm="HS256")

    for bad in (forged, signed_elsewhere, "garbage"):
        response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, bad


async def test_anonymous_request_to_a_guarded_route_gets_401_with_a_hint(client: Client) -> None:
    response = await client.get("/api/auth/me")

    assert response.status_code == 401
    assert "/api/auth/login" in response.json()["detail"]


async def test_viewer_gets_403_on_every_write_route(client: Client, app: Litestar, viewer_headers) -> None:
    writes = 0
    for route in app.routes:
        for method in getattr(route, "methods", set()) - {"GET", "HEAD", "OPTIONS"}:
            path = re.sub(r"\{\w+:uuid\}", str(uuid4()), route.path)
            if path == "/api/auth/login":
                continue
            response = await client.request(method, path, json={}, headers=viewer_headers)
            assert response.status_code == 403, (method, path, response.text)
            writes += 1
    assert writes >= 12


async def test_admin_creates_lists_changes_and_deletes_users(client: Client, admin_headers, session_factory) -> None:
    created = await client.post(
        "/api/auth/users", json={"username": "bob", "password": "bob-password", "role": "viewer"}, headers=admin_headers
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

    reset = await client.patch(f"/api/auth/users/{bob['id']}", json={"password": "new-bob-password"}, headers=admin_headers)
    assert reset.status_code == 200
    assert (await client.post("/api/auth/login", json={"username": "bob", "password": "bob-password"})).status_code == 401
    await login(client, "bob", "new-bob-password")

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
    assert "at least 8 characters" in response.json()["detail"]


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
        "/api/auth/users", json={"username": "carol", "password": "carol-password", "role": "admin"}, headers=admin_headers
    )

    response = await client.patch(f"/api/auth/users/{other.json()['id']}", json={"role": "viewer"}, headers=admin_headers)

    assert response.status_code == 200
    assert response.json()["role"] == "viewer"


async def test_a_token_stops_working_when_its_user_is_deleted(client: Client, admin_headers) -> None:
    created = await client.post(
        "/api/auth/users", json={"username": "dave", "password": "dave-password", "role": "viewer"}, headers=admin_headers
    )
    dave_headers = await login(client, "dave", "dave-password")
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
