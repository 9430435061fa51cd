"""Build small lineage graphs by name through the bulk API."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

NAMESPACE = "postgres://warehouse:5432"
JOBS = "airflow://etl"


def ref(name: str) -> dict[str, str]:
    """Names starting with 'p' are processes, everything else is an asset."""
    if name.startswith("p"):
        return {"type": "process", "namespace": JOBS, "name": name}
    return {"type": "asset", "namespace": NAMESPACE, "name": name}


class GraphBuilder:
    def __init__(self, client: AsyncTestClient[Litestar], headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers
        self.ids: dict[str, str] = {}

    async def build(self, edges: list[tuple[str, str]], columns: dict[tuple[str, str], list[dict[str, Any]]] | None = None,
                    assets: list[dict[str, Any]] | None = None, processes: list[dict[str, Any]] | None = None) -> dict[str, str]:
        names = {name for edge in edges for name in edge}
        given_assets = {item["name"]: item for item in assets or []}
        given_processes = {item["name"]: item for item in processes or []}
        body = {
            "assets": [given_assets.get(n, {"namespace": NAMESPACE, "name": n}) for n in sorted(names | set(given_assets)) if not n.startswith("p")],
            "processes": [given_processes.get(n, {"namespace": JOBS, "name": n}) for n in sorted(names | set(given_processes)) if n.startswith("p")],
            "edges": [
                {"source": ref(s), "target": ref(t), "columns": (columns or {}).get((s, t), [])} for s, t in edges
            ],
        }
        response = await self.client.post("/api/lineage/bulk", json=body, headers=self.headers)
        assert response.status_code == 200, response.text
        for kind, path in (("asset", "assets"), ("process", "processes")):
            listing = await self.client.get(f"/api/lineage/{path}?pageSize=1000", headers=self.headers)
            for item in listing.json()["items"]:
                self.ids[item["name"]] = item["id"]
        return self.ids

    async def graph(self, start: str, **params: Any) -> dict[str, Any]:
        response = await self.client.get(
            "/api/lineage/graph", params={"node_id": self.ids[start], **params}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    def names(self, graph: dict[str, Any]) -> dict[str, int]:
        """name -> depth of every node in a graph answer."""
        return {node["name"]: node["depth"] for node in graph["nodes"]}

    def edge_names(self, graph: dict[str, Any]) -> set[tuple[str, str]]:
        by_id = {value: key for key, value in self.ids.items()}
        return {(by_id[edge["source_id"]], by_id[edge["target_id"]]) for edge in graph["edges"]}


@pytest.fixture
async def lineage(client, admin_headers) -> GraphBuilder:
    return GraphBuilder(client, admin_headers)
