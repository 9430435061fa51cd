"""``dlv import``: lineage from other tools' files (``dlv import dbt``). Only click is imported
here: the command line reads its settings before the rest of DLV is imported (dlv.cli), so
each command imports its work when it runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click


def import_group(run: Callable[..., Any], session: Callable[..., Any]) -> click.Group:
    """The ``import`` command group, given dlv.cli's runner and session (other formats join it)."""

    @click.group("import")
    def import_() -> None:
        """Lineage from other tools' files."""

    @import_.command("dbt")
    @click.option("--manifest", type=click.File("rb"), required=True, help="target/manifest.json")
    @click.option("--run-results", type=click.File("rb"), help="target/run_results.json: runs set health, tests set quality")
    @click.option("--catalog", type=click.File("rb"), help="target/catalog.json: the columns and their types")
    @click.option("--namespace", required=True, help="the datasets' namespace as dbt-ol takes it from the profile (postgres://host:5432)")
    @click.option("--job-namespace", default="default", show_default=True, help="the jobs' namespace (dbt-ol's OPENLINEAGE_NAMESPACE)")
    def import_dbt(manifest: Any, run_results: Any, catalog: Any, namespace: str, job_namespace: str) -> None:
        """Import a dbt project: models, sources, seeds, snapshots and tests with their lineage."""
        documents = [_json(file) for file in (manifest, run_results, catalog)]

        async def work(settings: Any) -> str:
            from dlv.dbt import import_dbt as apply, load

            async with session(settings) as db:
                return (await apply(db, load(*documents), namespace, job_namespace)).sentence()

        click.echo(run(work))

    return import_


def _json(file: Any) -> Any:
    if file is None:
        return None
    try:
        return json.load(file)
    except ValueError as exc:
        raise click.BadParameter(f"{file.name} is not JSON ({exc})") from None
