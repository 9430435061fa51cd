"""A real Neo4j 5 server for tests and local development, without Docker.

Runs the official in-process test server (``org.neo4j.test:neo4j-harness``, Community
edition, Neo4j 5.26 LTS) in a child JVM through the tiny launcher in ``deploy/neo4j-dev``:

* the Maven classpath is resolved once per ``pom.xml`` content and cached under
  ``~/.cache/dlv/neo4j-dev/`` (the jars themselves live in ``~/.m2``);
* the launcher is compiled once per launcher/pom content into the same cache;
* the JVM prints ``BOLT_URI=bolt://127.0.0.1:PORT`` and then serves until its stdin
  closes, so the server also goes away if this Python process dies.

Needs ``java``/``javac`` (17+) and ``mvn`` on PATH. No pytest dependency::

    with Neo4jServer(tmp_path) as server:
        driver = AsyncGraphDatabase.driver(server.bolt_uri, auth=None)

For local development: ``python -m tests.services.neo4j [--port 7687]`` (Ctrl-C stops it).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import queue
import shlex
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Iterator

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT_DIR = REPO_ROOT / "deploy" / "neo4j-dev"
POM = PROJECT_DIR / "pom.xml"
LAUNCHER_SRC = PROJECT_DIR / "src" / "main" / "java" / "dev" / "dlv" / "Neo4jDev.java"
LAUNCHER_CLASS = "dev.dlv.Neo4jDev"
URI_PREFIX = "BOLT_URI="

# C1-only JIT roughly halves JVM start-up for this short-lived server; the serial GC and
# a capped heap keep the footprint small. Override with DLV_NEO4J_JAVA_OPTS.
DEFAULT_JAVA_OPTS = (
    "-Xms64m",
    "-Xmx512m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dlv" / "neo4j-dev"


def _java_tool(name: str) -> str | None:
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / name
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which(name)


def java_available() -> bool:
    """True when the JDK (``java`` and ``javac``) and Maven (``mvn``) are on PATH."""
    return all(_java_tool(tool) for tool in ("java", "javac")) and shutil.which("mvn") is not None


def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


@contextlib.contextmanager
def _cache_lock() -> Iterator[None]:
    """Serialise classpath/compile work across processes (e.g. pytest-xdist workers)."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _run(cmd: list[str], what: str, timeout: float) -> None:
    try:
        proc = subprocess.run(
            cmd, cwd=PROJECT_DIR, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=max(timeout, 1.0),
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"{what} timed out after {timeout:.0f} s: {shlex.join(cmd)}") from exc
    if proc.returncode != 0:
        raise RuntimeError(
            f"{what} failed (exit {proc.returncode}): {shlex.join(cmd)}\n"
            f"{_tail(proc.stdout + proc.stderr)}"
        )


def build_classpath(timeout: float = 600) -> str:
    """Resolve (download on first use) the harness jars; return the launch classpath."""
    if not java_available():
        raise RuntimeError("Neo4j dev server needs java, javac (JDK 17+) and mvn on PATH")
    deadline = time.monotonic() + timeout
    pom_key = _digest(POM)
    classes_key = _digest(POM, LAUNCHER_SRC)
    root = cache_root()
    cp_file = root / f"classpath-{pom_key}.txt"
    classes_dir = root / f"classes-{classes_key}"
    with _cache_lock():
        classpath = cp_file.read_text().strip() if cp_file.exists() else ""
        jars = [p for p in classpath.split(os.pathsep) if p]
        if not jars or not all(os.path.exists(p) for p in jars):  # first use, or ~/.m2 was wiped
            tmp = cp_file.with_suffix(".tmp")
            _run(
                ["mvn", "-q", "-B", "-f", str(POM), "dependency:build-classpath",
                 f"-Dmdep.outputFile={tmp}"],
                "resolving the neo4j-harness classpath with Maven",
                deadline - time.monotonic(),
            )
            tmp.replace(cp_file)
            classpath = cp_file.read_text().strip()
        if not (classes_dir / "dev" / "dlv" / "Neo4jDev.class").exists():
            tmp_dir = root / f".classes-{classes_key}.{os.getpid()}"
            shutil.rmtree(tmp_dir, ignore_errors=True)
            _run(
                [_java_tool("javac") or "javac", "-nowarn", "--release", "17", "-d", str(tmp_dir),
                 "-cp", classpath, str(LAUNCHER_SRC)],
                "compiling the Neo4j launcher",
                deadline - time.monotonic(),
            )
            shutil.rmtree(classes_dir, ignore_errors=True)
            tmp_dir.rename(classes_dir)
    return f"{classes_dir}{os.pathsep}{classpath}"


class Neo4jServer:
    """An in-process-harness Neo4j in a child JVM, Bolt on 127.0.0.1, auth disabled.

    ``workdir`` holds the JVM's stderr log and the harness's working directory (which
    the harness deletes on a clean stop). ``port=0`` picks a free port.
    """

    def __init__(self, workdir: Path, *, port: int = 0, java_opts: list[str] | None = None) -> None:
        self.workdir = Path(workdir)
        self.port = port
        self.host = "127.0.0.1"
        self.bolt_uri = ""
        self.pid: int | None = None
        if java_opts is None:
            env_opts = os.environ.get("DLV_NEO4J_JAVA_OPTS")
            java_opts = shlex.split(env_opts) if env_opts is not None else list(DEFAULT_JAVA_OPTS)
        self.java_opts = java_opts
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()

    @property
    def stderr_log(self) -> Path:
        return self.workdir / "neo4j-dev.stderr.log"

    def _stderr_tail(self, lines: int = 40) -> str:
        try:
            return _tail(self.stderr_log.read_text(errors="replace"), lines)
        except OSError:
            return ""

    def _pump_stdout(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def start(self, timeout: float = 180) -> None:
        if self._proc is not None:
            raise RuntimeError("Neo4j server already started")
        deadline = time.monotonic() + timeout
        classpath = build_classpath(timeout)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._stderr = open(self.stderr_log, "w")
        cmd = [
            _java_tool("java") or "java", *self.java_opts, "-cp", classpath, LAUNCHER_CLASS,
            str(self.workdir / "harness"), str(self.port),
        ]
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
            cwd=self.workdir,
        )
        self.pid = self._proc.pid
        assert self._proc.stdout is not None
        threading.Thread(
            target=self._pump_stdout, args=(self._proc.stdout,), name="neo4j-dev-stdout", daemon=True
        ).start()
        try:
            self._await_uri(deadline)
            self._await_port(deadline)
        except BaseException:
            self.stop()
            raise

    def _fail(self, reason: str) -> RuntimeError:
        return RuntimeError(f"Neo4j dev server {reason}; last stderr lines ({self.stderr_log}):\n"
                            f"{self._stderr_tail()}")

    def _await_uri(self, deadline: float) -> None:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._fail("did not report its Bolt URI in time")
            try:
                line = self._lines.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            if line is None:
                code = self._proc.wait() if self._proc else None
                raise self._fail(f"exited (code {code}) before it was ready")
            if line.startswith(URI_PREFIX):
                self.bolt_uri = line[len(URI_PREFIX):].strip()
                self.port = int(self.bolt_uri.rsplit(":", 1)[1])
                return

    def _await_port(self, deadline: float) -> None:
        while True:
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return
            except OSError:
                if self._proc is not None and self._proc.poll() is not None:
                    raise self._fail(f"exited (code {self._proc.returncode}) before it was ready")
                if time.monotonic() > deadline:
                    raise self._fail(f"did not accept connections on {self.host}:{self.port}")
                time.sleep(0.1)

    def stop(self) -> None:
        """Close the JVM's stdin (it shuts Neo4j down and exits), wait 30 s, else kill it."""
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                if proc.stdin is not None:
                    proc.stdin.close()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            if proc.stdout is not None:
                with contextlib.suppress(OSError):
                    proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> "Neo4jServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _main() -> int:
    import argparse
    import signal
    import tempfile

    parser = argparse.ArgumentParser(
        prog="python -m tests.services.neo4j",
        description="Run a throwaway Neo4j 5 (neo4j-harness) on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=0, help="Bolt port (default: a free one)")
    parser.add_argument("--workdir", type=Path, default=None, help="default: a new temp dir")
    args = parser.parse_args()

    if not java_available():
        parser.exit(2, "needs java, javac (JDK 17+) and mvn on PATH\n")
    own_workdir = args.workdir is None
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="dlv-neo4j-"))
    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    server = Neo4jServer(workdir, port=args.port)
    started = time.monotonic()
    try:
        server.start()
    except RuntimeError as exc:
        print(exc)
        return 1
    print(f"Neo4j ready in {time.monotonic() - started:.1f} s (auth disabled, workdir {workdir})")
    print(server.bolt_uri, flush=True)
    try:
        while server.running:
            time.sleep(0.5)
        print(f"Neo4j exited unexpectedly; see {server.stderr_log}")
        return 1
    except KeyboardInterrupt:
        print("stopping Neo4j ...", flush=True)
        return 0
    finally:
        server.stop()
        if own_workdir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(_main())
