"""SSH for connectors: connecting with DLV's rules (no agent, no ~/.ssh/config, only the
credentials in the node's config), error sentences, and local port forwarding for tunnels.

Used by the ``ssh_tunnel`` option of the PostgreSQL type and by SSH-based plugins.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
import warnings
from typing import Annotated, Any

import msgspec

# asyncssh names cryptography's DSA classes in its type hints, and recent cryptography releases
# warn on every such access: five lines at each import, which a user reads as something wrong
# with DLV. They announce cryptography's own plan (dropping DSA), which asyncssh will follow, so
# they are ignored here, for asyncssh's modules only; every other warning reaches the logs
# (configure_logging).
warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"asyncssh(\.|$)")
import asyncssh  # noqa: E402  (after the filter above)

from dlv.connectors._checklist import Checklist, describe_error
from dlv.connectors._network import NetworkPolicy, endpoint, reach
from dlv.connectors._types import ConfigError, FieldError, Host, Port

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
KnownHosts = Annotated[
    str,
    msgspec.Meta(
        max_length=65536,
        description="Trusted host key line(s) in OpenSSH known_hosts format; "
        "unset means the DLV server's ~/.ssh/known_hosts.",
    ),
]


class SSHTunnel(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Reach a system through an SSH bastion (local port forwarding)."""

    host: Host
    port: Port = 22
    user: Username
    password: str | None = None
    private_key: str | None = None
    known_hosts: KnownHosts | None = None
    verify_host_key: bool = True


SSH_TUNNEL_SECRETS = ("password", "private_key")


def check_credentials(password: str | None, private_key: str | None, prefix: str = "") -> None:
    """Exactly what SSH needs: a password or a readable (unencrypted) private key."""
    errors = []
    if not password and not private_key:
        errors.append(FieldError(field=f"{prefix}password", message="give a password or a private_key"))
    if private_key:
        try:
            asyncssh.import_private_key(private_key)
        except (asyncssh.KeyImportError, ValueError) as exc:
            errors.append(FieldError(field=f"{prefix}private_key", message=f"not a usable private key ({exc})"))
    if errors:
        raise ConfigError(*errors)


def _known_hosts(known_hosts: str | None, verify_host_key: bool) -> object:
    if not verify_host_key:
        return None
    if known_hosts:
        return asyncssh.import_known_hosts(known_hosts)
    return ()  # asyncssh's default: the DLV server's ~/.ssh/known_hosts


async def ssh_connect(
    *,
    host: str,
    port: int,
    username: str,
    password: str | None,
    private_key: str | None,
    known_hosts: str | None,
    verify_host_key: bool,
) -> asyncssh.SSHClientConnection:
    return await asyncssh.connect(
        host,
        port,
        username=username,
        password=password,
        client_keys=[asyncssh.import_private_key(private_key)] if private_key else None,
        known_hosts=_known_hosts(known_hosts, verify_host_key),
        # Only the node's own credentials: never the server's agent, keys or ssh config.
        config=[],
        agent_path=None,
        gss_auth=False,
        gss_kex=False,
        kbdint_auth=False,
        host_based_auth=False,
        preferred_auth="publickey,password",
    )


def describe_ssh_error(exc: BaseException, username: str, host: str, port: int) -> str:
    target = endpoint(host, port)
    if isinstance(exc, asyncssh.PermissionDenied):
        return f"authentication failed for user {username} at {target}"
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        return (
            f"the host key of {target} is not trusted ({exc.reason}); add it to known_hosts "
            "or turn verify_host_key off"
        )
    if isinstance(exc, asyncssh.ChannelOpenError):
        return f"the SSH server at {target} refused to forward the connection: {exc.reason}"
    if isinstance(exc, asyncssh.DisconnectError):
        return f"the SSH server at {target} closed the connection: {exc.reason}"
    return describe_error(exc, target)


async def close_ssh(connection: asyncssh.SSHClientConnection) -> None:
    connection.close()
    try:
        await asyncio.wait_for(connection.wait_closed(), 2)
    except (TimeoutError, OSError):
        pass  # already closing; nothing more to free


async def ssh_login(checks: Checklist, step: str, **login: Any) -> asyncssh.SSHClientConnection:
    """The step that logs in over SSH (``login``: the keyword arguments of ``ssh_connect``),
    reported the same way by the tunnel and by SSH-based node types."""
    user, host, port = login["username"], login["host"], login["port"]
    return await checks.step(
        step,
        lambda: ssh_connect(**login),
        success=f"logged in to {endpoint(host, port)} as {user}",
        describe=lambda exc: describe_ssh_error(exc, user, host, port),
    )


@asynccontextmanager
async def ssh_tunnel(
    checks: Checklist, tunnel: SSHTunnel, remote_host: str, remote_port: int, policy: NetworkPolicy
) -> AsyncIterator[tuple[str, int]]:
    """Steps to open a tunnel through ``tunnel`` to remote_host:remote_port; yields the local end."""
    await reach(checks, tunnel.host, tunnel.port, policy)
    connection = await ssh_login(
        checks,
        "SSH login",
        host=tunnel.host,
        port=tunnel.port,
        username=tunnel.user,
        password=tunnel.password,
        private_key=tunnel.private_key,
        known_hosts=tunnel.known_hosts,
        verify_host_key=tunnel.verify_host_key,
    )
    try:
        listener = await checks.step(
            "SSH tunnel",
            lambda: connection.forward_local_port("127.0.0.1", 0, remote_host, remote_port),
            success=lambda listener: (
                f"forwarding 127.0.0.1:{listener.get_port()} to {endpoint(remote_host, remote_port)} "
                f"through {endpoint(tunnel.host, tunnel.port)}"
            ),
            describe=lambda exc: describe_ssh_error(exc, tunnel.user, tunnel.host, tunnel.port),
        )
        try:
            yield "127.0.0.1", listener.get_port()
        finally:
            listener.close()
    finally:
        await close_ssh(connection)
