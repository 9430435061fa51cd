"""`dlv secrets rotate` (deploy/README.md's key-rotation runbook): node secrets sealed with the
old DLV_SECRET_KEY are re-encrypted with the new one; a secret neither key opens rolls the
whole rotation back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from dlv.cli import main
from dlv.db.migrate import upgrade
from dlv.db.models import Node
from dlv.lib.crypto import SecretBox

OLD, NEW, STRANGER = "o" * 48, "n" * 48, "x" * 48


async def _nodes(url: str, add: dict[str, str | None] | None = None) -> dict[str, str | None]:
    engine = create_async_engine(url)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            for name, sealed in (add or {}).items():
                session.add(Node(name=name, type="postgresql", config={}, encrypted_secrets=sealed,
                                 secrets_set=["password"] if sealed else []))
            await session.commit()
            return {n.name: n.encrypted_secrets for n in await session.scalars(select(Node))}
    finally:
        await engine.dispose()


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'dlv.db'}"
    upgrade(url)
    return url


def _rotate(tmp_path: Path, url: str, old: str) -> object:
    env = {"DLV_DATA_DIR": str(tmp_path), "DLV_DATABASE_URL": url, "DLV_SECRET_KEY": NEW}
    return CliRunner().invoke(main, ["secrets", "rotate", "--old-key", old], env=env)


def test_rotate_re_encrypts_every_node_secret(tmp_path: Path, database: str) -> None:
    old_box = SecretBox(OLD)
    asyncio.run(_nodes(database, {
        "a": old_box.seal({"password": "pa"}),
        "b": old_box.seal({"password": "pb"}),
        "c": SecretBox(NEW).seal({"password": "pc"}),
        "d": None,
    }))

    result = _rotate(tmp_path, database, OLD)

    assert result.exit_code == 0, result.output
    assert "2 nodes (1 already" in result.output
    stored = asyncio.run(_nodes(database))
    new_box = SecretBox(NEW)
    assert {name: new_box.open(v)["password"] for name, v in stored.items() if v} == {"a": "pa", "b": "pb", "c": "pc"}
    assert stored["d"] is None
    assert not any(new_box.needs_rotation(v) for v in stored.values() if v)
    # Running it again is a no-op.
    again = _rotate(tmp_path, database, OLD)
    assert again.exit_code == 0 and "0 nodes (3 already" in again.output


def test_a_secret_no_key_opens_rolls_everything_back(tmp_path: Path, database: str) -> None:
    before = asyncio.run(_nodes(database, {
        "good": SecretBox(OLD).seal({"password": "p"}),
        "lost": SecretBox(STRANGER).seal({"password": "q"}),
    }))

    result = _rotate(tmp_path, database, OLD)

    assert result.exit_code == 1
    assert "'lost'" in result.output and "nothing was changed" in result.output
    assert asyncio.run(_nodes(database)) == before


def test_rotate_refuses_to_run_without_an_explicit_new_key(tmp_path: Path, database: str) -> None:
    env = {"DLV_DATA_DIR": str(tmp_path), "DLV_DATABASE_URL": database, "DLV_SECRET_KEY": None}
    result = CliRunner().invoke(main, ["secrets", "rotate", "--old-key", OLD], env=env)
    assert result.exit_code == 2 and "set DLV_SECRET_KEY" in result.output
    assert not (tmp_path / "secret_key").exists()
