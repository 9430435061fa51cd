"""A real Kafka broker (KRaft, one node) for tests, benchmarks and local development, without Docker.

The jars of ``org.apache.kafka:kafka_2.13`` are resolved with Maven once per
``deploy/kafka-dev/pom.xml`` and the classpath cached under ``~/.cache/dlv/kafka-dev/``; each
server gets its own ``server.properties`` on two free loopback ports (broker and controller)
and a log dir formatted by ``kafka.tools.StorageTool``, then runs ``kafka.Kafka`` in a child JVM::

    with KafkaServer(tmp_path) as server:
        consumer = AIOKafkaConsumer(bootstrap_servers=server.bootstrap_servers)

For local development: ``python -m tests.services.kafka`` (Ctrl-C stops it).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import os
import shlex
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import IO

from tests.services.neo4j import java_available
from tests.services.postgres import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT_DIR = REPO_ROOT / "deploy" / "kafka-dev"
POM = PROJECT_DIR / "pom.xml"
LOG_CONFIG = PROJECT_DIR / "log4j2.yaml"
# A small heap and the serial GC: the machine running the tests has 2 cores and other servers.
DEFAULT_JAVA_OPTS = ("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true")


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dlv" / "kafka-dev"


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _run(cmd: list[str], what: str, timeout: float) -> None:
    try:
        proc = subprocess.run(cmd, cwd=PROJECT_DIR, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"{what} timed out after {timeout:.0f} s: {shlex.join(cmd)}") from exc
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {proc.returncode}): {shlex.join(cmd)}\n{_tail(proc.stdout + proc.stderr)}")


def build_classpath(timeout: float = 600) -> str:
    """Resolve (download on first use) the broker's jars; return the classpath."""
    if not java_available():
        raise RuntimeError("the Kafka dev broker needs java (JDK 17+) and mvn on PATH")
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    cp_file = root / f"classpath-{hashlib.sha256(POM.read_bytes()).hexdigest()[:16]}.txt"
    with open(root / ".lock", "w") as lock:  # one resolution at a time across processes
        fcntl.flock(lock, fcntl.LOCK_EX)
        jars = [path for path in (cp_file.read_text().strip() if cp_file.exists() else "").split(os.pathsep) if path]
        if not jars or not all(os.path.exists(path) for path in jars):  # first use, or ~/.m2 was wiped
            tmp = cp_file.with_suffix(".tmp")
            _run(["mvn", "-q", "-B", "-f", str(POM), "dependency:build-classpath", f"-Dmdep.outputFile={tmp}"], "resolving the Kafka classpath with Maven", timeout)
            tmp.replace(cp_file)
        return cp_file.read_text().strip()


def _properties(log_dir: Path, broker_port: int, controller_port: int, partitions: int) -> str:
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{broker_port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{broker_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(log_dir),
        "num.partitions": str(partitions),
        "auto.create.topics.enable": "true",
        # One node: every internal topic with one replica; few partitions start faster.
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # A consumer joining alone is assigned at once rather than after 3 s.
        "group.initial.rebalance.delay.ms": "0",
    }
    return "".join(f"{name}={value}\n" for name, value in settings.items())


class KafkaServer:
    """One KRaft broker+controller in a child JVM on 127.0.0.1; topics it does not know are
    created on first use with ``partitions`` partitions."""

    def __init__(self, workdir: Path, *, partitions: int = 4, java_opts: list[str] | None = None) -> None:
        self.workdir = Path(workdir)
        self.partitions = partitions
        self.port = 0
        env_opts = os.environ.get("DLV_KAFKA_JAVA_OPTS")
        self.java_opts = java_opts if java_opts is not None else (shlex.split(env_opts) if env_opts else list(DEFAULT_JAVA_OPTS))
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def stderr_log(self) -> Path:
        return self.workdir / "kafka.stderr.log"

    def _java(self, classpath: str, main: str, *args: str) -> list[str]:
        return ["java", *self.java_opts, f"-Dlog4j2.configurationFile={LOG_CONFIG}", "-cp", classpath, main, *args]

    def start(self, timeout: float = 120) -> None:
        if self._proc is not None:
            raise RuntimeError("Kafka server already started")
        deadline = time.monotonic() + timeout
        classpath = build_classpath()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port, controller_port = free_port(), free_port()
        config = self.workdir / "server.properties"
        config.write_text(_properties(self.workdir / "logs", self.port, controller_port, self.partitions))
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        _run(self._java(classpath, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config)), "formatting the Kafka log dir", 120)
        self._stderr = open(self.stderr_log, "wb")
        self._proc = subprocess.Popen(
            self._java(classpath, "kafka.Kafka", str(config)), stdin=subprocess.DEVNULL, stdout=self._stderr, stderr=self._stderr, cwd=self.workdir
        )
        try:
            self._await_port(deadline)
        except BaseException:
            self.stop()
            raise

    def _await_port(self, deadline: float) -> None:
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self._proc is not None and self._proc.poll() is not None:
                    raise RuntimeError(f"Kafka exited (code {self._proc.returncode}) before it was ready:\n{self._stderr_tail()}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kafka did not accept connections on {self.bootstrap_servers}:\n{self._stderr_tail()}") from None
                time.sleep(0.2)

    def _stderr_tail(self) -> str:
        with contextlib.suppress(OSError):
            return _tail(self.stderr_log.read_text(errors="replace"))
        return ""

    def stop(self) -> None:
        """SIGTERM (a controlled shutdown), then SIGKILL after 30 s."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> "KafkaServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _main() -> int:
    import tempfile

    workdir = Path(tempfile.mkdtemp(prefix="dlv-kafka-"))
    with KafkaServer(workdir) as server:
        print(f"Kafka ready: bootstrap servers {server.bootstrap_servers} (workdir {workdir})", flush=True)
        try:
            while server._proc is not None and server._proc.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            return 0
    return 1


if __name__ == "__main__":
    raise SystemExit(_main())
