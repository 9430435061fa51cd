"""Marquez's identifiers and names: node ids (``dataset:{namespace}:{name}``), run states,
version UUIDs, and names that carry slashes inside one path segment."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote
from uuid import NAMESPACE_URL, UUID, uuid5

from dlv.lib.exceptions import BadRequest

DATASET, JOB, DATASET_FIELD = "dataset", "job", "datasetField"
# A colon that separates parts of a node id, not one inside a URI (scheme://, host:port): the
# rule Marquez's NodeId applies when a namespace or name holds colons itself.
_SEPARATOR = re.compile(r":(?!//|\d+)")
_PARTS = {DATASET: 3, JOB: 3, DATASET_FIELD: 4}
NODE_ID_HINT = "send dataset:{namespace}:{name}, job:{namespace}:{name} or datasetField:{namespace}:{name}:{field}"

# OpenLineage event types (what DLV stores as a run's state) as Marquez names run states.
RUN_STATES = {"START": "RUNNING", "RUNNING": "RUNNING", "COMPLETE": "COMPLETED", "FAIL": "FAILED", "ABORT": "ABORTED"}
MARQUEZ_STATES = ("NEW", "RUNNING", "COMPLETED", "ABORTED", "FAILED")


class NodeId:
    """A parsed Marquez node id: its type, namespace, name and (for fields) the field; a
    ``#version`` suffix is accepted and ignored (DLV answers with the current lineage)."""

    def __init__(self, kind: str, namespace: str, name: str, field: str | None = None) -> None:
        self.kind, self.namespace, self.name, self.field = kind, namespace, name, field

    @classmethod
    def parse(cls, value: str, parameter: str = "nodeId") -> NodeId:
        kind = value.split(":", 1)[0]
        if kind not in _PARTS or ":" not in value:
            raise BadRequest(f"nodeId {value!r} is not a Marquez node id: {NODE_ID_HINT}.", field=parameter, source="query")
        parts = _split(value.split("#", 1)[0], _PARTS[kind])
        if parts is None or not all(parts):
            raise BadRequest(f"nodeId {value!r} lacks a part: {NODE_ID_HINT}.", field=parameter, source="query")
        return cls(kind, parts[1], parts[2], parts[3] if kind == DATASET_FIELD else None)


def _split(value: str, expected: int) -> list[str] | None:
    simple = value.split(":")
    if len(simple) == expected:
        return simple
    cuts = [match for _, match in zip(range(expected - 1), _SEPARATOR.finditer(value))]
    if len(cuts) < expected - 1:
        return None
    bounds = [0, *(edge for match in cuts for edge in (match.start(), match.end())), len(value)]
    return [value[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2)]


def dataset_node(namespace: str, name: str) -> str:
    return f"{DATASET}:{namespace}:{name}"


def job_node(namespace: str, name: str) -> str:
    return f"{JOB}:{namespace}:{name}"


def field_node(namespace: str, name: str, field: str) -> str:
    return f"{DATASET_FIELD}:{namespace}:{name}:{field}"


def run_state(state: str | None) -> str:
    return RUN_STATES.get(state or "", "NEW")


def version_uuid(asset_id: UUID, run_id: str) -> UUID:
    """A dataset version's id: Marquez's are UUIDs, DLV's are one per run that wrote the asset."""
    return uuid5(NAMESPACE_URL, f"dlv:dataset-version:{asset_id}:{run_id}")


def job_version_uuid(process_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"dlv:job-version:{process_id}")


def name_of(segment: str) -> str:
    """A namespace or name from the path, as ``keep_slashes`` left it."""
    return unquote(segment)


MARQUEZ_PREFIX = b"/api/v1/"


def keep_slashes(app: Any) -> Any:
    """Marquez's clients send names as one percent-encoded path segment (``postgres%3A%2F%2Fdb``,
    ``%2Ftmp%2Ffile``); ASGI servers decode ``%2F`` into ``/`` before routing, which splits the
    segment. Under /api/v1 the route is matched on the raw path with ``%`` and ``/`` inside a
    segment kept encoded, and handlers decode the names (``name_of``)."""

    async def route_on_raw_path(scope: Any, receive: Any, send: Any) -> None:
        raw = scope.get("raw_path") if scope.get("type") == "http" else None
        if isinstance(raw, bytes) and raw.startswith(MARQUEZ_PREFIX) and b"%" in raw:
            segments = raw.split(b"?", 1)[0].split(b"/")
            # In place, not a copy: Litestar's send wrapper (which commits and closes the
            # request's database session) holds this very scope.
            scope["path"] = "/".join(quote(unquote(segment.decode("latin-1")), safe=":@!$&'()*+,;=-._~ ") for segment in segments)
        await app(scope, receive, send)

    return route_on_raw_path
