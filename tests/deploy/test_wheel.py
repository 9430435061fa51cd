"""What the Dockerfile installs, built and run here without Docker: the `dlv` and `dlv-ssh`
wheels are built from a copy of the sources (so the work tree gets no build/ folder), offline
(no build isolation), checked for the migrations and the built UI, installed into a fresh
venv, and `dlv serve --workers 2` from that venv answers /health and serves the UI.

The fresh venv gets the wheels only; their dependencies come from the test environment
through a path entry (no network), so the import of `dlv` is checked to be the wheel's."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import venv
import zipfile
from pathlib import Path

import httpx
import pytest

from ._util import ROOT
from tests.services.processes import stop

pytest.importorskip("setuptools", minversion="70.1")  # bdist_wheel without the `wheel` package

HAS_UI = (ROOT / "dlv" / "static" / "index.html").exists()


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("wheels")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    source = base / "dlv-src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "dlv", source / "dlv", ignore=ignore)
    shutil.copytree(ROOT / "plugins" / "dlv-ssh", base / "ssh-src", ignore=ignore)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), str(base / "ssh-src"), "--no-deps",
         "--no-build-isolation", "--no-index", "--disable-pip-version-check", "-q", "-w", str(base / "dist")],
        capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (dlv_wheel,) = (base / "dist").glob("dlv-*.whl")
    (ssh_wheel,) = (base / "dist").glob("dlv_ssh-*.whl")
    return {"dlv": dlv_wheel, "dlv-ssh": ssh_wheel, "base": base}


def test_the_wheel_contains_migrations_and_the_ui(wheels: dict[str, Path]) -> None:
    archive = zipfile.ZipFile(wheels["dlv"])
    names = set(archive.namelist())
    migrations = {p.name for p in (ROOT / "dlv" / "db" / "migrations" / "versions").glob("*.py")}
    packaged = {Path(n).name for n in names if n.startswith("dlv/db/migrations/versions/") and n.endswith(".py")}
    assert migrations and migrations <= packaged
    assert {"dlv/db/migrations/env.py", "dlv/db/migrations/script.py.mako"} <= names
    if HAS_UI:
        built = {p.relative_to(ROOT).as_posix() for p in (ROOT / "dlv" / "static").rglob("*") if p.is_file()}
        assert "dlv/static/index.html" in built and built <= names
    entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "dlv = dlv.cli:main" in entry_points


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_dlv_serve_runs_from_the_installed_wheels(wheels: dict[str, Path], tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    site = env_dir / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
         "--disable-pip-version-check", "-q", str(wheels["dlv"]), str(wheels["dlv-ssh"])],
        capture_output=True, text=True, timeout=120,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLV_") and k != "PYTHONPATH"}
    where = subprocess.run([str(python), "-c", "import dlv; print(dlv.__file__)"], capture_output=True, text=True, check=True, cwd=tmp_path, env=env)
    assert where.stdout.strip().startswith(str(site))

    port = _free_port()
    env.update(DLV_DATA_DIR=str(tmp_path / "data"), DLV_HOST="127.0.0.1", DLV_PORT=str(port), DLV_SECRET_KEY="w" * 48)
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([str(env_dir / "bin" / "dlv"), "serve", "--workers", "2"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()[-3000:]
                time.sleep(0.2)
        assert response.status_code == 200 and response.json()["status"] == "ok"
        if HAS_UI:
            ui = httpx.get(f"http://127.0.0.1:{port}/ui/", timeout=5)
            assert ui.status_code == 200 and "<html" in ui.text.lower()
    finally:
        stop(server)
        log.close()
