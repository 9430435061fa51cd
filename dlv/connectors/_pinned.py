"""An httpx transport whose every connection goes to one address chosen in advance.

httpx resolves the URL's host itself when it connects; after DLV has checked where that name
points, a second resolution could answer differently (DNS rebinding) and reach an address
the check would have refused. This transport keeps the URL, the Host header, TLS's server
name and certificate verification as they are, and only replaces where the TCP connection
goes: to the address the check approved.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's default backend, with the host of every TCP connection replaced by ``address``."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._backend.connect_tcp(
            self.address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by DLV's connectors")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def pinned_transport(address: str, tls: ssl.SSLContext) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(verify=tls, trust_env=False)
    # httpx takes no network backend; its pool is rebuilt with the same TLS context and the
    # pinned backend (httpx and httpcore are pinned in uv.lock; tests/unit covers this).
    transport._pool = httpcore.AsyncConnectionPool(ssl_context=tls, network_backend=PinnedBackend(address))
    return transport
