"""SQL lineage accuracy: DLV's parser (dlv.sqllineage, on sqlglot) and OpenLineage's own
(openlineage-sql, the Rust parser its integrations use) against hand-checked lineage of the 22
TPC-H queries (bench/sql_corpus: tpch.sql, tpch_expected.json).

- Table level: a query agrees when the set of tables it reads is exactly the expected one.
- Column level (a sample of 14 queries, 56 output columns): an output column agrees when the
  set of source columns feeding it (table.column) is exactly the expected one; for DLV also
  when every source's transformation type/subtype is the expected one. openlineage-sql takes no
  schema, so DLV is measured both without one and with the TPC-H schema (what a catalog, dbt's
  catalog.json or an event's schema facets give it); TPC-H names columns without their table.
- Speed: distinct statements parsed per second (no cache), one process, this machine.

    .venv/bin/python bench/sql_accuracy.py [--write]

With --write, the '## SQL lineage accuracy' section of bench/RESULTS.md is replaced.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlv.sqllineage import WHOLE_DATASET, analyze  # noqa: E402
from dlv.sqllineage import _analyze as sqlglot_parser  # noqa: E402 - to measure without its cache

CORPUS = ROOT / "bench" / "sql_corpus"
HEADING = "## SQL lineage accuracy"
Columns = dict[str, dict[str, str]]  # output column -> {table.column: TYPE/SUBTYPE}


def queries() -> dict[str, str]:
    blocks = re.split(r"^-- (q\d\d)\s*$", (CORPUS / "tpch.sql").read_text(), flags=re.M)
    return {blocks[i]: blocks[i + 1].strip() for i in range(1, len(blocks), 2)}


def short(table: str) -> str:
    return table.rsplit(".", 1)[-1]


def dlv_parser(schema: dict[str, list[str]] | None) -> Callable[[str], tuple[set[str], Columns]]:
    def parse(sql: str) -> tuple[set[str], Columns]:
        lineage = analyze(sql, "postgres", tables=schema)
        if lineage is None:
            return set(), {}
        columns: Columns = {}
        for c in lineage.columns:
            if c.target_column != WHOLE_DATASET:
                columns.setdefault(c.target_column, {})[f"{short(c.source_table)}.{c.source_column}"] = f"{c.type}/{c.subtype}"
        return {short(t) for t in lineage.inputs}, columns

    return parse


def openlineage_parse(sql: str) -> tuple[set[str], Columns]:
    from openlineage_sql import parse

    try:
        meta = parse([sql], "postgres")
    except Exception:  # noqa: BLE001 - a parser failure is a miss
        return set(), {}
    if meta is None:
        return set(), {}
    columns: Columns = {}
    for item in meta.column_lineage:
        columns.setdefault(item.descendant.name, {}).update(
            {f"{m.origin.name if m.origin else '?'}.{m.name}": "" for m in item.lineage}
        )
    return {t.name for t in meta.in_tables}, columns


def score(parse: Callable[[str], tuple[set[str], Columns]], expected: dict[str, Any], typed: bool) -> dict[str, Any]:
    corpus = queries()
    tables_ok, columns_ok, types_ok, total, misses = 0, 0, 0, 0, []
    for name, sql in corpus.items():
        tables, columns = parse(sql)
        if tables == set(expected["tables"][name]):
            tables_ok += 1
        else:
            misses.append(f"{name} tables {sorted(tables)}")
        for column, sources in expected["columns"].get(name, {}).items():
            total += 1
            found = columns.get(column, {})
            if set(found) == set(sources):
                columns_ok += 1
                types_ok += typed and found == sources
            else:
                misses.append(f"{name}.{column} {sorted(found)}")
    started, rounds = time.perf_counter(), 0
    while time.perf_counter() - started < 2:
        for sql in corpus.values():
            parse(sql + f" -- {rounds}")  # a new text each time: nothing cached
        rounds += 1
    speed = rounds * len(corpus) / (time.perf_counter() - started)
    return {"tables": tables_ok, "queries": len(corpus), "columns": columns_ok, "types": types_ok if typed else None,
            "sample": total, "per_second": speed, "misses": misses}


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}% ({part}/{whole})"


def report(results: dict[str, dict[str, Any]]) -> list[str]:
    from importlib.metadata import version

    lines = [
        f"Machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} when it ran (statements/s fall with it; the ratio between parsers holds); "
        f"sqlglot {version('sqlglot')}, openlineage-sql {version('openlineage-sql')}. Corpus: the 22 TPC-H queries "
        "(bench/sql_corpus/tpch.sql, the spec's validation parameters), expectations hand-checked in tpch_expected.json: "
        "tables read by all 22, and the source columns (with transformation type/subtype) of every output column of 14 of them "
        "(q01-q03, q05-q10, q12-q15, q22: 56 columns; aggregates, CASE conditions, derived tables with column lists, a CTE, "
        "self-joined nation). A query or column agrees only when its set is exactly the expected one.",
        "",
        "| parser | tables (queries exactly right) | columns (sources exactly right) | columns with the right types | statements/s |",
        "|---|---|---|---|---|",
    ]
    for label, result in results.items():
        types = pct(result["types"], result["sample"]) if result["types"] is not None else "n/a (no types)"
        lines.append(
            f"| {label} | {pct(result['tables'], result['queries'])} | {pct(result['columns'], result['sample'])} | {types} | "
            f"{result['per_second']:,.0f} |"
        )
    lines.append("")
    for label, result in results.items():
        if result["misses"]:
            lines.append(f"Misses, {label}: " + "; ".join(result["misses"][:12]) + (" ..." if len(result["misses"]) > 12 else "") + ".")
    return lines


def write_section(body: list[str]) -> None:
    """Replace this benchmark's '## ' section of bench/RESULTS.md, leaving the others alone."""
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text()
    section = "\n".join([HEADING, "", *body]) + "\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda _: section + "\n", text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="replace the section in bench/RESULTS.md")
    args = parser.parse_args()
    expected = json.loads((CORPUS / "tpch_expected.json").read_text())
    sqlglot_parser.CACHE_SIZE = 0  # every statement parsed (the cache would make the speed meaningless)
    results = {
        "DLV (sqlglot), TPC-H schema known": score(dlv_parser(expected["schema"]), expected, typed=True),
        "DLV (sqlglot), no schema": score(dlv_parser(None), expected, typed=True),
        "openlineage-sql (no schema input)": score(openlineage_parse, expected, typed=False),
    }
    lines = report(results)
    print("\n".join(lines))
    if args.write:
        write_section(lines)


if __name__ == "__main__":
    main()
