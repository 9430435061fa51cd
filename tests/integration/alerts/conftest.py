"""Real alert receivers on loopback (a webhook server that can go down and come back on the
same port, a Slack-shaped one, an SMTP server) and helpers to drive the alerts API."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import msgspec
import pytest
from aiosmtpd.controller import Controller

from dlv.config import Settings
from tests.services.postgres import free_port

WEBHOOK_SECRET_KEY = "whsec-3b7e1c9a5f2d4e6b8a0c"
# The Slack incoming-webhook URL is itself a credential; its path is what gives it away.
SLACK_PATH = "/services/T000/B000/slack-url-secret-9f8e7d6c"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.server.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, received: list) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.received = received


class Receiver:
    """An HTTP receiver recording every POST (path, headers, body); ``down()`` closes its
    port (connections are refused) and ``up()`` opens the same port again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self._server: _Server | None = None

    def up(self) -> None:
        self._server = _Server(self.port, self.received)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, _, body in self.received]


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's naming
        self.messages.append(envelope)
        return "250 OK"


def _running_receiver() -> Iterator[Receiver]:
    peer = Receiver()
    peer.up()
    yield peer
    peer.down()


receiver = pytest.fixture(_running_receiver, name="receiver")
slack = pytest.fixture(_running_receiver, name="slack")


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Controller, _Mailbox]]:
    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Controller, _Mailbox]) -> Iterator[_Mailbox]:
    smtp_server[1].messages.clear()
    yield smtp_server[1]


@pytest.fixture
def settings(settings: Settings, smtp_server: tuple[Controller, _Mailbox]) -> Settings:
    """The test session's settings, with the SMTP server and a quick dispatcher."""
    return msgspec.structs.replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server[0].port,
        smtp_from="dlv@example.com",
        alert_dispatch_interval_seconds=0.2,
        public_url="https://dlv.example.com",
    )


async def wait_for(condition: Callable[[], Awaitable[Any] | Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {seconds} s")


async def create(client: Any, headers: dict[str, str], path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def alerts(client: Any, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/alerts/events", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]

