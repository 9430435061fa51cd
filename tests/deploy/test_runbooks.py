"""deploy/README.md and the README's compose section: the first-admin recipe is there, and
every `dlv ...` command the runbooks tell an operator to type exists in the CLI."""

from __future__ import annotations

import re

import click
import pytest

from dlv.cli import main

from ._util import DEPLOY_README, ROOT, SETTINGS, dlv_names

README = ROOT / "README.md"


def _commands(text: str) -> set[tuple[str, ...]]:
    found = set()
    for match in re.finditer(r"(?:^\s*|`|\bapi |-- )dlv ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)", text):
        found.add(tuple(match.group(1).split()))
    return found


def _production_section() -> str:
    return README.read_text().split("## Production: docker compose", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("source", ["deploy/README.md", "README.md production section"])
def test_every_dlv_command_in_the_runbooks_exists(source: str) -> None:
    text = DEPLOY_README.read_text() if source == "deploy/README.md" else _production_section()
    commands = _commands(text)
    assert commands
    for words in commands:
        command: click.Command = main
        for word in words:
            if not isinstance(command, click.Group):
                break  # the rest are arguments (`dlv user create alice`)
            assert word in command.commands, f"{source}: `dlv {' '.join(words)}` is not a command"
            command = command.commands[word]


def test_the_runbooks_cover_the_issue() -> None:
    text = DEPLOY_README.read_text()
    assert "docker compose exec api dlv user create" in text
    for heading in ("## Install", "## Upgrade", "## Backup and restore", "## Rotate the secret key", "## Scale out"):
        assert heading in text
    for needed in ("pg_dump", "pg_restore", "dlv graph rebuild", "dlv secrets rotate", "helm install", "helm upgrade"):
        assert needed in text
    assert dlv_names(text) - {"DLV_OLD_SECRET_KEY"} <= SETTINGS


def test_the_readme_points_at_compose_and_keeps_the_quick_start() -> None:
    text = README.read_text()
    assert "\nmake run     # creates .venv" in text and "make test    # installs" in text
    section = _production_section()
    assert "compose.yml" in section and "deploy/README.md" in section
