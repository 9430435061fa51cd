"""Malformed input found by the second attack round: each was a 500 (most only on PostgreSQL)
and is now a 400 naming the field, with nothing stored."""

from __future__ import annotations

import gzip
import json

from uuid import uuid4

import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from dlv.app import alchemy_config

from dlv.db.models import AuditEntry, Dashboard, DataAsset, LineageEvent, Node, Process, User
from dlv.lib.exceptions import exception_handlers
from dlv.lib.input_policy import MAX_JSON_DEPTH
from tests.integration.hardening.conftest import Client, issue_api_token
from tests.integration.openlineage.conftest import run_event

RUN_ID = "0190a0a0-0000-7000-8000-000000000000"


def _assert_bad_request_naming(response, field: str, *words: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    detail = response.json()["detail"]
    assert field in detail and all(word in detail for word in words), detail


async def _count(session_factory, model) -> int:
    async with session_factory() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_a_nul_byte_in_an_anonymous_login_is_a_400(client: Client) -> None:
    response = await client.post("/api/auth/login", json={"username": "admin\u0000", "password": "x"})

    _assert_bad_request_naming(response, "$.username", "NUL")


async def test_a_nul_byte_in_a_form_login_is_a_400(client: Client) -> None:
    response = await client.post("/api/auth/login", data={"username": "admin", "password": "pass\x00word"})

    _assert_bad_request_naming(response, "password", "NUL")


@pytest.mark.parametrize(
    ("path", "param"),
    [("/api/search", "q"), ("/api/lineage/assets", "namespace"), ("/api/nodes", "tag"), ("/api/audit", "actor")],
)
async def test_a_nul_byte_in_a_query_parameter_is_a_400(client: Client, admin_headers, path: str, param: str) -> None:
    response = await client.get(path, params={param: "orders\x00"}, headers=admin_headers)

    _assert_bad_request_naming(response, param, "NUL")


@pytest.mark.parametrize(
    ("path", "body", "field", "model"),
    [
        ("/api/lineage/assets", {"namespace": "pg", "name": "orders\u0000", "kind": "table"}, "$.name", DataAsset),
        ("/api/lineage/processes", {"namespace": "pg", "name": "load", "tags": ["a\u0000"]}, "$.tags[0]", Process),
        ("/api/nodes", {"name": "n\u0000", "type": "api", "config": {"base_url": "https://example.com"}}, "$.name", Node),
        ("/api/dashboards", {"name": "board", "description": "\u0000"}, "$.description", Dashboard),
    ],
)
async def test_a_nul_byte_in_a_json_string_is_a_400_and_stores_nothing(
    client: Client, admin_headers, session_factory, path: str, body: dict, field: str, model
) -> None:
    response = await client.post(path, json=body, headers=admin_headers)

    _assert_bad_request_naming(response, field, "NUL")
    assert await _count(session_factory, model) == 0


@pytest.mark.parametrize("compress", [False, True])
async def test_a_nul_byte_in_an_openlineage_name_is_a_400_and_stores_nothing(
    client: Client, admin_headers, session_factory, compress: bool
) -> None:
    body = json.dumps(run_event("load\u0000", RUN_ID, "START", "2024-01-01T00:00:00Z", inputs=["public.orders"])).encode()
    headers = admin_headers | {"content-type": "application/json"} | ({"content-encoding": "gzip"} if compress else {})

    response = await client.post("/api/v1/lineage", content=gzip.compress(body) if compress else body, headers=headers)

    _assert_bad_request_naming(response, "$.job.name", "NUL")
    assert await _count(session_factory, LineageEvent) == 0


@pytest.mark.parametrize("path", ["/api/lineage/assets", "/api/dashboards", "/api/v1/lineage"])
async def test_json_nested_ten_thousand_levels_is_a_400(client: Client, admin_headers, path: str) -> None:
    body = b'{"name": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"

    response = await client.post(path, content=body, headers=admin_headers | {"content-type": "application/json"})

    _assert_bad_request_naming(response, "$", "nested more than")


async def test_json_just_past_the_depth_limit_is_a_400_naming_where(client: Client, admin_headers) -> None:
    deep = {"layout": {"annotations": []}, "name": "board"}
    nested: list = []
    deep["description"] = nested
    for _ in range(MAX_JSON_DEPTH):
        nested.append([])
        nested = nested[0]

    response = await client.post("/api/dashboards", json=deep, headers=admin_headers)

    _assert_bad_request_naming(response, "$.description[0][0]", f"nested more than {MAX_JSON_DEPTH}")


async def test_brackets_inside_strings_do_not_count_as_nesting(client: Client, admin_headers) -> None:
    description = '[{"\\"' + "[" * (MAX_JSON_DEPTH + 50) + "]" * 10

    response = await client.post("/api/dashboards", json={"name": "brackets", "description": description}, headers=admin_headers)

    assert response.status_code == 201, response.text
    assert response.json()["description"] == description


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/lineage/assets", {"namespace": "pg", "name": "orders", "owner": "o" * 201}, "owner"),
        ("/api/lineage/processes", {"namespace": "pg", "name": "load", "schedule": "s" * 201}, "schedule"),
        ("/api/lineage/processes", {"namespace": "pg", "name": "load", "owner": "o" * 201}, "owner"),
        ("/api/lineage/assets", {"namespace": "pg", "name": "orders", "description": "d" * 10_001}, "description"),
    ],
)
async def test_a_value_longer_than_its_column_is_a_400(client: Client, admin_headers, session_factory, path, body, field) -> None:
    response = await client.post(path, json=body, headers=admin_headers)

    _assert_bad_request_naming(response, field, "200" if field != "description" else "10000")
    assert await _count(session_factory, DataAsset) + await _count(session_factory, Process) == 0


async def test_the_longest_owner_and_schedule_are_stored_and_read_back(client: Client, admin_headers) -> None:
    body = {"namespace": "pg", "name": "load", "owner": "o" * 200, "schedule": "s" * 200}

    created = await client.post("/api/lineage/processes", json=body, headers=admin_headers)
    read = await client.get(f"/api/lineage/processes/{created.json()['id']}", headers=admin_headers)

    assert created.status_code == 201, created.text
    assert (read.json()["owner"], read.json()["schedule"]) == ("o" * 200, "s" * 200)


async def test_an_openlineage_symlink_type_longer_than_its_column_is_a_400(client: Client, admin_headers, session_factory) -> None:
    symlinks = {"identifiers": [{"namespace": "hive", "name": "db.orders", "type": "t" * 51}]}
    event = run_event("load", RUN_ID, "COMPLETE", "2024-01-01T00:00:00Z", outputs=[{"namespace": "pg", "name": "orders", "facets": {"symlinks": symlinks}}])

    response = await client.post("/api/v1/lineage", json=event, headers=admin_headers)

    _assert_bad_request_naming(response, "type", "50")
    assert await _count(session_factory, LineageEvent) == 0


@pytest.mark.parametrize("path", ["/api/v1/events/lineage", "/api/lineage/edges", "/api/search?q=orders"])
async def test_an_offset_past_a_64_bit_integer_is_a_400(client: Client, admin_headers, path: str) -> None:
    response = await client.get(path, params={"offset": "9223372036854775808"}, headers=admin_headers)

    _assert_bad_request_naming(response, "offset")


@pytest.mark.parametrize(
    ("path", "param"), [("/api/lineage/graph?type=asset&namespace=pg&name=orders", "as_of"), ("/api/audit", "since"), ("/api/audit", "until")]
)
@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
async def test_a_date_time_outside_the_calendar_in_utc_is_a_400(client: Client, admin_headers, path, param, moment) -> None:
    response = await client.get(path, params={param: moment}, headers=admin_headers)

    _assert_bad_request_naming(response, param, "years 1 to 9999")


async def test_an_openlineage_event_time_outside_the_calendar_in_utc_is_a_400(client: Client, admin_headers, session_factory) -> None:
    event = run_event("load", RUN_ID, "START", "0001-01-01T00:00:00+14:00")

    response = await client.post("/api/v1/lineage", json=event, headers=admin_headers)

    _assert_bad_request_naming(response, "$.eventTime", "years 1 to 9999")
    assert await _count(session_factory, LineageEvent) == 0


async def test_a_dashboard_saved_with_an_admin_api_token_names_the_token_and_belongs_to_no_account(
    client: Client, admin_headers, session_factory
) -> None:
    token = await issue_api_token(client, admin_headers, "admin", name="deploy-bot")

    response = await client.post("/api/dashboards", json={"name": "from CI"}, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 201, response.text
    assert response.json()["owner"] == "deploy-bot"
    async with session_factory() as session:
        stored = await session.scalar(select(Dashboard))
    assert stored.owner_id is None


async def test_an_exhausted_connection_pool_is_a_503_with_retry_after(database_url: str) -> None:
    # A real pool of one connection, held by one request while a second waits for it.
    engine = create_async_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=0.2)

    @get("/busy")
    async def busy() -> None:
        async with engine.connect():
            async with engine.connect():
                pass

    try:
        async with AsyncTestClient(Litestar([busy], exception_handlers=exception_handlers)) as client:
            response = await client.get("/busy")
    finally:
        await engine.dispose()

    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert "retry" in response.json()["detail"]


async def test_a_failed_statement_does_not_carry_its_values(settings, session_factory) -> None:
    engine = alchemy_config(settings).get_engine()
    secret = "header-value-that-must-stay-secret"
    user_id = uuid4()
    try:
        async with AsyncSession(engine) as session:
            session.add(User(id=user_id, username="first", password_hash="x", role="viewer"))
            await session.commit()
            # The same id again: the database refuses the statement, naming only the key.
            session.add(User(id=user_id, username="second", password_hash=secret, role="viewer"))
            with pytest.raises(IntegrityError) as failure:
                await session.commit()
    finally:
        await engine.dispose()

    assert secret not in str(failure.value)
    assert "parameters hidden" in str(failure.value)


async def test_the_longest_namespace_and_name_are_stored_and_audited(client: Client, admin_headers, session_factory) -> None:
    # Found by the fuzzer on PostgreSQL: "namespace/name" outgrew the audit log's entity_name column.
    body = {"namespace": "n" * 500, "name": "p" * 1000}

    created = await client.post("/api/lineage/processes", json=body, headers=admin_headers)

    assert created.status_code == 201, created.text
    async with session_factory() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.entity_id == created.json()["id"]))
    assert entry.entity_name.startswith("n" * 500 + "/p") and len(entry.entity_name) == 1000
