"""Run Alembic migrations programmatically (``dlv migrate``, ``dlv serve`` and the tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Several `dlv serve` processes may start at once against one PostgreSQL: env.py holds this
# advisory lock around the upgrade (committed before it is released), so one of them
# migrates while the others wait, then find the schema at head and do nothing.
MIGRATION_LOCK_ID = 0x444C56  # "DLV"


def alembic_config(database_url: str, secret_key: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = database_url
    # For data migrations that encrypt what used to be stored in plain text (0011).
    config.attributes["secret_key"] = secret_key
    return config


def upgrade(database_url: str, revision: str = "head", secret_key: str | None = None) -> None:
    command.upgrade(alembic_config(database_url, secret_key), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    """Alembic's env runs its own event loop, so call it from a worker thread."""
    await asyncio.to_thread(upgrade, database_url, revision)


def autogenerate(message: str) -> None:
    """Write a new revision from the difference between the models and head (developers only)."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{scratch}/autogenerate.db"
        upgrade(url)
        command.revision(alembic_config(url), message=message, autogenerate=True)
