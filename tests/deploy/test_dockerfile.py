"""deploy/Dockerfile and .dockerignore: the stages the issue asks for, read from the file
(no Docker engine here), and that what the image runs is a real `dlv` command."""

from __future__ import annotations

import json
import re

import click

from dlv.cli import main

from ._util import DOCKERFILE, DOCKERIGNORE, ROOT, SETTINGS, dlv_names


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]  # type: ignore[misc]


def _stages() -> dict[str, list[tuple[str, str]]]:
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for op, arg in _instructions():
        if op == "FROM":
            current = []
            stages[arg.split()[-1]] = current
        current.append((op, arg))
    return stages


def test_multi_stage_node_builds_the_ui_and_python_slim_runs_it() -> None:
    stages = _stages()
    assert list(stages) == ["python-build", "ui", "wheel", "runtime"]
    assert stages["ui"][0][1].startswith("node:20")
    assert stages["runtime"][0][1].startswith("python:3.11-slim")
    ui_runs = " ".join(arg for op, arg in stages["ui"] if op == "RUN")
    assert "npm ci" in ui_runs and "npm run build" in ui_runs
    # gen-api.mjs runs `$DLV_BIN openapi`: the Node stage gets the document from the Python stage.
    assert "DLV_BIN=" in ui_runs
    assert any(op == "COPY" and "--from=python-build" in arg and "src/api/openapi.json" in arg for op, arg in stages["ui"])
    assert "dlv openapi -o" in " ".join(arg for op, arg in stages["python-build"] if op == "RUN")
    assert 'process.env.DLV_BIN' in (ROOT / "frontend" / "scripts" / "gen-api.mjs").read_text()
    vite = (ROOT / "frontend" / "vite.config.ts").read_text()
    assert 'outDir: "../dlv/static"' in vite
    assert any(op == "COPY" and "--from=ui /src/dlv/static" in arg for op, arg in stages["wheel"])
    assert any(op == "COPY" and "--from=wheel" in arg for op, arg in stages["runtime"])


def test_runtime_is_non_root_with_a_healthcheck_and_serves_with_workers() -> None:
    runtime = _stages()["runtime"]
    users = [arg for op, arg in runtime if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    health = [arg for op, arg in runtime if op == "HEALTHCHECK"]
    assert health and "/health" in health[0]
    cmd = json.loads([arg for op, arg in runtime if op == "CMD"][-1])
    assert cmd == ["dlv", "serve", "--workers", "2"]
    serve = main.commands["serve"]
    assert isinstance(serve, click.Command) and "--workers" in {o for p in serve.params for o in p.opts}
    env = " ".join(arg for op, arg in runtime if op == "ENV")
    assert "DLV_HOST=0.0.0.0" in env and "DLV_PORT=8000" in env


def test_no_secrets_are_baked_in_and_every_dlv_variable_is_a_setting() -> None:
    env_and_args = " ".join(arg for op, arg in _instructions() if op in ("ENV", "ARG"))
    for secret in ("DLV_SECRET_KEY", "DLV_DATABASE_URL", "DLV_NEO4J_PASSWORD", "DLV_ADMIN_PASSWORD", "PASSWORD"):
        assert secret not in env_and_args
    # DLV_BIN is the UI build's own variable (frontend/scripts/gen-api.mjs), not a setting.
    assert dlv_names(DOCKERFILE.read_text()) - {"DLV_BIN"} <= SETTINGS


def test_dockerignore_keeps_local_state_and_secrets_out() -> None:
    ignored = {line.strip() for line in DOCKERIGNORE.read_text().splitlines() if line.strip() and not line.startswith("#")}
    for entry in (".git", "**/.venv", ".dlv", ".env", "**/node_modules", "dlv/static"):
        assert entry in ignored, entry
    # What the build copies must not be ignored.
    for needed in ("dlv", "frontend", "pyproject.toml", "README.md", "plugins/dlv-ssh"):
        assert needed not in ignored


def test_the_image_installs_the_locked_versions_with_their_hashes() -> None:
    """The image gets the same dependency versions as `make run`: exported from uv.lock with
    hashes, installed with pip's hash checking, and DLV's own wheels without dependencies."""
    stages = _stages()
    build_runs = " ".join(arg for op, arg in stages["python-build"] if op == "RUN")
    runtime_runs = " ".join(arg for op, arg in stages["runtime"] if op == "RUN")
    assert any(op == "COPY" and "uv.lock" in arg for op, arg in stages["python-build"])
    assert "uv export --locked" in build_runs and "--require-hashes -r scripts/uv-requirements.txt" in build_runs
    assert "pip install --require-hashes -r /tmp/requirements.txt" in runtime_runs
    assert "pip install --no-deps /tmp/wheels/" in runtime_runs
    ignored = DOCKERIGNORE.read_text().splitlines()
    assert "!scripts/uv-requirements.txt" in ignored and "uv.lock" not in ignored
