"""``dlv import FILE``: lineage from a file, through the same bulk upsert as the API.

Two formats, told apart by the file's suffix:

* JSON Lines (``.jsonl``, ``.ndjson``, ``.json``): one object per line, ``"type"`` saying what
  it is — ``asset`` and ``process`` lines carry the fields of ``POST /api/lineage/assets`` /
  ``processes``, ``edge`` lines those of a bulk edge (``source``, ``target``, ``columns``).
* CSV (``.csv``): one edge per row, with a header naming ``source_namespace``,
  ``source_name``, ``target_namespace``, ``target_name`` and optionally ``source_type`` /
  ``target_type`` (``asset`` unless said), ``source_field`` / ``target_field`` (one column
  mapping; rows of the same pair add up) and ``origin``. Ends not stored yet are created
  (tables and jobs); stored ones are left as they are.

The whole file is read and checked first, so a bad line stores nothing and is named with its
number; then everything is written in one transaction, assets and processes before edges
(a line may name what a later line defines), in chunks that move the progress bar.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from dlv.lib.exceptions import BadRequest
from dlv.lineage._bulk import bulk_upsert, stored_keys
from dlv.lineage._schemas import AssetCreate, BulkEdge, BulkRequest, EntityRef, ProcessCreate

CHUNK = 20_000
JSON_LINES = (".jsonl", ".ndjson", ".json")
CSV_REQUIRED = ("source_namespace", "source_name", "target_namespace", "target_name")


def read_lineage_file(path: Path) -> BulkRequest:
    """The file's rows as one bulk request; BadRequest naming the first bad line."""
    if path.suffix.lower() == ".csv":
        return _read_csv(path)
    if path.suffix.lower() in JSON_LINES:
        return _read_json_lines(path)
    raise BadRequest(f"{path.name}: unknown format {path.suffix!r}; send JSON Lines (.jsonl) or CSV (.csv).")


def _read_json_lines(path: Path) -> BulkRequest:
    kinds: dict[str, tuple[type, list[Any]]] = {"asset": (AssetCreate, []), "process": (ProcessCreate, []), "edge": (BulkEdge, [])}
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                item = msgspec.json.decode(line)
                if not isinstance(item, dict) or item.get("type") not in kinds:
                    raise msgspec.ValidationError('Expected an object with "type": "asset", "process" or "edge"')
                model, rows = kinds[item.pop("type")]
                rows.append(msgspec.convert(item, model))
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                raise BadRequest(f"{path.name} line {number}: {exc}. Nothing was imported.") from None
    return BulkRequest(assets=kinds["asset"][1], processes=kinds["process"][1], edges=kinds["edge"][1])


def _read_csv(path: Path) -> BulkRequest:
    edges: dict[tuple[tuple[str, str, str], tuple[str, str, str]], BulkEdge] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in CSV_REQUIRED if name not in (reader.fieldnames or [])]
        if missing:
            raise BadRequest(f"{path.name}: the header lacks {', '.join(missing)}; the first row must name the columns {', '.join(CSV_REQUIRED)}.")
        for number, row in enumerate(reader, start=2):
            try:
                edge = _csv_edge(row)
            except (msgspec.ValidationError, ValueError) as exc:
                raise BadRequest(f"{path.name} line {number}: {exc}. Nothing was imported.") from None
            key = (_key(edge.source), _key(edge.target))
            known = edges.get(key)
            edges[key] = edge if known is None else BulkEdge(known.source, known.target, [*known.columns, *edge.columns], known.origin)
    return BulkRequest(edges=list(edges.values()))


def _csv_edge(row: dict[str, str | None]) -> BulkEdge:
    def end(side: str) -> dict[str, Any]:
        return {"type": (row.get(f"{side}_type") or "asset").strip(), "namespace": row.get(f"{side}_namespace"), "name": row.get(f"{side}_name")}

    source_field, target_field = row.get("source_field") or None, row.get("target_field") or None
    if (source_field is None) != (target_field is None):
        raise ValueError("source_field and target_field go together: fill both or neither")
    columns = [{"source_field": source_field, "target_field": target_field}] if source_field else []
    return msgspec.convert(
        {"source": end("source"), "target": end("target"), "columns": columns, "origin": row.get("origin") or "manual"}, BulkEdge
    )


def _key(ref: EntityRef) -> tuple[str, str, str]:
    return (ref.type, ref.namespace, ref.name)


async def import_lineage(session: Any, request: BulkRequest, progress: Callable[[int], None], *, create_ends: bool) -> dict[str, dict[str, int]]:
    """Write ``request`` in chunks (one transaction: the caller's); with ``create_ends``, edge
    ends that are neither stored nor in the request are created first."""
    assets, processes = list(request.assets), list(request.processes)
    if create_ends:
        await _add_missing_ends(session, request.edges, assets, processes)
    totals = {name: {"created": 0, "updated": 0} for name in ("assets", "processes", "edges")}
    for label, rows in (("assets", assets), ("processes", processes), ("edges", list(request.edges))):
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            counts = await bulk_upsert(session, *((chunk, [], []) if label == "assets" else ([], chunk, []) if label == "processes" else ([], [], chunk)))
            for kind, numbers in counts.items():
                for name, value in numbers.items():
                    totals[kind][name] += value
            progress(len(chunk))
    return totals


async def _add_missing_ends(session: Any, edges: list[BulkEdge], assets: list[AssetCreate], processes: list[ProcessCreate]) -> None:
    named = {("asset", row.namespace, row.name) for row in assets} | {("process", row.namespace, row.name) for row in processes}
    wanted = {_key(end) for edge in edges for end in (edge.source, edge.target)} - named
    stored = await stored_keys(session, wanted)
    for kind, namespace, name in sorted(wanted - stored):
        if kind == "asset":
            assets.append(AssetCreate(namespace=namespace, name=name))
        else:
            processes.append(ProcessCreate(namespace=namespace, name=name))
