"""The Litestar application: ``create_app()`` assembles everything through one init plugin."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, OAuthFlow, OAuthFlows, SecurityScheme
from litestar.plugins import InitPluginProtocol
from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)

from dlv import __version__
from dlv.api_docs import render_plugins, swagger_assets
from dlv.alerts import AlertEventController, AlertsPlugin, ChannelController, RuleController
from dlv.audit import AuditActorMiddleware, AuditController
from dlv.auth import AuthController, BearerAuthMiddleware, OidcController, OidcProvider, TokenController, UserController
from dlv.config import Settings, load_settings
from dlv.dashboards import DashboardController
from dlv.events import EventBroker, EventController, redis_events
from dlv.db.models import metadata
from dlv.graph import OUTBOX_FLAG, TraversalGate, neo4j_lifespan
from dlv.health import health
from dlv.history import HistoryController
from dlv.lib.exceptions import BadRequest, exception_handlers
from dlv.lib.gc_tuning import restore_defaults, tune_for_serving
from dlv.lib.http_policy import add_security_headers, body_too_large_handler, cors_config
from dlv.lib.input_policy import check_input
from dlv.lineage import lineage_routes
from dlv.marquez import MARQUEZ_CONTROLLERS, keep_slashes
from dlv.openlineage import IngestWriter, OpenLineageController
from dlv.ui import ui_router
from dlv.nodes import Connectors, HealthChecksPlugin, NodeController, NodeTypeController
from dlv.observability import SESSION_KEY, Metrics, configure_logging, metrics_endpoint, observe_requests
from dlv.dbt import dbt_routes


def alchemy_config(settings: Settings, metrics: Metrics | None = None) -> SQLAlchemyAsyncConfig:
    # hide_parameters: a failed statement's message (logged, and chained into tracebacks)
    # must not carry its values: they include secrets and users' data.
    engine = EngineConfig(pool_pre_ping=True, hide_parameters=True) if not settings.is_sqlite else EngineConfig(hide_parameters=True)
    return SQLAlchemyAsyncConfig(
        connection_string=settings.database_url,
        metadata=metadata,
        engine_config=engine,
        # With Neo4j configured, every session records lineage edge changes in the graph
        # outbox (dlv.graph._outbox) in the same transaction as the change itself. The app's
        # metrics ride along for code that has a session but no app (dlv.observability).
        session_config=AsyncSessionConfig(
            expire_on_commit=False,
            info={OUTBOX_FLAG: bool(settings.neo4j_uri), SESSION_KEY: metrics},
        ),
        before_send_handler="autocommit",
        create_all=False,
        set_default_exception_handler=False,
    )


# List endpoints page with ?pageSize=&currentPage= (advanced-alchemy's filters, which set
# no upper bound): cap them so a request cannot ask for everything at once or overflow the
# database's OFFSET.
MAX_PAGE_SIZE = 1000
MAX_CURRENT_PAGE = 1_000_000
# advanced-alchemy's ?orderBy= accepts any column; ordering by a hash or a ciphertext would
# leak something about it, one comparison at a time.
UNSORTABLE_COLUMNS = frozenset({"password_hash", "token_hash", "encrypted_secrets"})


async def check_request(request: Request[Any, Any, Any]) -> None:
    """``before_request`` on every route; a coroutine because Litestar runs a plain function
    hook in a worker thread (a thread hop per request, a tenth of an ingesting worker's CPU)."""
    await check_input(request)
    cap_pagination(request)


def cap_pagination(request: Request[Any, Any, Any]) -> None:
    for name, cap in (("pageSize", MAX_PAGE_SIZE), ("currentPage", MAX_CURRENT_PAGE)):
        raw = request.query_params.get(name)
        if raw is not None and raw.strip().isdigit() and int(raw) > cap:
            raise BadRequest(f"{name}={raw} is too large: send at most {cap}.", field=name, source="query")
    order_by = request.query_params.get("orderBy")
    if order_by is not None and order_by.strip().lower() in UNSORTABLE_COLUMNS:
        raise BadRequest(f"orderBy={order_by} is not allowed: sort by a visible field such as name or created_at.", field="orderBy", source="query")


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="DLV",
        version=__version__,
        description="Data lineage: catalog, lineage graph, impact analysis and OpenLineage ingestion.",
        path="/schema",
        render_plugins=render_plugins(),
        components=Components(
            security_schemes={
                "login": SecurityScheme(
                    type="oauth2",
                    description="Log in with a DLV username and password.",
                    flows=OAuthFlows(password=OAuthFlow(token_url="/api/auth/login")),
                ),
                "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT or DLV API token"),
            }
        ),
        security=[{"login": []}, {"bearer": []}],
    )


def _constant(value: Any) -> Provide:
    def provide() -> Any:
        return value

    return Provide(provide, sync_to_thread=False, use_cache=True)


def app_dependencies(settings: Settings, connectors: Connectors, events: EventBroker, writer: IngestWriter, metrics: Metrics) -> dict[str, Provide]:
    """The process-wide objects every handler may declare by name and type (settings,
    connector registry, event broker, OpenLineage writer, metrics, the traversal gate) instead
    of reading ``app.state``; as litestar-fullstack's ``_configure_dependencies``. Request-scoped
    ones (services, the lineage graph) come from each domain's ``deps``."""
    gate = TraversalGate(settings.graph_max_concurrent, settings.graph_max_concurrent_per_caller, settings.graph_queue_seconds)
    provided = {
        "settings": settings, "connectors": connectors, "events": events, "ingest_writer": writer, "metrics": metrics, "graph_gate": gate,
    }
    return {name: _constant(value) for name, value in provided.items()}


class CorePlugin(InitPluginProtocol):
    """Wires DLV's routes, database, auth, OpenAPI and error handling into the app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        metrics = Metrics()
        alchemy = alchemy_config(self.settings, metrics)
        app_config.plugins.append(SQLAlchemyPlugin(config=alchemy))
        # After SQLAlchemy, so scheduled checks stop before the database engine is disposed.
        app_config.plugins.append(HealthChecksPlugin())
        app_config.plugins.append(AlertsPlugin())
        connectors = Connectors.from_settings(self.settings)
        # One broker per process: SSE subscribers of this process hear changes made in it (and,
        # with DLV_REDIS_URL, in every other process).
        events = EventBroker()
        writer = IngestWriter(alchemy, events)
        # Lifespans and middleware (which get the app, not a handler's dependencies) read these.
        app_config.state = State(
            {"settings": self.settings, "alchemy": alchemy, "connectors": connectors, "events": events, "metrics": metrics, "ingest_writer": writer}
        )
        app_config.state["oidc"] = OidcProvider(self.settings) if self.settings.oidc_issuer else None
        app_config.dependencies.update(app_dependencies(self.settings, connectors, events, writer, metrics))
        app_config.route_handlers.extend([health, metrics_endpoint, AuthController, UserController, *lineage_routes(self.settings.bulk_max_body_bytes)])
        app_config.route_handlers.extend([TokenController, OpenLineageController])
        app_config.route_handlers.extend([NodeTypeController, NodeController])
        app_config.route_handlers.extend([DashboardController, EventController, ui_router()])
        app_config.route_handlers.extend([AuditController, HistoryController, swagger_assets()])
        app_config.route_handlers.extend(MARQUEZ_CONTROLLERS)
        app_config.route_handlers.extend([ChannelController, RuleController, AlertEventController])
        app_config.route_handlers.extend(dbt_routes(self.settings.bulk_max_body_bytes))
        app_config.route_handlers.append(OidcController)
        if self.settings.redis_url:
            # Before the scheduler's lifespan, so the relay outlives every scheduled publisher.
            app_config.lifespan.append(redis_events)
        if self.settings.neo4j_uri:
            app_config.lifespan.append(neo4j_lifespan)
        if self.settings.kafka_consume:
            from dlv.kafka import kafka_lifespan

            app_config.lifespan.append(kafka_lifespan)
        app_config.middleware.insert(0, DefineMiddleware(BearerAuthMiddleware))
        # After authentication: the caller it found becomes the actor of the audit log.
        app_config.middleware.insert(1, AuditActorMiddleware())
        app_config.cors_config = cors_config(self.settings)
        app_config.before_send.append(add_security_headers)
        app_config.exception_handlers.update(exception_handlers)
        app_config.exception_handlers[RequestEntityTooLarge] = body_too_large_handler
        app_config.before_request = check_request
        app_config.on_startup.append(tune_for_serving)
        app_config.on_shutdown.append(restore_defaults)
        app_config.openapi_config = openapi_config()
        app_config.debug = False
        # Logging is DLV's (dlv.observability, set up in create_app): Litestar's default config
        # would replace the root handler with its own plain-text one. DLV's exception handlers
        # log server errors themselves.
        app_config.logging_config = None
        return app_config


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    # Here rather than only in `dlv serve`: uvicorn's worker and reload processes build the
    # app through this factory in a fresh interpreter.
    configure_logging(settings.log_level, settings.log_format)
    # The app-wide body limit is a constructor argument: Litestar ignores it when set by a plugin.
    app = Litestar(plugins=[CorePlugin(settings)], request_max_body_size=settings.max_body_bytes)
    # Inside request observation, so a request is logged with the path its client sent.
    app.asgi_handler = keep_slashes(app.asgi_handler)
    observe_requests(app, app.state.metrics)
    return app
