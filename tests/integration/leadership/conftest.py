"""Real ``dlv serve`` processes against the session's PostgreSQL, each on its own port and data
dir, sharing one fresh database and one secret key."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import SECRET_KEY
from tests.integration.graph.conftest import neo4j_server  # noqa: F401 - the session's Neo4j
from tests.integration.nodes.conftest import http_peer  # noqa: F401 - the session's HTTP peer
from tests.services.postgres import PostgresServer, free_port
from tests.services.processes import stop

DLV = Path(sys.executable).parent / "dlv"
# The first admin each fresh database gets (DLV_ADMIN_PASSWORD, username "admin").
ADMIN_PASSWORD = "correct-horse-battery-9"
STARTUP_SECONDS = 90


class DlvServe:
    """One ``dlv serve`` child process; its output goes to ``log`` (shown when a test fails)."""

    def __init__(self, name: str, database_url: str, workdir: Path, **env: str) -> None:
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"{name}.log"
        self._env = {
            **os.environ,
            "DLV_DATABASE_URL": database_url,
            "DLV_SECRET_KEY": SECRET_KEY,
            "DLV_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "DLV_DATA_DIR": str(workdir / name),
            "DLV_PORT": str(self.port),
            "DLV_LOG_LEVEL": "INFO",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen([str(DLV), "serve"], env=self._env, stdout=log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        """kill -9: no shutdown code runs, so nothing is released politely."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        stop(self.process)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    async def health(self) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.base, timeout=5) as http:
            response = await http.get("/health")
        assert response.status_code == 200, response.text
        return response.json()

    async def wait_healthy(self) -> dict[str, Any]:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n{self.output()}")
            try:
                return await self.health()
            except (httpx.HTTPError, AssertionError):
                await asyncio.sleep(0.3)
        raise AssertionError(f"{self.name} did not answer /health within {STARTUP_SECONDS} s:\n{self.output()}")

    async def login(self) -> dict[str, str]:
        async with httpx.AsyncClient(base_url=self.base, timeout=10) as http:
            response = await http.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


Launch = Callable[..., Awaitable[list[DlvServe]]]


@pytest.fixture
def fresh_database(postgres_server: PostgresServer) -> str:
    """An empty database (not even migrated): the processes under test migrate it."""
    return postgres_server.create_database(f"dlv_leader_{uuid4().hex[:12]}")


@pytest.fixture
def launch(fresh_database: str, tmp_path: Path) -> Iterator[Launch]:
    """``await launch("a", "b", **env)`` starts those processes at the same moment and waits
    until every one answers /health. All are stopped after the test; their logs are printed
    (pytest shows them when the test failed)."""
    started: list[DlvServe] = []

    async def run(*names: str, **env: str) -> list[DlvServe]:
        processes = [DlvServe(name, fresh_database, tmp_path, **env) for name in names]
        for process in processes:
            process.start()
        started.extend(processes)
        await asyncio.gather(*(process.wait_healthy() for process in processes))
        return processes

    yield run
    for process in started:
        process.stop()
        print(f"--- {process.name} ---\n{process.output()}")


async def raw_connection(database_url: str) -> asyncpg.Connection:
    """A plain connection to the database under test, for what no API shows (locks, schema)."""
    url = make_url(database_url)
    return await asyncpg.connect(host=url.host, port=url.port, user=url.username, password=url.password, database=url.database)


async def wait_for(condition: Callable[[], Awaitable[Any]], seconds: float, what: str) -> Any:
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := await condition():
            return result
        await asyncio.sleep(0.3)
    raise AssertionError(f"{what} did not happen within {seconds} s")


async def leaders(processes: list[DlvServe], duty: str) -> list[DlvServe]:
    """The processes that report leading ``duty`` on /health."""
    return [process for process in processes if (await process.health())["leader"].get(duty)]
