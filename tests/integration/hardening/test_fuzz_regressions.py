"""Requests the fuzzer (test_fuzz_openapi.py) once answered with a 500, kept as they were
found so the bugs stay fixed; each now gets a 400 problem document saying what to send."""

from __future__ import annotations

import pytest

from tests.integration.hardening.conftest import Client

LISTS = ["/api/auth/users", "/api/tokens", "/api/lineage/assets", "/api/lineage/processes", "/api/nodes", "/api/dashboards"]


def _assert_bad_request_naming(response, words: tuple[str, ...]) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    detail = response.json()["detail"]
    assert all(word in detail for word in words), detail


@pytest.mark.parametrize("path", ["/api/auth/users", "/api/tokens"])
async def test_ids_that_are_not_uuids_are_a_400(client: Client, admin_headers, path: str) -> None:
    # Found as GET /api/auth/users?ids=%40&ids=%C3%BDC... -> 500 "The database rejected the request."
    response = await client.get(path, params={"ids": ["@", "ýC"]}, headers=admin_headers)

    _assert_bad_request_naming(response, ("UUID",))


@pytest.mark.parametrize("path", LISTS)
async def test_a_page_far_beyond_any_offset_is_a_400(client: Client, admin_headers, path: str) -> None:
    # Found as GET /api/lineage/assets?currentPage=1223229869606362624 -> 500 (OFFSET overflow).
    response = await client.get(path, params={"currentPage": 1223229869606362624}, headers=admin_headers)

    _assert_bad_request_naming(response, ("currentPage",))


@pytest.mark.parametrize("path", LISTS)
async def test_an_oversized_page_is_a_400(client: Client, admin_headers, path: str) -> None:
    response = await client.get(path, params={"pageSize": 19875638210}, headers=admin_headers)

    _assert_bad_request_naming(response, ("pageSize", "1000"))


async def test_the_largest_page_size_still_works(client: Client, admin_headers) -> None:
    response = await client.get("/api/lineage/assets", params={"pageSize": 1000, "currentPage": 1000000}, headers=admin_headers)

    assert response.status_code == 200
    assert response.json()["items"] == []


@pytest.mark.parametrize("order_by", ["", "no_such_field"])
async def test_sorting_by_a_field_that_does_not_exist_is_a_400(client: Client, admin_headers, order_by: str) -> None:
    # Found as GET /api/tokens?orderBy= -> 500 "The database rejected the request."
    response = await client.get("/api/tokens", params={"orderBy": order_by}, headers=admin_headers)

    _assert_bad_request_naming(response, ("orderBy",))
