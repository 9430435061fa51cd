"""A real Redis server for tests: Debian's ``redis-server`` on a free loopback port, with no
persistence (``--save ''``, ``--appendonly no``) and its files in a temporary folder."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.services.postgres import free_port
from tests.services.processes import stop


def find_redis_server() -> str | None:
    return shutil.which("redis-server") or next(
        (path for path in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if Path(path).exists()), None
    )


class RedisServer:
    host = "127.0.0.1"

    def __init__(self, workdir: Path | None = None) -> None:
        binary = find_redis_server()
        if binary is None:
            raise RuntimeError("redis-server not found; `make test` (scripts/system-deps.sh) installs redis-server.")
        self.binary = binary
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="dlv-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> None:
        """Start (or, after :meth:`stop`, start again on the same port: clients reconnect)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port),
                "--bind", self.host,
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
                "--dir", str(self.workdir),
                "--logfile", str(self.workdir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._wait_ready()

    def _wait_ready(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                break
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        log = self.workdir / "redis.log"
        raise RuntimeError(f"redis-server did not answer on {self.url}: {log.read_text()[-2000:] if log.exists() else ''}")

    def stop(self) -> None:
        stop(self.process, timeout=10)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "RedisServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()
