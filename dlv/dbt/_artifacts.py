"""The parts of dbt's artifacts (``manifest.json``, ``run_results.json``, ``catalog.json``)
DLV reads, as msgspec Structs: a document that does not fit is refused with the path of the
first value that does not (``manifest.nodes["model.shop.orders"].schema: expected str``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from dlv.lib.exceptions import InvalidFields, validation_location


class Column(msgspec.Struct):
    name: str
    description: str | None = None
    data_type: str | None = None


class DependsOn(msgspec.Struct):
    nodes: list[str] = []


class TestMetadata(msgspec.Struct):
    name: str
    kwargs: dict[str, Any] = {}


class Node(msgspec.Struct):
    """A model, seed, snapshot, test or source of the manifest."""

    unique_id: str
    resource_type: str
    name: str
    schema: str | None = None
    database: str | None = None
    description: str | None = None
    columns: dict[str, Column] = {}
    depends_on: DependsOn = msgspec.field(default_factory=DependsOn)
    # ``compiled_code`` since manifest v7, ``compiled_sql`` before.
    compiled_code: str | None = None
    compiled_sql: str | None = None
    test_metadata: TestMetadata | None = None

    @property
    def sql(self) -> str | None:
        return self.compiled_code or self.compiled_sql


class ManifestMetadata(msgspec.Struct):
    dbt_schema_version: str
    project_name: str | None = None
    adapter_type: str | None = None
    generated_at: datetime | None = None
    invocation_id: str | None = None


class Manifest(msgspec.Struct):
    metadata: ManifestMetadata
    nodes: dict[str, Node]
    sources: dict[str, Node] = {}
    parent_map: dict[str, list[str]] = {}


class _ManifestOutline(msgspec.Struct):
    """A manifest whose nodes are read one by one, so an error names the node's unique id
    (msgspec says ``nodes[...]`` for any key)."""

    metadata: ManifestMetadata
    nodes: dict[str, dict[str, Any]]
    sources: dict[str, dict[str, Any]] = {}
    parent_map: dict[str, list[str]] = {}


class Timing(msgspec.Struct):
    name: str
    started_at: datetime | None = None
    completed_at: datetime | None = None


class Result(msgspec.Struct):
    unique_id: str
    status: str
    timing: list[Timing] = []
    message: str | None = None


class RunMetadata(msgspec.Struct):
    generated_at: datetime | None = None
    invocation_id: str | None = None


class RunResults(msgspec.Struct):
    results: list[Result]
    metadata: RunMetadata = msgspec.field(default_factory=RunMetadata)


class CatalogColumn(msgspec.Struct):
    name: str
    type: str | None = None


class CatalogTable(msgspec.Struct):
    columns: dict[str, CatalogColumn] = {}


class Catalog(msgspec.Struct):
    nodes: dict[str, CatalogTable] = {}
    sources: dict[str, CatalogTable] = {}


class Artifacts(msgspec.Struct):
    manifest: Manifest
    run_results: RunResults | None = None
    catalog: Catalog | None = None


def load(manifest: Any, run_results: Any = None, catalog: Any = None) -> Artifacts:
    """The documents (decoded JSON) as Structs; 400 naming the document and the value that is wrong."""
    return Artifacts(
        manifest=_manifest(manifest),
        run_results=None if run_results is None else _convert("run_results", run_results, RunResults),
        catalog=None if catalog is None else _convert("catalog", catalog, Catalog),
    )


def _manifest(value: Any) -> Manifest:
    outline = _convert("manifest", value, _ManifestOutline)
    nodes, sources = (
        {uid: _convert("manifest", node, Node, f'.{part}["{uid}"]') for uid, node in getattr(outline, part).items()}
        for part in ("nodes", "sources")
    )
    return Manifest(metadata=outline.metadata, nodes=nodes, sources=sources, parent_map=outline.parent_map)


def _convert(document: str, value: Any, shape: type[Any], at: str = "") -> Any:
    try:
        return msgspec.convert(value, type=shape)
    except msgspec.ValidationError as exc:
        path, problem = validation_location(exc)
        where = document + at + path.removeprefix("$")
        raise InvalidFields(
            [(where, problem)],
            detail=f"Invalid dbt {document}.json at {where}: {problem}. Send the file dbt wrote in target/ "
            "(dbt run, dbt test or dbt build; dbt docs generate for catalog.json).",
        ) from None
