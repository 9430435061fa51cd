"""``dlv import``: ``dlv import FILE`` (JSON Lines or CSV of assets, processes and edges) and
``dlv import dbt ...`` (a dbt project's artifacts). Only click is imported here: the command
line reads its settings before the rest of DLV is imported (dlv.cli), so each command
imports its work when it runs. dlv.cli hands in its runner and session."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


class _FileByDefault(click.Group):
    """``dlv import FILE`` and ``dlv import <kind> ...``: a first argument that names no
    subcommand is the file of the default one."""

    def resolve_command(self, ctx: click.Context, args: list[str]):  # noqa: ANN201 - click's own types
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args.insert(0, "file")
        return super().resolve_command(ctx, args)


def import_group(run: Callable[..., Any], session: Callable[..., Any]) -> click.Group:
    """The ``import`` command group, given dlv.cli's ``_run`` and ``_session``."""

    @click.group("import", cls=_FileByDefault)
    def import_() -> None:
        """Import lineage: `dlv import FILE` (JSON Lines or CSV), `dlv import dbt` (a dbt project)."""

    @import_.command("file", hidden=True)
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--create-ends/--no-create-ends", default=None, help="create edge ends not stored yet (default: on for CSV, off for JSON Lines)")
    def import_file(path: Path, create_ends: bool | None) -> None:
        """Upsert the assets, processes and edges of a JSON Lines file (one object per line with
        "type": asset, process or edge) or a CSV file of edges, in one transaction."""
        from dlv.audit import Actor, set_actor
        from dlv.lineage import import_lineage, read_lineage_file

        async def work(settings: Any) -> dict[str, dict[str, int]]:
            request = read_lineage_file(path)
            ends = path.suffix.lower() == ".csv" if create_ends is None else create_ends
            async with session(settings) as db:
                set_actor(db, Actor(kind="system", name="dlv import"))
                rows = len(request.assets) + len(request.processes) + len(request.edges)
                with click.progressbar(length=rows, label=f"Importing {path.name}", file=sys.stderr) as bar:
                    return await import_lineage(db, request, bar.update, create_ends=ends)

        counts = run(work)
        click.echo(", ".join(f"{kind}: {numbers['created']} created, {numbers['updated']} updated" for kind, numbers in counts.items()))

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
            from dlv.audit import Actor, set_actor
            from dlv.dbt import import_dbt as apply, load

            async with session(settings) as db:
                set_actor(db, Actor(kind="system", name="dlv import dbt"))
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
