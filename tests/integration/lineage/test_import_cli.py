"""`dlv import FILE` against the test databases: JSON Lines and CSV, all or nothing."""

from __future__ import annotations

import asyncio
import json

from click.testing import CliRunner
from sqlalchemy import func, select

from dlv.cli import main
from dlv.db.models import AuditEntry, DataAsset, LineageEdge, Process


def _import(database_url: str, tmp_path, path) -> object:
    env = {"DLV_DATABASE_URL": database_url, "DLV_DATA_DIR": str(tmp_path), "DLV_SECRET_KEY": "k" * 40}
    # The CLI runs its own event loop, so it gets a worker thread of its own here.
    return asyncio.to_thread(CliRunner().invoke, main, ["import", str(path)], env=env)


async def _count(sessions, model) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_a_json_lines_file_may_name_what_a_later_line_defines(database_url, session_factory, tmp_path) -> None:
    lines = [
        {"type": "edge", "source": {"type": "asset", "namespace": "pg://db", "name": "raw.orders"}, "target": {"type": "process", "namespace": "jobs", "name": "load"},
         "columns": [{"source_field": "amount", "target_field": "amount"}]},
        {"type": "asset", "namespace": "pg://db", "name": "raw.orders", "owner": "team-a"},
        {"type": "process", "namespace": "jobs", "name": "load"},
    ]
    path = tmp_path / "lineage.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")

    first = await _import(database_url, tmp_path, path)
    again = await _import(database_url, tmp_path, path)

    assert first.exit_code == 0, first.output
    assert "assets: 1 created, 0 updated, processes: 1 created, 0 updated, edges: 1 created, 0 updated" in first.output
    assert "edges: 0 created, 1 updated" in again.output  # the same file twice changes nothing
    async with session_factory() as session:
        edge = (await session.scalars(select(LineageEdge))).one()
        assert [(item["source_field"], item["target_field"]) for item in edge.columns] == [("amount", "amount")]
        assert (await session.scalars(select(DataAsset.owner))).one() == "team-a"
        actors = set((await session.scalars(select(AuditEntry.actor_name))).all())
    assert actors == {"dlv import"}


async def test_a_csv_of_edges_creates_missing_ends_and_adds_up_column_mappings(database_url, session_factory, tmp_path) -> None:
    path = tmp_path / "edges.csv"
    path.write_text(
        "source_namespace,source_name,target_type,target_namespace,target_name,source_field,target_field\n"
        "pg://db,public.orders,asset,pg://db,mart.revenue,amount,total\n"
        "pg://db,public.orders,asset,pg://db,mart.revenue,id,order_id\n"
        "pg://db,public.customers,process,jobs,score,,\n"
    )

    result = await _import(database_url, tmp_path, path)

    assert result.exit_code == 0, result.output
    assert (await _count(session_factory, DataAsset), await _count(session_factory, Process), await _count(session_factory, LineageEdge)) == (3, 1, 2)
    async with session_factory() as session:
        mapped = [edge.columns for edge in await session.scalars(select(LineageEdge)) if edge.columns]
    assert [sorted((item["source_field"], item["target_field"]) for item in columns) for columns in mapped] == [[("amount", "total"), ("id", "order_id")]]


async def test_a_bad_line_is_named_and_nothing_is_imported(database_url, session_factory, tmp_path) -> None:
    path = tmp_path / "lineage.jsonl"
    path.write_text('{"type": "asset", "namespace": "pg://db", "name": "ok"}\n{"type": "asset", "namespace": "pg://db"}\n')
    csv_path = tmp_path / "edges.csv"
    csv_path.write_text("source_name,target_name\na,b\n")
    dangling = tmp_path / "dangling.jsonl"
    dangling.write_text(
        '{"type": "asset", "namespace": "pg://db", "name": "a"}\n'
        '{"type": "edge", "source": {"type": "asset", "namespace": "pg://db", "name": "a"}, "target": {"type": "asset", "namespace": "pg://db", "name": "nowhere"}}\n'
    )

    bad_line = await _import(database_url, tmp_path, path)
    bad_header = await _import(database_url, tmp_path, csv_path)
    bad_edge = await _import(database_url, tmp_path, dangling)

    assert bad_line.exit_code == 1 and "lineage.jsonl line 2" in bad_line.output and "name" in bad_line.output
    assert bad_header.exit_code == 1 and "source_namespace" in bad_header.output
    assert bad_edge.exit_code == 1 and "nowhere" in bad_edge.output
    assert await _count(session_factory, DataAsset) == 0  # the good lines before them were not kept either
