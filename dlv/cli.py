"""The ``dlv`` command: serve, migrate and manage users."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TypeVar

import click

from dlv.config import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from dlv.auth import UserService
    from dlv.db.models import User

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        click.echo(f"dlv: {exc}", err=True)
        sys.exit(2)


@asynccontextmanager
async def _user_service(settings: Settings) -> AsyncIterator["UserService"]:
    from dlv.app import alchemy_config
    from dlv.auth import UserService

    config = alchemy_config(settings)
    try:
        async with config.get_session() as session:
            yield UserService(session=session)
            await session.commit()
    finally:
        await config.get_engine().dispose()


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
def main() -> None:
    """DLV: data lineage you can query."""


@main.command()
def migrate() -> None:
    """Bring the database schema up to date, then exit."""
    from dlv.db.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    click.echo("Database is up to date.")


async def _bootstrap_admin(settings: Settings) -> None:
    async with _user_service(settings) as users:
        generated = await users.ensure_bootstrap_admin(settings.admin_username, settings.admin_password)
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
    import uvicorn

    from dlv.db.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    asyncio.run(_bootstrap_admin(settings))
    click.echo(f"DLV listening on http://{settings.host}:{settings.port} (API docs at /schema)", err=True)
    uvicorn.run(
        "dlv.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        reload=reload,
        log_level=settings.log_level.lower(),
    )


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
            await users.create_user(username, password, role)

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
            await users.set_password(await _find(users, username), password)

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


if __name__ == "__main__":  # pragma: no cover
    main()
