"""The OpenAPI document says what the API really answers: every protected operation documents
401 and 403, every error is a problem document, and the statuses that come from layers no
handler sees (edge input checks, body limits, the database) are listed too. That nothing
undocumented is ever answered is checked by the fuzzer (status_code_conformance)."""

from __future__ import annotations

from tests.integration.hardening.conftest import Client

ANONYMOUS = {("post", "/api/auth/login"), ("get", "/health")} | {
    ("get", "/api/auth/providers"), ("get", "/api/auth/oidc/login"), ("get", "/api/auth/oidc/callback"), ("get", "/api/auth/oidc/logout")
}


async def _operations(client: Client) -> dict[tuple[str, str], dict]:
    document = (await client.get("/schema/openapi.json")).json()
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }


async def test_every_protected_operation_documents_401_and_403(client: Client) -> None:
    operations = await _operations(client)

    protected = {key: op for key, op in operations.items() if key not in ANONYMOUS}
    assert len(protected) >= 40
    undocumented = sorted(f"{method.upper()} {path}" for (method, path), op in protected.items() if not {"401", "403"} <= op["responses"].keys())
    assert not undocumented, undocumented
    assert "403" not in operations[("post", "/api/auth/login")]["responses"]


async def test_errors_are_documented_as_problem_details(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    operations = await _operations(client)

    assert document["components"]["schemas"]["Problem"]["required"] == ["type", "status", "title", "detail"]
    for (method, path), operation in operations.items():
        assert {"400", "503"} <= operation["responses"].keys(), (method, path)
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == ["application/problem+json"], (method, path, status)


async def test_particular_statuses_are_where_they_happen(client: Client) -> None:
    operations = await _operations(client)

    assert {"401", "429"} <= operations[("post", "/api/auth/login")]["responses"].keys()
    assert "504" in operations[("get", "/api/lineage/graph")]["responses"]
    assert {"404", "504"} <= operations[("get", "/api/lineage/paths")]["responses"].keys()
    assert "413" in operations[("post", "/api/lineage/bulk")]["responses"]
    assert "404" in operations[("get", "/api/nodes/{node_id}")]["responses"]
    assert "413" not in operations[("get", "/api/nodes")]["responses"]


async def test_an_answer_matches_its_documentation(client: Client, viewer_headers) -> None:
    operations = await _operations(client)

    response = await client.get("/api/audit", headers=viewer_headers)

    assert response.status_code == 403
    assert "403" in operations[("get", "/api/audit")]["responses"]
    assert response.headers["content-type"].startswith("application/problem+json")
    assert {"type", "status", "title", "detail"} <= response.json().keys()
