"""A real PostgreSQL server for the test session: initdb + pg_ctl on a free loopback port.

PostgreSQL refuses to run as root, so when the tests run as root the cluster belongs to
the ``postgres`` system user that Debian's package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def find_pg_bin() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("pg_ctl")
    return Path(found).resolve().parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    user = "dlv"
    password = "dlv-test-password"

    def __init__(self, workdir: Path | None = None) -> None:
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL server binaries not found; `make test` installs postgresql-15.")
        self.bin_dir = bin_dir
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="dlv-pg-"))
        self.data_dir = self.workdir / "data"
        self.port = free_port()
        self.host = "127.0.0.1"
        self._run_as = self._unprivileged_user()

    @staticmethod
    def _unprivileged_user() -> str | None:
        if os.geteuid() != 0:
            return None
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
        return "postgres"

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self._run_as, "--", *args] if self._run_as else list(args)

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self._run_as:
            shutil.chown(self.workdir, self._run_as, self._run_as)
            os.chmod(self.workdir, 0o700)
        password_file = self.workdir / "pwfile"
        password_file.write_text(self.password)
        if self._run_as:
            shutil.chown(password_file, self._run_as, self._run_as)
        subprocess.run(
            self._cmd(
                str(self.bin_dir / "initdb"),
                "-D", str(self.data_dir),
                "-U", self.user,
                f"--pwfile={password_file}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-sync",
            ),
            check=True,
            capture_output=True,
        )
        self._pg_ctl_start()
        self._wait_ready()

    def _pg_ctl_start(self) -> None:
        options = (
            f"-c listen_addresses={self.host} -p {self.port} -k {self.workdir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            self._cmd(
                str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-o", options,
                "-l", str(self.workdir / "server.log"), "-w", "-t", "60", "start",
            ),
            check=True,
            capture_output=True,
        )

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL did not accept connections on {self.host}:{self.port}")

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            self._cmd(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop"),
            check=False,
            capture_output=True,
        )

    def restart(self) -> None:
        """Stop and start the same cluster on the same port (fault tests)."""
        self.stop()
        self._pg_ctl_start()
        self._wait_ready()

    def url(self, database: str = "postgres", driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        env = {**os.environ, "PGPASSWORD": self.password}
        subprocess.run(
            [str(self.bin_dir / "createdb"), "-h", self.host, "-p", str(self.port), "-U", self.user, name],
            check=True,
            capture_output=True,
            env=env,
        )
        return self.url(name)

    def cleanup(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "PostgresServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()
