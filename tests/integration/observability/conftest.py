"""Scrape /metrics the way Prometheus does and read the series a user would look for."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.graph.conftest import neo4j_client, neo4j_driver, neo4j_server, neo4j_settings  # noqa: F401 - fixtures
from tests.integration.nodes.conftest import http_peer  # noqa: F401 - the fixture, for node checks
from tests.services.processes import stop

Client = AsyncTestClient[Litestar]
DLV = Path(sys.executable).with_name("dlv")


class Scrape:
    """One parsed /metrics answer."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.families = {family.name: family for family in text_string_to_metric_families(text)}

    def samples(self, sample_name: str) -> list[tuple[dict[str, str], float]]:
        family = sample_name.removesuffix("_count").removesuffix("_sum").removesuffix("_bucket").removesuffix("_total")
        return [(sample.labels, sample.value) for sample in self.families[family].samples if sample.name == sample_name]

    def value(self, sample_name: str, **labels: str) -> float:
        """The sample with exactly these labels (0 when the series does not exist yet)."""
        found = [value for sample_labels, value in self.samples(sample_name) if sample_labels == labels]
        assert len(found) <= 1, found
        return found[0] if found else 0.0


async def scrape(client: Client) -> Scrape:
    response = await client.get("/metrics")  # anonymous, as a Prometheus server scrapes
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return Scrape(response.text)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """A running `dlv serve`: its base URL and everything it wrote (stdout and stderr)."""

    def __init__(self, base: str, output: Path) -> None:
        self.base, self.output = base, output

    def lines(self) -> list[str]:
        return [line for line in self.output.read_text().splitlines() if line.strip()]


@contextmanager
def dlv_serve(tmp_path: Path, *args: str, **env_overrides: str) -> Iterator[Served]:
    """A real `dlv serve` on SQLite in ``tmp_path``, up once /health answers once."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("DLV_")}
    env.update(DLV_DATA_DIR=str(tmp_path / "data"), DLV_PORT=str(port), DLV_SECRET_KEY="s" * 48, DLV_PLUGINS="none")
    env.update(env_overrides)
    output = tmp_path / "serve.log"
    with output.open("w") as sink:
        process = subprocess.Popen([str(DLV), "serve", *args], env=env, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, output.read_text()[-3000:]
            try:
                httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, output.read_text()[-3000:]
                time.sleep(0.2)
        yield Served(base, output)
    finally:
        stop(process)
