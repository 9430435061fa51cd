"""The app as a whole: every route guarded, health, OpenAPI, migrations on both databases."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from dlv.auth import is_public_path
from dlv.db.migrate import downgrade, upgrade
from dlv.db.models import metadata

Client = AsyncTestClient[Litestar]


def test_every_route_declares_a_guard_unless_it_is_on_the_public_list(app: Litestar) -> None:
    unguarded = [
        f"{sorted(handler.http_methods)} {route.path}"
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for handler in route.route_handlers
        if handler.http_methods != {"OPTIONS"}  # Litestar's automatic CORS preflight answer
        and not handler.resolve_guards()
        and not is_public_path(route.path)
    ]
    assert unguarded == []


SIGN_ON = ("/api/auth/providers", "/api/auth/oidc/login", "/api/auth/oidc/callback", "/api/auth/oidc/logout")


def test_the_public_list_is_short_and_covers_only_login_health_schema_and_ui(app: Litestar) -> None:
    public = sorted({route.path for route in app.routes if is_public_path(route.path)})
    assert all(
        path in ("/api/auth/login", "/health", "/metrics", *SIGN_ON) or path.startswith(("/schema", "/ui", "/assets")) or path == "/"
        for path in public
    )
    assert "/api/auth/login" in public and "/health" in public


async def test_health_reports_the_database_as_reachable(client: Client) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


async def test_openapi_lists_the_auth_paths_and_a_login_flow_for_swagger(client: Client) -> None:
    schema = (await client.get("/schema/openapi.json")).json()

    assert {"/api/auth/login", "/api/auth/me", "/api/auth/users", "/api/auth/users/{user_id}"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["login"]["flows"]["password"]["tokenUrl"] == "/api/auth/login"
    login_body = schema["paths"]["/api/auth/login"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/x-www-form-urlencoded"} <= set(login_body)
    swagger = await client.get("/schema/swagger")
    assert swagger.status_code == 200 and "swagger" in swagger.text.lower()


async def test_unknown_path_is_a_problem_document(client: Client) -> None:
    response = await client.get("/api/nothing-here")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
async def test_migrations_run_up_from_empty_and_back_down(target: str, tmp_path, request: pytest.FixtureRequest) -> None:
    if target == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database(f"fresh_{tmp_path.name[-12:].lower()}")

    await _async(upgrade, url)
    assert {table.name for table in metadata.sorted_tables} <= await _tables(url)
    await _async(upgrade, url)  # a second run finds nothing to do

    await _async(downgrade, url)
    assert await _tables(url) <= {"alembic_version"}


async def _async(function, *args):
    import asyncio

    return await asyncio.to_thread(function, *args)


async def test_every_openapi_schema_has_its_own_name(client: Client) -> None:
    """Two shapes with one class name get module-prefixed names (``history__schemas_X``),
    which breaks the UI's generated types that refer to them by name."""
    names = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]

    assert [name for name in names if "__" in name] == []
