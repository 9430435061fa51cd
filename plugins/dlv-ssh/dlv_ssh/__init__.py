"""DLV plugin: the ``ssh`` node type.

Test connection: check the address, open TCP, log in (password or private key), run the
configured command and report its exit status.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from dlv.connectors import (
    CheckContext,
    Checklist,
    Host,
    NodeType,
    Port,
    StepError,
    TestReport,
    TimeoutSeconds,
    check_credentials,
    close_ssh,
    describe_ssh_error,
    endpoint,
    hookimpl,
    reach,
    run_checklist,
    ssh_login,
)

__version__ = "0.1.0"

Command = Annotated[str, msgspec.Meta(min_length=1, max_length=4096, description="Run after login; exit status 0 passes.")]


class SSHConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    host: Host
    port: Port = 22
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    password: str | None = None
    private_key: str | None = None
    command: Command | None = None
    known_hosts: Annotated[str, msgspec.Meta(max_length=65536)] | None = None
    verify_host_key: bool = True
    timeout_seconds: TimeoutSeconds = 10.0


async def _run(connection: Any, command: str) -> str:
    result = await connection.run(command, check=False)
    if result.exit_status != 0:
        detail = str(result.stderr or "").strip().splitlines()[:1]
        suffix = f": {detail[0]}" if detail else ""
        raise StepError(f"{command!r} exited with status {result.exit_status}{suffix}")
    return f"{command!r} exited with status 0"


class SSHNodeType(NodeType[SSHConfig]):
    key = "ssh"
    label = "SSH host"
    description = "A host reached over SSH; the test logs in and can run a command."
    config_type = SSHConfig
    secret_fields = ("password", "private_key")

    def validate(self, config: SSHConfig) -> SSHConfig:
        check_credentials(config.password, config.private_key)
        return config

    async def test_connection(self, config: SSHConfig, context: CheckContext) -> TestReport:
        return await run_checklist(config.timeout_seconds, lambda checks: self._check(config, context, checks))

    async def _check(self, config: SSHConfig, context: CheckContext, checks: Checklist) -> str:
        target = endpoint(config.host, config.port)
        await reach(checks, config.host, config.port, context.network)
        connection = await ssh_login(
            checks,
            "authenticate",
            host=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            private_key=config.private_key,
            known_hosts=config.known_hosts,
            verify_host_key=config.verify_host_key,
        )
        try:
            if config.command:
                await checks.step(
                    "run command",
                    lambda: _run(connection, config.command or ""),
                    success=str,
                    describe=lambda exc: describe_ssh_error(exc, config.username, config.host, config.port),
                )
        finally:
            await close_ssh(connection)
        return f"Logged in to {target} as {config.username}" + (f" and ran {config.command!r}" if config.command else "")


@hookimpl
def register_node_types() -> list[type[NodeType[Any]]]:
    return [SSHNodeType]
