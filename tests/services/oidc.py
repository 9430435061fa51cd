"""A real OpenID provider for tests, without Docker: ``no.nav.security:mock-oauth2-server``
from Maven Central (see ``deploy/oidc-dev/pom.xml``) in a child JVM on 127.0.0.1.

It serves discovery, JWKS, the authorization code flow with PKCE, a login form where the
person signing in types a username and the claims of that login (the groups, say), and
RP-initiated logout. Chosen over Dex (a Go build, static users whose groups a test cannot
change between logins) and Keycloak (a minute to start, a gigabyte of memory on a 2-core
machine): it starts in about two seconds, and the groups of each login are the test's choice.

The server signs with the RSA key given in its configuration (it names it by the issuer id,
its ``kid``); the test keeps the private half, so it can also make tokens the provider would
have signed (expired ones, other audiences). ``restart(new_key=True)`` is a key rotation.

The Maven classpath is resolved once per ``pom.xml`` content and cached under
``~/.cache/dlv/oidc-dev/`` (jars in ``~/.m2``). Needs ``java`` (17+) and ``mvn`` on PATH.

For local development: ``python -m tests.services.oidc`` prints the issuer (Ctrl-C stops it).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.services.neo4j import _cache_lock, _run, java_available
from tests.services.postgres import free_port
from tests.services.processes import stop

PROJECT_DIR = Path(__file__).resolve().parents[2] / "deploy" / "oidc-dev"
POM = PROJECT_DIR / "pom.xml"
MAIN_CLASS = "no.nav.security.mock.oauth2.StandaloneMockOAuth2ServerKt"
JAVA_OPTS = ("-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true")
ISSUER_ID = "dlv"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dlv" / "oidc-dev"


def build_classpath(timeout: float = 600) -> str:
    """Resolve (download on first use) the server's jars; return the classpath."""
    if not java_available():
        raise RuntimeError("the OpenID test provider needs java (JDK 17+) and mvn on PATH")
    cp_file = cache_dir() / f"classpath-{hashlib.sha256(POM.read_bytes()).hexdigest()[:16]}.txt"
    cp_file.parent.mkdir(parents=True, exist_ok=True)
    with _cache_lock():
        jars = [p for p in (cp_file.read_text().strip() if cp_file.exists() else "").split(os.pathsep) if p]
        if not jars or not all(os.path.exists(p) for p in jars):
            tmp = cp_file.with_suffix(".tmp")
            _run(["mvn", "-q", "-B", "-f", str(POM), "dependency:build-classpath", f"-Dmdep.outputFile={tmp}"],
                 "resolving mock-oauth2-server with Maven", timeout)
            tmp.replace(cp_file)
    return cp_file.read_text().strip()


def _die_with_parent() -> None:
    # The provider must not outlive a test run that crashed (Linux: PR_SET_PDEATHSIG).
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


class OidcServer:
    """The provider on ``127.0.0.1:port``; its issuer is ``http://127.0.0.1:port/dlv``."""

    def __init__(self, workdir: Path, *, port: int = 0) -> None:
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.key = RSAKey.generate_key(2048, private=True)
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ISSUER_ID}"

    def __enter__(self) -> OidcServer:
        self.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop()

    def _write_config(self) -> Path:
        config = {
            "interactiveLogin": True,
            "tokenProvider": {"keyProvider": {"initialKeys": json.dumps(self.key.as_dict(private=True)), "algorithm": "RS256"}},
        }
        path = self.workdir / "oidc-config.json"
        self.workdir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(config))
        path.chmod(0o600)
        return path

    def start(self, timeout: float = 120) -> None:
        classpath = build_classpath(timeout)
        env = {**os.environ, "SERVER_HOSTNAME": "127.0.0.1", "SERVER_PORT": str(self.port), "JSON_CONFIG_PATH": str(self._write_config())}
        log = open(self.workdir / "oidc.log", "wb")
        self._proc = subprocess.Popen(
            ["java", *JAVA_OPTS, "-cp", classpath, MAIN_CLASS], env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            preexec_fn=_die_with_parent,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self._proc.poll() is not None or time.monotonic() > deadline:
                tail = (self.workdir / "oidc.log").read_text(errors="replace")[-3000:]
                self.stop()
                raise RuntimeError(f"mock-oauth2-server did not start:\n{tail}")
            time.sleep(0.2)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        stop(proc, timeout=10)

    def restart(self, *, new_key: bool) -> None:
        """Stop and start again on the same port; ``new_key``: it now signs with another key."""
        self.stop()
        if new_key:
            self.key = RSAKey.generate_key(2048, private=True)
        self.start()

    def sign(self, claims: dict[str, Any], key: RSAKey | None = None) -> str:
        """A token as this provider signs them (``key``: forge one with another key, same kid)."""
        now = int(time.time())
        body = {"iss": self.issuer, "iat": now, "exp": now + 300, **claims}
        return jwt.encode({"alg": "RS256", "kid": ISSUER_ID, "typ": "JWT"}, body, key or self.key)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as scratch, OidcServer(Path(scratch)) as server:
        print(f"issuer: {server.issuer}", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
