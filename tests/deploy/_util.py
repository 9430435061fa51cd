"""Shared helpers for the deployment tests: paths, the real settings, compose interpolation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from dlv.config import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
CHART = ROOT / "deploy" / "helm" / "dlv"
DEPLOY_README = ROOT / "deploy" / "README.md"

SETTINGS = {f"DLV_{field.upper()}" for field in Settings.__struct_fields__}
DLV_NAME = re.compile(r"\bDLV_[A-Z0-9_]*[A-Z0-9]\b")

_INTERPOLATION = re.compile(r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


class MissingVariable(Exception):
    pass


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's variable interpolation: $$, ${X}, ${X:-default}, ${X-default}, ${X:?error}, ${X?error}."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg")
        current = env.get(name)
        if op in (":-", "-"):
            empty = current is None or (op == ":-" and current == "")
            return arg if empty else current  # type: ignore[return-value]
        if op in (":?", "?"):
            if current is None or (op == ":?" and current == ""):
                raise MissingVariable(f"{name}: {arg}")
            return current
        return current or ""

    return _INTERPOLATION.sub(replace, value)


def dlv_names(text: str) -> set[str]:
    return set(DLV_NAME.findall(text))
