"""A dbt project's artifacts as the OpenLineage events ``dbt-ol`` would have sent for them,
named exactly as openlineage-dbt names things (``DbtArtifactProcessor``): datasets in the
profile's namespace (``postgres://host:port``) as ``database.schema.name``, jobs in the job
namespace as ``database.schema.<unique id without "model.">`` (``.snapshot`` and ``.test``
suffixes), so events a later ``dbt-ol`` run sends land on the same assets and processes.

Two choices differ from dbt-ol, both adding lineage it leaves out: seeds are assets and read by
the models that ``ref`` them, and a model without a run result still gets its lineage (a
JobEvent, no run). Run ids are derived from dbt's invocation id, so importing the same
artifacts twice changes nothing.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

from dlv.dbt._artifacts import Artifacts, Node, Result

PRODUCER = "https://github.com/dlv/dlv/dbt-import"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/{}"
_RUN_IDS = uuid.UUID("5d0f7c1e-6b0a-4c59-9a55-0a8f1d2e3c4b")
DATASET_TYPES = ("model.", "seed.", "snapshot.", "source.")
RUN_STATES = {"success": "COMPLETE", "error": "FAIL"}


class EventBuilder:
    def __init__(self, artifacts: Artifacts, namespace: str, job_namespace: str) -> None:
        self.artifacts = artifacts
        self.manifest = artifacts.manifest
        self.namespace = namespace
        self.job_namespace = job_namespace
        self.results = {r.unique_id: r for r in artifacts.run_results.results} if artifacts.run_results else {}
        meta = artifacts.run_results.metadata if artifacts.run_results else None
        self.invocation = (meta.invocation_id if meta else None) or self.manifest.metadata.invocation_id or "dbt"
        self.generated_at = (meta.generated_at if meta else None) or self.manifest.metadata.generated_at or datetime.now(timezone.utc)

    def events(self) -> list[dict[str, Any]]:
        nodes = self.manifest.nodes
        events = [self._dataset_event(node) for node in [*self.manifest.sources.values(), *nodes.values()] if node.resource_type in ("source", "seed")]
        for node in nodes.values():
            if node.resource_type in ("model", "snapshot"):
                events.extend(self._run_events(node))
        events.extend(self._test_events())
        return events

    # --- names, exactly as dbt-ol's

    def dataset_name(self, node: Node) -> str:
        return ".".join(part for part in (node.database, node.schema, node.name) if part)

    def job_name(self, node: Node, suffix: str = "") -> str:
        """dbt-ol strips ``snapshot.`` from a snapshot's id and ``model.`` from anything else's
        (a tested source keeps its ``source.`` prefix there)."""
        short = node.unique_id.removeprefix("snapshot." if node.resource_type == "snapshot" else "model.")
        return ".".join(part for part in (node.database, node.schema, short) if part) + suffix

    # --- events

    def _node(self, unique_id: str) -> Node | None:
        return self.manifest.nodes.get(unique_id) or self.manifest.sources.get(unique_id)

    def _dataset(self, node: Node) -> dict[str, Any]:
        facets: dict[str, Any] = {"dataSource": self._facet(name=self.namespace, uri=self.namespace)}
        if node.description:
            facets["documentation"] = self._facet(description=node.description)
        if fields := self._fields(node):
            facets["schema"] = self._facet(fields=fields)
        return {"namespace": self.namespace, "name": self.dataset_name(node), "facets": facets}

    def _fields(self, node: Node) -> list[dict[str, Any]]:
        """The catalog's columns and types when it lists the node, else the manifest's."""
        catalog = self.artifacts.catalog
        table = (catalog.sources if node.resource_type == "source" else catalog.nodes).get(node.unique_id) if catalog else None
        described = {column.name: column.description for column in node.columns.values()}
        if table is not None and table.columns:
            return [self._field(c.name, c.type, described.get(c.name)) for c in table.columns.values()]
        return [self._field(c.name, c.data_type, c.description) for c in node.columns.values()]

    @staticmethod
    def _field(name: str, of_type: str | None, description: str | None) -> dict[str, Any]:
        return {"name": name, **({"type": of_type} if of_type else {}), **({"description": description} if description else {})}

    def _dataset_event(self, node: Node) -> dict[str, Any]:
        return self._event("DatasetEvent", self.generated_at, dataset=self._dataset(node))

    def _run_events(self, node: Node) -> list[dict[str, Any]]:
        kind, suffix = ("SNAPSHOT", ".snapshot") if node.resource_type == "snapshot" else ("MODEL", "")
        facets: dict[str, Any] = {"jobType": self._facet(jobType=kind, integration="DBT", processingType="BATCH")}
        if node.sql:
            facets["sql"] = self._facet(query=node.sql, dialect=self.manifest.metadata.adapter_type)
        job = {"namespace": self.job_namespace, "name": self.job_name(node, suffix), "facets": facets}
        parents = [self._node(uid) for uid in self.manifest.parent_map.get(node.unique_id, node.depends_on.nodes)]
        inputs = [self._dataset(parent) for parent in parents if parent is not None and parent.unique_id.startswith(DATASET_TYPES)]
        lineage = {"job": job, "inputs": inputs, "outputs": [self._dataset(node)]}
        result = self.results.get(node.unique_id)
        if result is None or result.status not in RUN_STATES:  # not run (or skipped): its lineage, no run
            return [self._event("JobEvent", self.generated_at, **lineage)]
        started, ended = _timing(result, self.generated_at)
        run = {"runId": self._run_id(job["name"])}
        if result.status == "error" and result.message:
            run["facets"] = {"errorMessage": self._facet(message=result.message[:2000], programmingLanguage="sql")}
        return [
            self._event("RunEvent", started, eventType="START", run=run, **lineage),
            self._event("RunEvent", ended, eventType=RUN_STATES[result.status], run=run, **lineage),
        ]

    def _test_events(self) -> list[dict[str, Any]]:
        """One TEST run per tested model, source or seed, its assertions on its input (as dbt-ol)."""
        assertions: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for result in self.results.values():
            test = self.manifest.nodes.get(result.unique_id)
            if test is None or test.resource_type != "test":
                continue
            tested = [uid for uid in self.manifest.parent_map.get(test.unique_id, test.depends_on.nodes) if uid.startswith(DATASET_TYPES)]
            if not tested:
                continue
            metadata = test.test_metadata
            column = (metadata.kwargs.get("column_name") if metadata else None) or None
            assertion = {"assertion": metadata.name if metadata else test.name, "success": result.status == "pass"}
            assertions[tested[-1]].append({**assertion, **({"column": column} if isinstance(column, str) else {})})
        events = []
        for uid, checks in sorted(assertions.items()):
            node = self._node(uid)
            if node is None:
                continue
            job = {"namespace": self.job_namespace, "name": self.job_name(node, ".test"),
                   "facets": {"jobType": self._facet(jobType="TEST", integration="DBT", processingType="BATCH")}}
            checked = {**self._dataset(node), "inputFacets": {"dataQualityAssertions": self._facet(assertions=checks)}}
            run = {"runId": self._run_id(job["name"])}
            for state in ("START", "COMPLETE"):
                events.append(self._event("RunEvent", self.generated_at, eventType=state, run=run, job=job, inputs=[checked], outputs=[]))
        return events

    def _run_id(self, job_name: str) -> str:
        return str(uuid.uuid5(_RUN_IDS, f"{self.invocation}/{self.job_namespace}/{job_name}"))

    @staticmethod
    def _facet(**values: Any) -> dict[str, Any]:
        return {"_producer": PRODUCER, "_schemaURL": SCHEMA_URL.format("BaseFacet"), **{k: v for k, v in values.items() if v is not None}}

    @staticmethod
    def _event(kind: str, at: datetime, **body: Any) -> dict[str, Any]:
        return {"eventTime": at.isoformat(), "producer": PRODUCER, "schemaURL": SCHEMA_URL.format(kind), **body}


def _timing(result: Result, default: datetime) -> tuple[datetime, datetime]:
    """When the node's ``execute`` step ran (dbt-ol's choice); ``default`` when it did not."""
    for timing in result.timing:
        if timing.name == "execute" and timing.started_at and timing.completed_at:
            return timing.started_at, timing.completed_at
    return default, default
