"""Real network peers for connector tests, all on loopback: an HTTP(S) server, an SSH
server (password and public-key login, port forwarding, a few built-in commands), a port
that accepts TCP but never answers, and a port that refuses connections."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncssh
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# Longest any slow answer takes, so a test that does not wait for it never leaves much behind.
SLOW_SECONDS = 3.0


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1 signed by its own key (no CA trusts it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class _Handler(BaseHTTPRequestHandler):
    """/ok -> 200, /fail -> 500, /slow -> 200 after SLOW_SECONDS, /auth -> 200 with the right bearer token."""

    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?", 1)[0]
        self.server.requests.append((path, dict(self.headers)))
        if path == "/slow":
            time.sleep(SLOW_SECONDS)
        if path == "/fail":
            self._answer(500, b"broken")
        elif path == "/auth":
            authorized = self.headers.get("authorization") == f"Bearer {self.server.token}"
            self._answer(200 if authorized else 401, b"ok" if authorized else b"who are you")
        elif path in ("/ok", "/slow", "/"):
            self._answer(200, b"ok")
        else:
            self._answer(404, b"no such path")

    def _answer(self, status: int, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (timeout tests)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    token = "peer-token-not-set"

    def __init__(self, tls: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, dict[str, str]]] = []
        if tls is not None:
            # The handshake happens in the handler thread, so a client that rejects the
            # certificate does not disturb the accepting thread.
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that reject our certificate or time out are expected here


class HttpPeer:
    def __init__(self, tls_files: tuple[Path, Path] | None = None) -> None:
        context = None
        if tls_files is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls_files)
        self._server = _Server(context)
        self.scheme = "https" if tls_files else "http"
        self.port = self._server.server_address[1]
        self.url = f"{self.scheme}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def requests(self) -> list[tuple[str, dict[str, str]]]:
        return self._server.requests

    def expect_token(self, token: str) -> None:
        self._server.token = token

    def __enter__(self) -> HttpPeer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class SilentPort:
    """Accepts TCP connections (the kernel completes the handshake) but never answers."""

    def __init__(self) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self.port = self._socket.getsockname()[1]

    def close(self) -> None:
        self._socket.close()


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SSHPeer:
    """An asyncssh server on loopback: password and public-key login for one user, TCP
    forwarding (tunnels) and a few commands it answers itself (``true``, ``false``, ``echo``)."""

    user = "bastion"
    password = "ssh-peer-password-1"

    def __init__(self) -> None:
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.client_key = asyncssh.generate_private_key("ssh-ed25519")
        self.host = "127.0.0.1"
        self.port = 0
        self.forwarded: list[tuple[str, int]] = []
        self._server: asyncssh.SSHAcceptor | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="ssh-peer", daemon=True)

    @property
    def known_hosts(self) -> str:
        """The known_hosts line a client needs to trust this server."""
        return f"[{self.host}]:{self.port} {self.host_key.export_public_key().decode().strip()}"

    @property
    def client_private_key(self) -> str:
        return self.client_key.export_private_key().decode()

    def _server_factory(self) -> asyncssh.SSHServer:
        peer = self

        class Server(asyncssh.SSHServer):
            def begin_auth(self, username: str) -> bool:
                return True

            def password_auth_supported(self) -> bool:
                return True

            def validate_password(self, username: str, password: str) -> bool:
                return username == peer.user and password == peer.password

            def public_key_auth_supported(self) -> bool:
                return True

            def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
                return username == peer.user and key.public_data == peer.client_key.public_data

            def connection_requested(self, dest_host: str, dest_port: int, orig_host: str, orig_port: int) -> bool:
                peer.forwarded.append((dest_host, dest_port))
                return True

        return Server()

    @staticmethod
    def _process(process: asyncssh.SSHServerProcess) -> None:
        command = process.command or ""
        if command == "true":
            process.exit(0)
        elif command.startswith("echo "):
            process.stdout.write(command.removeprefix("echo ") + "\n")
            process.exit(0)
        elif command == "false":
            process.exit(1)
        else:
            process.stderr.write(f"sh: 1: {command}: not found\n")
            process.exit(127)

    async def _start(self) -> None:
        self._server = await asyncssh.create_server(
            self._server_factory,
            self.host,
            0,
            server_host_keys=[self.host_key],
            process_factory=self._process,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await asyncio.wait_for(self._server.wait_closed(), 5)

    def __enter__(self) -> SSHPeer:
        # Its own thread and event loop: the app under test runs requests on another loop
        # (Litestar's test client portal) while the test's loop waits for the answer.
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
