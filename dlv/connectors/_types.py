"""What a node type (connector) is: its config schema, secrets, validation and tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Generic, TypeVar

import msgspec

from dlv.connectors._catalog import Discovery, DiscoveryScope
from dlv.lib.exceptions import validation_location
from dlv.connectors._checklist import TestReport
from dlv.connectors._network import NetworkPolicy

ConfigT = TypeVar("ConfigT", bound=msgspec.Struct)

# Field types connectors share, so every form shows the same limits.
Host = Annotated[
    str,
    msgspec.Meta(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9._:%\-]+$", description="Host name or IP address."),
]
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
TimeoutSeconds = Annotated[float, msgspec.Meta(gt=0, le=120, description="Seconds before the test gives up.")]


class FieldError(msgspec.Struct):
    field: str
    message: str


class ConfigError(Exception):
    """A config is not valid; each error names its field (dotted, relative to the config)."""

    def __init__(self, *errors: FieldError) -> None:
        super().__init__("; ".join(f"{error.field}: {error.message}" for error in errors))
        self.errors = list(errors)

    @classmethod
    def of(cls, field: str, message: str) -> ConfigError:
        return cls(FieldError(field=field, message=message))


class CheckContext(msgspec.Struct, frozen=True):
    """What DLV tells a connector when it tests a connection."""

    network: NetworkPolicy = NetworkPolicy()


def _config_error(exc: msgspec.ValidationError) -> ConfigError:
    """msgspec's "Expected `int` <= 65535 - at `$.port`" -> field ``port``."""
    path, message = validation_location(exc)
    return ConfigError.of(path.removeprefix("$").lstrip(".") or "config", message)


class NodeType(Generic[ConfigT]):
    """Base class of every node type. A plugin subclasses it and returns the class from its
    ``register_node_types`` hook; DLV creates one instance at start-up.

    Subclasses set the class attributes and implement :meth:`test_connection`; they may
    override :meth:`validate` for rules the schema cannot say (and to normalise the config).
    """

    key: ClassVar[str]
    label: ClassVar[str]
    description: ClassVar[str] = ""
    config_type: ClassVar[type[msgspec.Struct]]
    # Dotted paths into the config ("password", "ssh_tunnel.private_key"): stored encrypted,
    # never returned by the API.
    secret_fields: ClassVar[tuple[str, ...]] = ()

    def config_schema(self) -> dict[str, Any]:
        return msgspec.json.schema(self.config_type)

    def parse(self, raw: Mapping[str, Any]) -> ConfigT:
        """Check ``raw`` against the schema and :meth:`validate`; raise :class:`ConfigError`."""
        try:
            config = msgspec.convert(raw, type=self.config_type)
        except msgspec.ValidationError as exc:
            raise _config_error(exc) from None
        return self.validate(config)  # type: ignore[arg-type]

    def validate(self, config: ConfigT) -> ConfigT:
        """Cross-field rules; return the (possibly normalised) config or raise ConfigError."""
        return config

    async def test_connection(self, config: ConfigT, context: CheckContext) -> TestReport:
        """Reach the system and report each step; never raise for a failed connection."""
        raise NotImplementedError

    async def discover(self, config: ConfigT, context: CheckContext, *, scope: DiscoveryScope | None = None) -> Discovery:
        """List what the system holds (relations and the dependencies between them, in the
        schemas ``scope`` covers); optional. A failed connection is reported in
        ``Discovery.report`` with ``catalog`` None, not raised."""
        raise NotImplementedError(f"the {self.key} node type does not discover assets")

    @classmethod
    def can_discover(cls) -> bool:
        return cls.discover is not NodeType.discover
