"""A real OpenID provider (tests/services/oidc.py) and a DLV app configured to sign in with it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from dlv.app import create_app
from dlv.config import Settings
from tests.services.oidc import OidcServer

CLIENT_ID = "dlv-ui"
CLIENT_SECRET = "dlv-client-secret-5e1b9c"
ADMINS, VIEWERS = "dlv-admins", "dlv-viewers"
Client = AsyncTestClient[Litestar]


@pytest.fixture(scope="session")
def oidc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcServer]:
    with OidcServer(tmp_path_factory.mktemp("oidc")) as server:
        yield server


def with_oidc(settings: Settings, server: OidcServer, **changes: Any) -> Settings:
    oidc = {
        "oidc_issuer": server.issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "oidc_admin_groups": f"{ADMINS},platform-team",
        "oidc_viewer_groups": VIEWERS,
        "oidc_provider_name": "Test IdP",
    }
    return msgspec.structs.replace(settings, **{**oidc, **changes})


@pytest.fixture
async def sso_client(settings: Settings, oidc_server: OidcServer, session_factory: Any) -> AsyncIterator[Client]:
    """A client of an app signing in with the test provider (a new app: keys not yet fetched)."""
    async with AsyncTestClient(app=create_app(with_oidc(settings, oidc_server))) as client:
        client.follow_redirects = False
        yield client


async def start_sign_in(client: Client, next_path: str = "/lineage") -> str:
    """DLV's redirect to the provider's authorization endpoint (sets the state cookie)."""
    response = await client.get("/api/auth/oidc/login", params={"next": next_path})
    assert response.status_code == 302, response.text
    return response.headers["location"]


def provider_login(authorize_url: str, username: str, claims: dict[str, Any]) -> str:
    """Fill in the provider's login form as a person would; returns DLV's callback path and query."""
    form = {"username": username, "claims": json.dumps({"preferred_username": username, **claims})}
    response = httpx.post(authorize_url, data=form, follow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    callback = urlsplit(response.headers["location"])
    assert callback.path == "/api/auth/oidc/callback"
    return f"{callback.path}?{callback.query}"


async def sign_in(client: Client, username: str, groups: list[str], **claims: Any) -> httpx.Response:
    """The whole sign-in, the answer of DLV's callback (a redirect to the UI, or a refusal)."""
    callback = provider_login(await start_sign_in(client), username, {"groups": groups, **claims})
    return await client.get(callback)


def session_token(callback: httpx.Response) -> str:
    """DLV's session token from the callback's redirect to the UI (in the URL fragment)."""
    assert callback.status_code == 303, callback.text
    location = urlsplit(callback.headers["location"])
    assert location.path == "/ui/login"
    return parse_qs(location.fragment)["sso_token"][0]
