"""Single sign-on in Chromium against a real OpenID provider (mock-oauth2-server): the login
page's button, the provider's login form, groups deciding the role, a refusal shown on the
login page, and logging out at the provider too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import screenshot
from tests.services.oidc import OidcServer

PROVIDER_NAME = "Acme SSO"


@pytest.fixture(scope="module")
def oidc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcServer]:
    with OidcServer(Path(tmp_path_factory.mktemp("oidc-e2e"))) as server:
        yield server


@pytest.fixture(scope="module")
def live_server_env(oidc_server: OidcServer) -> dict[str, str]:
    return {
        "DLV_OIDC_ISSUER": oidc_server.issuer,
        "DLV_OIDC_CLIENT_ID": "dlv-ui",
        "DLV_OIDC_CLIENT_SECRET": "e2e-client-secret",
        "DLV_OIDC_ADMIN_GROUPS": "dlv-admins",
        "DLV_OIDC_VIEWER_GROUPS": "dlv-viewers",
        "DLV_OIDC_PROVIDER_NAME": PROVIDER_NAME,
    }


def sign_in_at_provider(page, username: str, groups: list[str]) -> None:
    page.goto("/ui/login?next=%2Fnodes")
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    page.locator("input[name=username]").fill(username)  # the provider's own login form
    page.locator("textarea[name=claims]").fill(json.dumps({"preferred_username": username, "groups": groups}))
    page.get_by_role("button", name="Sign-in").click()


def test_an_admin_signs_in_with_single_sign_on_and_lands_where_they_wanted(page) -> None:
    sign_in_at_provider(page, "sso-admin", ["dlv-admins"])

    page.get_by_test_id("user-name").wait_for()
    assert page.get_by_test_id("user-name").inner_text() == "sso-admin"
    assert page.get_by_test_id("user-role").inner_text() == "admin"
    assert page.url.endswith("/ui/nodes") and "sso_token" not in page.url
    screenshot(page, "sso-signed-in")


def test_a_viewer_group_member_gets_the_read_only_ui(page) -> None:
    sign_in_at_provider(page, "sso-viewer", ["dlv-viewers"])

    page.get_by_test_id("user-role").wait_for()
    assert page.get_by_test_id("user-role").inner_text() == "viewer"


def test_someone_in_no_accepted_group_is_told_which_groups_would_do(page) -> None:
    sign_in_at_provider(page, "outsider", ["marketing"])

    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "dlv-admins" in alert.inner_text() and "dlv-viewers" in alert.inner_text()
    assert page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").is_visible()
    screenshot(page, "sso-refused")


def test_logging_out_ends_the_session_at_the_provider_and_comes_back(page, oidc_server: OidcServer) -> None:
    sign_in_at_provider(page, "sso-leaver", ["dlv-admins"])
    page.get_by_test_id("user-name").wait_for()
    visited: list[str] = []
    page.on("request", lambda request: visited.append(request.url) if request.is_navigation_request() else None)

    page.get_by_role("button", name="Log out").click()

    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").wait_for()
    assert any(url.startswith(f"{oidc_server.issuer}/endsession") for url in visited), visited
    assert page.evaluate("sessionStorage.getItem('dlv.token')") is None
