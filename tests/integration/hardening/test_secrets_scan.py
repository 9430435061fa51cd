"""Passwords and tokens of users, logins and API tokens never come back in a response or
show up in a log line. (Node connection secrets have their own end-to-end scan in
tests/integration/nodes/test_secrets.py; here one node password rides along to check that
the user-facing flows around it do not leak it either.)"""

from __future__ import annotations

import logging
from typing import Any

from tests.integration.hardening.conftest import Client
from tests.integration.openlineage.conftest import run_event

USER_PASSWORD = "first-Pa55word-7c1e"
NEW_PASSWORD = "second-Pa55word-9b2d"
WRONG_PASSWORD = "guessed-Pa55word-4a0f"
REJECTED_PASSWORD = "rejected-Pa55word-d3e8"
NODE_PASSWORD = "node-Pa55word-51f6"


async def test_a_user_token_and_login_flow_never_shows_a_secret(client: Client, admin_headers, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []
    shown_once: dict[str, str] = {}  # secret -> the one response allowed to carry it (issuing it)

    async def call(method: str, url: str, expected: int, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        response = await client.request(method, url, headers=admin_headers if headers is None else headers, **kwargs)
        assert response.status_code == expected, (method, url, response.text)
        bodies.append(response.text)
        return response.json() if response.content else None

    bob = await call("POST", "/api/auth/users", 201, json={"username": "bob", "password": USER_PASSWORD, "role": "viewer"})
    await call("POST", "/api/auth/users", 400, json={"username": "not valid", "password": REJECTED_PASSWORD, "role": "owner"})
    await call("POST", "/api/auth/login", 401, headers={}, json={"username": "bob", "password": WRONG_PASSWORD})
    await call("POST", "/api/auth/login", 401, headers={}, json={"username": "nobody", "password": WRONG_PASSWORD})
    await call("POST", "/api/auth/login", 400, headers={}, content=f'{{"username": "bob", "password": "{WRONG_PASSWORD}"'.encode())
    login = await call("POST", "/api/auth/login", 200, headers={}, data={"username": "bob", "password": USER_PASSWORD})
    shown_once[login["access_token"]] = bodies.pop()
    bob_headers = {"Authorization": f"Bearer {login['access_token']}"}
    await call("GET", "/api/auth/me", 200, headers=bob_headers)
    await call("PATCH", f"/api/auth/users/{bob['id']}", 200, json={"password": NEW_PASSWORD})
    await call("GET", f"/api/auth/users/{bob['id']}", 200)
    await call("GET", "/api/auth/users", 200)

    token = await call("POST", "/api/tokens", 201, json={"name": "airflow", "role": "ingest"})
    shown_once[token["token"]] = bodies.pop()
    ingest = {"Authorization": f"Bearer {token['token']}"}
    event = run_event("load", "0190a1b2-0000-7000-8000-000000000001", "COMPLETE", "2024-06-01T10:00:00Z", outputs=["totals"])
    await call("POST", "/api/v1/lineage", 201, headers=ingest, json=event)
    await call("GET", "/api/auth/me", 403, headers=ingest)
    await call("GET", "/api/tokens", 200)
    await call("GET", f"/api/tokens/{token['id']}", 200)
    await call("DELETE", f"/api/tokens/{token['id']}", 204)
    await call("POST", "/api/v1/lineage", 401, headers=ingest, json=event)
    await call("GET", "/api/auth/me", 401, headers={"Authorization": "Bearer dlv_" + NEW_PASSWORD})

    node = await call("POST", "/api/nodes", 201, json={"name": "warehouse", "type": "postgresql", "config": {
        "host": "db.internal", "database": "analytics", "user": "reader", "password": NODE_PASSWORD}})
    await call("GET", f"/api/nodes/{node['id']}", 401, headers=bob_headers)  # the password changed since that login
    relogin = await call("POST", "/api/auth/login", 200, headers={}, json={"username": "bob", "password": NEW_PASSWORD})
    shown_once[relogin["access_token"]] = bodies.pop()
    await call("GET", f"/api/nodes/{node['id']}", 200, headers={"Authorization": f"Bearer {relogin['access_token']}"})

    secrets = [USER_PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, REJECTED_PASSWORD, NODE_PASSWORD, *shown_once]
    logged = "\n".join(f"{record.getMessage()} {record.args!r} {record.exc_text or ''}" for record in caplog.records)
    assert "/api/auth/login" in logged  # the requests' log lines really were captured
    for secret in secrets:
        assert all(secret not in body for body in bodies), secret
        assert secret not in logged, secret
    for secret, issuing_response in shown_once.items():
        assert secret in issuing_response  # shown exactly where it is handed out, and nowhere else
