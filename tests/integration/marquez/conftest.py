"""Marquez-compatible API test helpers: the fixture corpus loaded through OpenLineage ingestion,
and what its events imply (computed from the events, never written out by hand)."""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from typing import Any

import msgspec

from dlv.openlineage import parse_event
from tests.integration.openlineage.conftest import fixture_events

DEMO = "marquez_demo_metadata.template.json"
FAILED = "spark_s3_write_fail_with_exception.json"
AIRFLOW_COLUMNS = "airflow_gcs_to_bigquery_column_lineage_complete.json"
CORPUS = (DEMO, FAILED, AIRFLOW_COLUMNS)


async def load(client: Any, headers: dict[str, str], *files: str) -> list[dict[str, Any]]:
    """Post every event of ``files`` as an OpenLineage client would; return them."""
    sent = []
    for name in files:
        for event in fixture_events(name):
            response = await client.post("/api/v1/lineage", json=event, headers=headers)
            assert response.status_code in (200, 201), response.text
            sent.append(event)
    return sent


def as_read(event: dict[str, Any]) -> dict[str, Any]:
    """The event with what DLV reads from its job's SQL (inputs, outputs, column lineage it
    does not state; dlv.openlineage._derive, tested on its own in tests/integration/openlineage)."""
    parsed = parse_event(json.dumps(event).encode()).event
    if "run" not in event or not hasattr(parsed, "outputs"):
        return event
    event = copy.deepcopy(event)
    for side in ("inputs", "outputs"):
        if not event.get(side):
            event[side] = [{"namespace": d.namespace, "name": d.name} for d in getattr(parsed, side)]
    for raw, derived in zip(event["outputs"], parsed.outputs):
        facets = raw.setdefault("facets", {})
        if "columnLineage" not in facets and derived.facets.column_lineage is not None:
            facets["columnLineage"] = msgspec.to_builtins(derived.facets.column_lineage)
    return event


class Implied:
    """What a list of OpenLineage run events says about jobs, datasets and runs."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.inputs: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        self.outputs: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        self.runs: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.last_type: dict[str, str] = {}
        self.schemas: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
        self.writers: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.columns: dict[tuple[str, str], dict[str, list[tuple[str, str, str]]]] = {}
        # Datasets only a column lineage facet names (the Marquez demo has one such input).
        self.named_by_columns: set[tuple[str, str]] = set()
        for event in map(as_read, events):
            if "run" not in event:
                continue
            job = (event["job"]["namespace"], event["job"]["name"])
            run_id = event["run"]["runId"]
            self.runs[job].add(run_id)
            self.last_type[run_id] = event["eventType"]
            for side, into in (("inputs", self.inputs), ("outputs", self.outputs)):
                for dataset in event.get(side) or []:
                    key = (dataset["namespace"], dataset["name"])
                    into[job].add(key)
                    self._facets(key, dataset.get("facets") or {})
                    if side == "outputs":
                        self.writers[key].add(run_id)
                        # A column's inputs are read by the job that writes it (DLV's model).
                        self.inputs[job] |= {(space, name) for inputs in self.columns.get(key, {}).values() for space, name, _ in inputs}

    def _facets(self, key: tuple[str, str], facets: dict[str, Any]) -> None:
        if facets.get("schema", {}).get("fields"):
            self.schemas[key] = [(field["name"], field.get("type")) for field in facets["schema"]["fields"]]
        if facets.get("columnLineage", {}).get("fields"):
            self.columns[key] = {
                target: [(source["namespace"], source["name"], source["field"]) for source in column["inputFields"]]
                for target, column in facets["columnLineage"]["fields"].items()
            }
            self.named_by_columns |= {(space, name) for inputs in self.columns[key].values() for space, name, _ in inputs}

    def datasets(self, namespace: str) -> set[str]:
        every = set().union(*self.inputs.values(), *self.outputs.values(), self.named_by_columns)
        return {name for space, name in every if space == namespace}

    def jobs(self, namespace: str) -> set[str]:
        return {name for space, name in self.runs if space == namespace}
