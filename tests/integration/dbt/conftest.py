"""A real dbt project (tests/fixtures/dbt_project) built once per session with dbt-core and
dbt-postgres against the session's PostgreSQL: ``dbt seed``, ``run``, ``snapshot``, ``test``
and ``docs generate`` leave manifest.json, run_results.json and catalog.json in a temporary
target folder (run_results.json of the run and of the tests are merged, as ``dbt build``
would write them)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest

PROJECT = Path(__file__).resolve().parents[2] / "fixtures" / "dbt_project"
DATABASE = "dbt_shop"
RAW = """
    CREATE SCHEMA raw;
    CREATE TABLE raw.orders (id integer, customer_id integer, amount numeric(10, 2), status text, created_at timestamptz);
    INSERT INTO raw.orders VALUES (1, 1, 10.50, 'paid', now()), (2, 1, 4.50, 'paid', now()), (3, 2, 99, 'refunded', now());
"""


def _dbt(project: Path, env: dict[str, str], *args: str, ok: bool = True) -> None:
    dbt = Path(sys.executable).with_name("dbt")
    done = subprocess.run(
        [str(dbt), *args, "--project-dir", str(project), "--profiles-dir", str(project)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    if ok and done.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


@pytest.fixture(scope="session")
def dbt_target(postgres_server, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The artifacts of the project built against the session's PostgreSQL, and its namespace."""
    project = tmp_path_factory.mktemp("dbt") / "project"
    shutil.copytree(PROJECT, project)
    postgres_server.create_database(DATABASE)

    async def create_raw() -> None:
        connection = await asyncpg.connect(postgres_server.url(DATABASE, "postgresql"))
        try:
            await connection.execute(RAW)
        finally:
            await connection.close()

    import asyncio

    asyncio.run(create_raw())
    env = {
        **os.environ, "DBT_HOST": postgres_server.host, "DBT_PORT": str(postgres_server.port), "DBT_USER": postgres_server.user,
        "DBT_PASSWORD": postgres_server.password, "DBT_DBNAME": DATABASE, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    target = project / "target"
    results: list[dict[str, Any]] = []
    for step in (["seed"], ["run"], ["snapshot"], ["test"]):
        _dbt(project, env, *step, ok=step != ["test"])  # one test fails on purpose
        results.append(json.loads((target / "run_results.json").read_text()))
    _dbt(project, env, "docs", "generate")
    merged = {**results[-1], "results": [result for run in results for result in run["results"]]}
    return {
        "manifest": json.loads((target / "manifest.json").read_text()),
        "run_results": merged,
        "catalog": json.loads((target / "catalog.json").read_text()),
        "namespace": f"postgres://{postgres_server.host}:{postgres_server.port}",
        "database": DATABASE,
        "dir": target,
    }
