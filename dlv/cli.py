"""The ``dlv`` command: serve, migrate, manage users and API tokens, import lineage, replay OpenLineage events."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, TypeVar

import click

from dlv.config import Settings, SettingsError, load_settings
from dlv.consume import consume

if TYPE_CHECKING:
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession

    from dlv.auth import UserService
    from dlv.graph import Projector
    from dlv.db.models import ApiToken, User

T = TypeVar("T")


def _settings() -> Settings:
    from dlv.observability import configure_logging

    try:
        settings = load_settings()
    except SettingsError as exc:
        click.echo(f"dlv: {exc}", err=True)
        sys.exit(2)
    # Every command reads its settings before it imports the rest of DLV, so from here on
    # whatever it logs, or Python warns (a dependency's deprecation notice), is a log line in
    # DLV_LOG_FORMAT rather than raw text on stderr.
    configure_logging(settings.log_level, settings.log_format)
    return settings


@asynccontextmanager
async def _session(settings: Settings) -> AsyncIterator["AsyncSession"]:
    """One database session for a command; committed when the command's work succeeds."""
    from dlv.app import alchemy_config

    config = alchemy_config(settings)
    try:
        async with config.get_session() as session:
            yield session
            await session.commit()
    finally:
        await config.get_engine().dispose()


@asynccontextmanager
async def _user_service(settings: Settings) -> AsyncIterator["UserService"]:
    from dlv.auth import UserService

    async with _session(settings) as session:
        yield UserService(session=session)


def _run(work: Callable[[Settings], Awaitable[T]]) -> T:
    from dlv.lib.exceptions import DLVError

    settings = _settings()
    try:
        return asyncio.run(work(settings))
    except DLVError as exc:
        click.echo(f"dlv: {exc.detail}", err=True)
        sys.exit(1)


@click.group()
@click.version_option(package_name="dlv")
@click.pass_context
def main(ctx: click.Context) -> None:
    """DLV: data lineage you can query."""
    ctx.obj = _settings  # how commands defined in other modules (dlv.consume) read their settings


@main.command()
def migrate() -> None:
    """Bring the database schema up to date, then exit."""
    from dlv.db.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, secret_key=settings.secret_key)
    click.echo("Database is up to date.")


async def _bootstrap_admin(settings: Settings) -> None:
    from dlv.lib.exceptions import DLVError
    from dlv.lib.leadership import take_turns

    try:
        async with _user_service(settings) as users:
            await take_turns(users.repository.session, "first admin")  # `dlv serve` x N starting together
            generated = await users.ensure_bootstrap_admin(
                settings.admin_username, settings.admin_password, min_password_length=settings.password_min_length
            )
    except DLVError as exc:
        click.echo(f"dlv: DLV_ADMIN_PASSWORD is not accepted for the first admin. {exc.detail}", err=True)
        sys.exit(2)
    if generated:
        # Shown once, on the terminal only, never logged: the admin changes it after logging in.
        click.echo(
            f"\n  Created the first admin. Log in as '{settings.admin_username}' with password: {generated}\n"
            "  (shown only this once; set DLV_ADMIN_PASSWORD before the first start to choose it)\n",
            err=True,
        )


@main.command()
@click.option("--workers", default=1, show_default=True, help="uvicorn worker processes")
@click.option("--reload", is_flag=True, help="restart on code changes (development)")
def serve(workers: int, reload: bool) -> None:
    """Migrate the database, create the first admin if needed, and serve the API and UI."""
    import logging

    import uvicorn

    from dlv.db.migrate import upgrade
    from dlv.config import proxy_options
    from dlv.observability import configure_logging, shared_worker_metrics

    settings = _settings()
    # Every line from here on is a log line in DLV_LOG_FORMAT (JSON by default), uvicorn's
    # included: it gets no logging config of its own, and DLV writes the access lines.
    configure_logging(settings.log_level, settings.log_format)
    upgrade(settings.database_url, secret_key=settings.secret_key)
    asyncio.run(_bootstrap_admin(settings))
    logging.getLogger("dlv").info("DLV listening on http://%s:%s (API docs at /schema)", settings.host, settings.port)
    with shared_worker_metrics(workers):
        uvicorn.run(
            "dlv.app:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            **proxy_options(settings),
            reload=reload,
            log_level=settings.log_level.lower(),
            log_config=None,
            access_log=False,
        )


@main.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="write to this file instead of stdout")
def openapi(output: str | None) -> None:
    """Print the OpenAPI document (the UI's typed client is generated from it)."""
    import json

    from dlv.app import create_app
    from dlv.lib.openapi_responses import document_responses

    app = create_app(_settings())
    document = json.dumps(document_responses(app.openapi_schema.to_schema(), app), indent=2, sort_keys=True)
    if output:
        with open(output, "w") as handle:
            handle.write(document + "\n")
    else:
        click.echo(document)


@main.group()
def user() -> None:
    """Manage local users."""


@user.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "viewer"]), default="viewer", show_default=True)
@click.password_option(help="the new user's password (prompted when omitted)")
def user_create(username: str, role: str, password: str) -> None:
    """Create a user."""

    async def work(settings: Settings) -> None:
        async with _user_service(settings) as users:
            await users.create_user(username, password, role, min_password_length=settings.password_min_length)

    _run(work)
    click.echo(f"Created {role} {username!r}.")


@user.command("list")
def user_list() -> None:
    """List users."""

    async def work(settings: Settings) -> list[tuple[str, str, bool]]:
        async with _user_service(settings) as users:
            return [(u.username, u.role, u.is_active) for u in await users.list()]

    for username, role, active in sorted(_run(work)):
        click.echo(f"{username}\t{role}\t{'active' if active else 'deactivated'}")


async def _find(users: "UserService", username: str) -> "User":
    from dlv.lib.exceptions import NotFound

    found = await users.get_one_or_none(username=username)
    if found is None:
        raise NotFound(f"No user named {username!r}; `dlv user list` shows who exists.")
    return found


@user.command("set-password")
@click.argument("username")
@click.password_option(help="the new password (prompted when omitted)")
def user_set_password(username: str, password: str) -> None:
    """Reset a user's password."""

    async def work(settings: Settings) -> None:
        async with _user_service(settings) as users:
            await users.set_password(await _find(users, username), password, min_password_length=settings.password_min_length)

    _run(work)
    click.echo(f"Password of {username!r} changed.")


@user.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(["admin", "viewer"]))
def user_set_role(username: str, role: str) -> None:
    """Make a user admin or viewer."""

    async def work(settings: Settings) -> None:
        async with _user_service(settings) as users:
            found = await _find(users, username)
            await users.change(found.id, role=role, is_active=None, password=None)

    _run(work)
    click.echo(f"{username!r} is now {role}.")


@main.group()
def graph() -> None:
    """The Neo4j projection of lineage (needs DLV_NEO4J_URI)."""


@asynccontextmanager
async def _projector(settings: Settings) -> AsyncIterator["Projector"]:
    from neo4j import AsyncGraphDatabase

    from dlv.app import alchemy_config
    from dlv.graph import Projector

    if not settings.neo4j_uri:
        click.echo("dlv: DLV_NEO4J_URI is not set: there is no Neo4j projection to work on.", err=True)
        sys.exit(2)
    auth = (settings.neo4j_user, settings.neo4j_password or "") if settings.neo4j_user else None
    driver = AsyncGraphDatabase.driver(settings.neo4j_uri, auth=auth)
    config = alchemy_config(settings)
    try:
        yield Projector(config.create_session_maker(), driver)
    finally:
        await driver.close()
        await config.get_engine().dispose()


@graph.command("rebuild")
def graph_rebuild() -> None:
    """Wipe Neo4j and project every lineage edge from the relational database."""
    from sqlalchemy import func, select

    from dlv.db.models import LineageEdge

    async def work(settings: Settings) -> int:
        async with _projector(settings) as projector:
            async with projector.sessions() as session:
                total = int(await session.scalar(select(func.count()).select_from(LineageEdge)) or 0)
            with click.progressbar(length=total, label="Projecting edges", file=sys.stderr) as bar:
                return await projector.rebuild(progress=bar.update)

    click.echo(f"Rebuilt the Neo4j projection: {_run(work)} edges.")


@graph.command("project")
def graph_project() -> None:
    """Apply the pending outbox to Neo4j once, then exit (the server does this continuously)."""

    async def work(settings: Settings) -> int:
        async with _projector(settings) as projector:
            return await projector.catch_up()

    click.echo(f"Applied {_run(work)} outbox rows.")


@graph.command("status")
def graph_status() -> None:
    """Edge counts in both stores and the outbox lag."""
    from sqlalchemy import func, select

    from dlv.db.models import LineageEdge

    async def work(settings: Settings) -> tuple[int, int | str, int]:
        async with _projector(settings) as projector:
            async with projector.sessions() as session:
                relational = int(await session.scalar(select(func.count()).select_from(LineageEdge)) or 0)
            try:
                result = await projector.driver.execute_query("MATCH ()-[r:FLOWS_TO]->() RETURN count(r) AS n")
                projected: int | str = result.records[0]["n"]
            except Exception as exc:  # report, don't fail: status is what you run when things are wrong
                projected = f"unreachable ({type(exc).__name__})"
            return relational, projected, await projector.lag()

    relational, projected, lag = _run(work)
    click.echo(f"relational edges: {relational}\nneo4j edges: {projected}\noutbox lag: {lag}")


@main.group()
def token() -> None:
    """Manage API tokens (e.g. for OpenLineage producers: OPENLINEAGE_API_KEY)."""


@token.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(["ingest", "viewer", "admin"]), default="ingest", show_default=True)
@click.option("--expires-in-days", type=int, default=None, help="stop working after this many days (default: never)")
def token_create(name: str, role: str, expires_in_days: int | None) -> None:
    """Create a token and print its value (shown only this once)."""
    from dlv.auth import ApiTokenService

    async def work(settings: Settings) -> str:
        async with _session(settings) as session:
            _, value = await ApiTokenService(session=session).issue(name, role, expires_in_days=expires_in_days)
        return value

    value = _run(work)
    lasts = f"expires in {expires_in_days} days" if expires_in_days else "never expires"
    click.echo(f"Created {role} token {name!r} ({lasts}); store it now, it is not shown again:", err=True)
    click.echo(value)


@token.command("list")
@click.option("--all", "include_revoked", is_flag=True, help="include revoked tokens")
def token_list(include_revoked: bool) -> None:
    """List tokens (never their values)."""
    from dlv.auth import ApiTokenService

    def state(t: "ApiToken", now: datetime) -> str:
        if t.revoked_at:
            return "revoked"
        if t.expires_at is None:
            return "active"
        return f"expired {t.expires_at:%Y-%m-%d}" if t.expires_at <= now else f"active until {t.expires_at:%Y-%m-%d}"

    async def work(settings: Settings) -> list[tuple[str, str, str, str, str, str]]:
        async with _session(settings) as session:
            tokens = await ApiTokenService(session=session).list()
        now = datetime.now(timezone.utc)
        return [
            (str(t.id), t.name, t.role, t.prefix + "...", str(t.last_used_at or "never used"), state(t, now))
            for t in sorted(tokens, key=lambda t: t.created_at)
            if include_revoked or t.revoked_at is None
        ]

    for row in _run(work):
        click.echo("\t".join(row))


@token.command("revoke")
@click.argument("token_id", type=click.UUID)
def token_revoke(token_id: "UUID") -> None:
    """Revoke a token by id (`dlv token list` shows ids); it stops working at once."""
    from dlv.auth import ApiTokenService

    async def work(settings: Settings) -> None:
        async with _session(settings) as session:
            await ApiTokenService(session=session).revoke(token_id)

    _run(work)
    click.echo(f"Revoked token {token_id}.")


@main.command()
@click.argument("node_name")
@click.option("--include-schema", "include", multiple=True, help="glob of schemas to read (repeatable; default: all)")
@click.option("--exclude-schema", "exclude", multiple=True, help="glob of schemas to leave out (repeatable)")
def discover(node_name: str, include: tuple[str, ...], exclude: tuple[str, ...]) -> None:
    """Read a node's tables, views and view lineage into DLV (what the Discover button does)."""
    from dlv.connectors import DiscoveryScope
    from dlv.lib.exceptions import NotFound
    from dlv.nodes import Connectors, DiscoveryResult, NodeService, discover_node

    async def work(settings: Settings) -> DiscoveryResult:
        scope = DiscoveryScope(include_schemas=list(include) or ["*"], exclude_schemas=list(exclude))
        async with _session(settings) as session:
            node = await NodeService(session=session).get_one_or_none(name=node_name)
            if node is None:
                raise NotFound(f"No node named {node_name!r}; GET /api/nodes lists them.")
            # The total is only known once the catalog is read, so the bar learns its length then.
            with click.progressbar(length=1, label=f"Discovering {node_name}", file=sys.stderr) as bar:

                def progress(done: int, total: int) -> None:
                    bar.length = total
                    bar.update(done - bar.pos)

                return await discover_node(session, Connectors.from_settings(settings), node.id, scope, progress)

    result = _run(work)
    if result.status == "error":
        for step in result.steps:
            click.echo(f"  {'ok' if step.passed else 'FAILED'}\t{step.name}: {step.message}", err=True)
        click.echo(f"dlv: discovery failed: {result.message}", err=True)
        sys.exit(1)
    click.echo(result.message)


@main.command()
def replay() -> None:
    """Rebuild the OpenLineage part of the lineage (edges, runs, aliases) from the event log."""
    from dlv.openlineage import replay as replay_events

    async def work(settings: Settings) -> int:
        async with _session(settings) as session:
            return await replay_events(session)

    click.echo(f"Replayed {_run(work)} OpenLineage events.")


@main.group()
def events() -> None:
    """The raw OpenLineage event log."""


@events.command("prune")
@click.option("--older-than-days", type=click.IntRange(min=1), required=True, help="delete events received more than this many days ago")
def events_prune(older_than_days: int) -> None:
    """Delete old raw events to bound the log's size (run it from cron or a CronJob). The lineage
    they produced stays; `dlv replay` afterwards rebuilds only from the events kept."""
    from datetime import timedelta

    from dlv.openlineage import prune

    received_before = datetime.now(timezone.utc) - timedelta(days=older_than_days)

    async def work(settings: Settings) -> int:
        async with _session(settings) as session:
            return await prune(session, received_before)

    click.echo(f"Deleted {_run(work)} OpenLineage events received before {received_before:%Y-%m-%d %H:%M} UTC.")


@main.group()
def secrets() -> None:
    """Stored node secrets (encrypted with DLV_SECRET_KEY)."""


@secrets.command("rotate")
@click.option(
    "--old-key", prompt="Previous DLV_SECRET_KEY", hide_input=True, envvar="DLV_OLD_SECRET_KEY",
    help="the key the secrets are encrypted with now (prompted when omitted; or DLV_OLD_SECRET_KEY)",
)
def secrets_rotate(old_key: str) -> None:
    """Re-encrypt every node's secrets from --old-key to the current DLV_SECRET_KEY (all or nothing)."""
    from sqlalchemy import select

    from dlv.db.models import Node
    from dlv.lib.crypto import SecretBox, SecretsUnreadable
    from dlv.lib.exceptions import BadRequest

    if not os.environ.get("DLV_SECRET_KEY"):  # else a generated key would seal every secret
        click.echo("dlv: set DLV_SECRET_KEY to the new key; --old-key is the one in use now.", err=True)
        sys.exit(2)

    async def work(settings: Settings) -> tuple[int, int]:
        box = SecretBox(settings.secret_key, previous_keys=[old_key])
        rotated = current = 0
        async with _session(settings) as session:
            for node in await session.scalars(select(Node).where(Node.encrypted_secrets.is_not(None))):
                if not box.needs_rotation(node.encrypted_secrets):
                    current += 1
                    continue
                try:
                    node.encrypted_secrets = box.reseal(node.encrypted_secrets)
                except SecretsUnreadable as exc:  # raising rolls the whole rotation back
                    raise BadRequest(f"node {node.name!r}: {exc}; nothing was changed.") from None
                rotated += 1
        return rotated, current

    rotated, current = _run(work)
    click.echo(f"Re-encrypted the secrets of {rotated} nodes ({current} already used the current key).")


main.add_command(consume)


if __name__ == "__main__":  # pragma: no cover
    main()


from dlv.import_cli import import_group  # noqa: E402 - only click: the import's work loads when it runs

main.add_command(import_group(_run, _session))
