"""/schema/swagger works with no internet: every script, style and icon the page loads is
served by DLV itself, and its Content-Security-Policy allows nothing from elsewhere."""

from __future__ import annotations

import re

from tests.integration.hardening.conftest import Client

ASSET = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)=["']([^"']+)["']""")


async def test_the_swagger_page_loads_everything_from_dlv(client: Client) -> None:
    page = await client.get("/schema/swagger")

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = ASSET.findall(page.text)
    assert len(assets) >= 3, assets  # bundle, standalone preset, stylesheet (and the icon)
    assert all(url.startswith("/schema/assets/") for url in assets), assets
    for url in assets:
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 500, url
    assert "SwaggerUIBundle" in (await client.get("/schema/assets/swagger-ui-bundle.js")).text


async def test_the_swagger_page_may_not_load_anything_from_another_origin(client: Client) -> None:
    page = await client.get("/schema/swagger")

    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self' 'unsafe-inline'" in policy
    assert "http" not in policy and "*" not in policy


async def test_the_assets_need_no_login_and_unknown_ones_are_404(client: Client) -> None:
    assert (await client.get("/schema/assets/swagger-ui.css")).status_code == 200
    assert (await client.get("/schema/assets/no-such-file.js")).status_code == 404
