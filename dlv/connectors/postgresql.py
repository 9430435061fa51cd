"""The built-in ``postgresql`` node type: reach the server (directly or through an SSH
bastion), log in, run ``SELECT version()`` and check the user can see schemas; and discover
its tables, views and materialized views with their columns and view lineage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg
import msgspec

from dlv.connectors._checklist import Checklist, StepError, TestReport, describe_error, run_checklist
from dlv.connectors._network import endpoint, reach
from dlv.connectors._ssh import SSH_TUNNEL_SECRETS, SSHTunnel, check_credentials, ssh_tunnel
from dlv.connectors._types import CheckContext, ConfigError, Host, NodeType, Port, TimeoutSeconds
from dlv.connectors.hookspecs import hookimpl
from dlv.connectors._catalog import Catalog, CatalogColumn, ColumnUse, Dependency, Discovery, DiscoveryScope, Relation, RelationKind
from dlv.connectors._pg_routines import routine_dependencies
from dlv.sqllineage import WHOLE_DATASET, SqlLineage, analyze

SSLMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
Identifier = Annotated[str, msgspec.Meta(min_length=1, max_length=63)]
ConnectionString = Annotated[
    str,
    msgspec.Meta(
        max_length=2048,
        description="postgresql://user:password@host:port/database?sslmode=...; fills the fields it names.",
    ),
]

SCHEMAS_VISIBLE = """
    SELECT nspname FROM pg_catalog.pg_namespace
    WHERE has_schema_privilege(nspname, 'USAGE')
      AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
    ORDER BY nspname
"""


class PostgreSQLConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    host: Host | None = None
    port: Port = 5432
    database: Identifier = "postgres"
    user: Identifier | None = None
    password: str | None = None
    sslmode: SSLMode = "prefer"
    connect_timeout: TimeoutSeconds = 10.0
    connection_string: ConnectionString | None = None
    ssh_tunnel: SSHTunnel | None = None


def _from_connection_string(config: PostgreSQLConfig) -> PostgreSQLConfig:
    """The values a postgresql:// URL names replace the separate fields (and the URL is not kept:
    it may hold the password)."""
    assert config.connection_string is not None
    field = "connection_string"
    try:
        url = urlsplit(config.connection_string)
        port = url.port
    except ValueError as exc:
        raise ConfigError.of(field, f"not a valid URL ({exc})") from None
    if url.scheme not in ("postgresql", "postgres"):
        raise ConfigError.of(field, f"must start with postgresql://, not {url.scheme or 'nothing'}://")
    if not url.hostname:
        raise ConfigError.of(field, "names no host: use postgresql://user:password@host:5432/database")
    query = {key: values[-1] for key, values in parse_qs(url.query).items()}
    values: dict[str, Any] = {"host": url.hostname, "connection_string": None}
    if port is not None:
        values["port"] = port
    if url.username:
        values["user"] = unquote(url.username)
    if url.password is not None:
        values["password"] = unquote(url.password)
    if url.path.strip("/"):
        values["database"] = unquote(url.path.strip("/"))
    for option in ("sslmode", "connect_timeout"):
        if option in query:
            values[option] = query[option]
    merged = msgspec.structs.asdict(config) | values
    merged["ssh_tunnel"] = config.ssh_tunnel
    try:
        return msgspec.convert(merged, type=PostgreSQLConfig, from_attributes=True, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError.of(field, f"holds a value that is not valid: {exc}") from None


def _describe_login_error(exc: BaseException, config: PostgreSQLConfig, target: str) -> str:
    if isinstance(exc, (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)):
        return f"authentication failed for user {config.user} at {target}: {exc}"
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f"database {config.database} does not exist at {target}"
    if isinstance(exc, asyncpg.PostgresError):
        return f"the server refused the connection: {exc}"
    if isinstance(exc, ConnectionError | asyncpg.exceptions.ConnectionDoesNotExistError) and config.ssh_tunnel:
        return f"the SSH bastion could not reach {target} (it closed the forwarded connection)"
    return describe_error(exc, target)


async def _visible_schemas(connection: asyncpg.Connection, user: str) -> list[str]:
    names = [row["nspname"] for row in await connection.fetch(SCHEMAS_VISIBLE)]
    if not names:
        raise StepError(f"{user} cannot use any schema; grant it USAGE on the schemas DLV should read")
    return names


def _short_version(version: str) -> str:
    return " ".join(version.split()[:2])


class PostgreSQLNodeType(NodeType[PostgreSQLConfig]):
    key = "postgresql"
    label = "PostgreSQL"
    description = "A PostgreSQL database, reached directly or through an SSH bastion."
    config_type = PostgreSQLConfig
    secret_fields = ("password", *(f"ssh_tunnel.{name}" for name in SSH_TUNNEL_SECRETS))

    def validate(self, config: PostgreSQLConfig) -> PostgreSQLConfig:
        if config.connection_string:
            config = _from_connection_string(config)
        if not config.host:
            raise ConfigError.of("host", "required: give host (or a connection_string)")
        if not config.user:
            raise ConfigError.of("user", "required: give user (or a connection_string)")
        if config.ssh_tunnel is not None:
            check_credentials(config.ssh_tunnel.password, config.ssh_tunnel.private_key, prefix="ssh_tunnel.")
        return config

    async def test_connection(self, config: PostgreSQLConfig, context: CheckContext) -> TestReport:
        return await run_checklist(config.connect_timeout, lambda checks: self._check(config, context, checks))

    async def _check(self, config: PostgreSQLConfig, context: CheckContext, checks: Checklist) -> str:
        async with _connected(config, context, checks) as connection:
            version = await checks.step("SELECT version()", lambda: connection.fetchval("SELECT version()"), success=str)
            await checks.step(
                "list schemas",
                lambda: _visible_schemas(connection, config.user or ""),
                success=lambda names: f"{config.user} can use {len(names)} schema(s): {', '.join(names[:20])}",
            )
        return f"Connected to {_short_version(version)} at {_target(config)} as {config.user}"

    async def discover(
        self, config: PostgreSQLConfig, context: CheckContext, *, scope: DiscoveryScope | None = None
    ) -> Discovery:
        """Connect with the same steps as test connection, then read the catalog in one step."""
        scope = scope or DiscoveryScope()
        found: list[Catalog] = []

        async def steps(checks: Checklist) -> str:
            async with _connected(config, context, checks) as connection:
                # connect_timeout budgets reaching the server; reading a large catalog gets its own.
                checks.timeout += CATALOG_READ_SECONDS
                catalog = await checks.step(
                    "read catalog",
                    lambda: _read_catalog(connection, config, scope),
                    success=lambda catalog: (
                        f"{len(catalog.relations)} table(s) and view(s), {len(catalog.dependencies)} view dependencies "
                        f"in {len(catalog.schemas)} schema(s)"
                    ),
                )
            found.append(catalog)
            return f"Read the catalog of {config.database} at {_target(config)}"

        report = await run_checklist(config.connect_timeout, steps)
        return Discovery(report=report, catalog=found[0] if found and report.status == "ok" else None)


def _target(config: PostgreSQLConfig) -> str:
    assert config.host is not None
    return endpoint(config.host, config.port)


@asynccontextmanager
async def _connected(config: PostgreSQLConfig, context: CheckContext, checks: Checklist) -> AsyncIterator[asyncpg.Connection]:
    """The steps that reach and log in to the server (through the SSH tunnel when configured);
    yields the connection and closes it (and the tunnel) afterwards."""
    assert config.host is not None
    target = _target(config)
    async with AsyncExitStack() as stack:
        if config.ssh_tunnel is not None:
            host, port = await stack.enter_async_context(
                ssh_tunnel(checks, config.ssh_tunnel, config.host, config.port, context.network)
            )
        else:
            address = await reach(checks, config.host, config.port, context.network)
            # To the address that was checked (no second lookup), unless the certificate must
            # match the name: asyncpg verifies verify-full against the host it is given.
            host, port = (config.host if config.sslmode == "verify-full" else address), config.port
        connection = await checks.step(
            "authenticate",
            lambda: asyncpg.connect(
                host=host,
                port=port,
                user=config.user,
                password=config.password,
                database=config.database,
                ssl=config.sslmode,
                timeout=max(checks.remaining(), 0.1),
                server_settings={"application_name": "dlv"},
            ),
            success=f"logged in to {config.database} as {config.user}",
            describe=lambda exc: _describe_login_error(exc, config, target),
        )
        stack.push_async_callback(connection.close, timeout=2)
        yield connection


# Partitions are left out: their parent (relkind 'p') is the table people query.
RELATIONS = """
    SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm') AND NOT c.relispartition
      AND has_schema_privilege(n.oid, 'USAGE')
    ORDER BY n.nspname, c.relname
"""
COLUMNS = """
    SELECT a.attrelid AS oid, a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type
    FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attrelid, a.attnum
"""
# A view's (or materialized view's) rewrite rule depends on every relation its query reads
# (refobjsubid 0) and on every column it uses (refobjsubid = attnum). This reads pg_depend
# rather than information_schema.view_table_usage / view_column_usage because those list only
# tables owned by the connecting role (a read-only discovery user owns none) and leave
# materialized views out.
DEPENDENCIES = """
    SELECT DISTINCT r.ev_class AS target_oid, d.refobjid AS source_oid, a.attname AS source_column
    FROM pg_catalog.pg_rewrite r
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
    LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0
    WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype = 'n'
      AND d.refobjid <> r.ev_class AND r.ev_class = ANY($1::oid[])
    ORDER BY 1, 2, 3
"""
# A view's query as PostgreSQL keeps it; read with search_path set to pg_catalog alone, so
# every relation in it is written with its schema.
VIEW_DEFINITIONS = "SELECT c.oid, pg_catalog.pg_get_viewdef(c.oid, true) AS sql FROM pg_catalog.pg_class c WHERE c.oid = ANY($1::oid[])"
KINDS: dict[str, RelationKind] = {"r": "table", "p": "table", "f": "table", "v": "view", "m": "materialized_view"}
CATALOG_READ_SECONDS = 600.0


async def _read_catalog(connection: asyncpg.Connection, config: PostgreSQLConfig, scope: DiscoveryScope) -> Catalog:
    database = config.database
    every = {
        row["oid"]: Relation(schema=row["schema"], name=f"{database}.{row['schema']}.{row['name']}", kind=KINDS[row["relkind"]])
        for row in await connection.fetch(RELATIONS)
    }
    wanted = {oid: relation for oid, relation in every.items() if scope.covers(relation.schema)}
    for row in await connection.fetch(COLUMNS, list(wanted)):
        wanted[row["oid"]].columns.append(CatalogColumn(name=row["name"], type=row["type"]))
    views = [oid for oid, relation in wanted.items() if relation.kind != "table"]
    used: dict[tuple[int, int], set[str]] = {}
    for row in await connection.fetch(DEPENDENCIES, views):
        if row["source_oid"] not in every:
            continue  # a sequence, a partition or a relation the role cannot see
        columns = used.setdefault((row["target_oid"], row["source_oid"]), set())
        if row["source_column"] is not None:
            columns.add(row["source_column"])
    await connection.execute("SET search_path TO pg_catalog")
    definitions = {row["oid"]: row["sql"] for row in await connection.fetch(VIEW_DEFINITIONS, views)}
    # Parsing is CPU work (milliseconds a view): in a thread, so the server's loop keeps answering.
    parsed = await asyncio.to_thread(lambda: {oid: _view_lineage(definitions.get(oid), database, oid, used, every) for oid in views})
    dependencies = []
    for (target_oid, source_oid), columns in used.items():
        target, source = wanted[target_oid], every[source_oid]
        dependencies.append(
            Dependency(
                source=source.name,
                source_schema=source.schema,
                source_kind=source.kind,
                target=target.name,
                columns=column_uses(columns, target, source.name, parsed[target_oid]),
            )
        )
    dependencies.extend(await routine_dependencies(connection, database, scope, every, wanted))
    return Catalog(
        namespace=f"postgres://{_target(config)}",
        database=database,
        schemas=sorted({relation.schema for relation in wanted.values()}),
        relations=list(wanted.values()),
        dependencies=dependencies,
    )


def _view_lineage(sql: str | None, database: str, oid: int, used: dict[tuple[int, int], set[str]], every: dict[int, Relation]) -> SqlLineage | None:
    """The view's parsed SQL, its sources' columns known (for ``*`` and unqualified columns)."""
    if not sql:
        return None
    tables = {every[source].name: [c.name for c in every[source].columns] for target, source in used if target == oid and source in every}
    return analyze(sql, "postgres", database=database, tables=tables)


def column_uses(columns: set[str], target: Relation, source: str, lineage: SqlLineage | None) -> list[ColumnUse]:
    """How the view ``target`` uses the ``columns`` of ``source`` that pg_depend lists: from
    its parsed SQL when it parsed (each output a column feeds, with the transformation), the
    rest as PostgreSQL says it: a column the view outputs under its own name is taken as
    feeding it, any other only shapes the rows."""
    uses = []
    if lineage is not None:
        uses = [
            ColumnUse(c.source_column, None if c.target_column == WHOLE_DATASET else c.target_column, f"{c.type}/{c.subtype}")
            for c in lineage.columns
            if c.source_table == source
        ]
    explained = {use.source_column for use in uses}
    outputs = {column.name for column in target.columns}
    uses.extend(ColumnUse(name, name if name in outputs else None) for name in sorted(columns - explained))
    return sorted(set(uses), key=lambda use: (use.source_column, use.target_column or "", use.transformation or ""))


@hookimpl
def register_node_types() -> list[type[NodeType[Any]]]:
    return [PostgreSQLNodeType]
