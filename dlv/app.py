"""The Litestar application: ``create_app()`` assembles everything through one init plugin."""

from __future__ import annotations

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, OAuthFlow, OAuthFlows, SecurityScheme
from litestar.plugins import InitPluginProtocol
from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)

from dlv import __version__
from dlv.auth import AuthController, BearerAuthMiddleware, UserController
from dlv.config import Settings, load_settings
from dlv.db.models import metadata
from dlv.health import health
from dlv.lib.exceptions import exception_handlers
from dlv.lineage import LINEAGE_CONTROLLERS


def alchemy_config(settings: Settings) -> SQLAlchemyAsyncConfig:
    engine = EngineConfig(pool_pre_ping=True) if not settings.is_sqlite else EngineConfig()
    return SQLAlchemyAsyncConfig(
        connection_string=settings.database_url,
        metadata=metadata,
        engine_config=engine,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        before_send_handler="autocommit",
        create_all=False,
        set_default_exception_handler=False,
    )


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="DLV",
        version=__version__,
        description="Data lineage: catalog, lineage graph, impact analysis and OpenLineage ingestion.",
        path="/schema",
        render_plugins=[SwaggerRenderPlugin()],
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


class CorePlugin(InitPluginProtocol):
    """Wires DLV's routes, database, auth, OpenAPI and error handling into the app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        alchemy = alchemy_config(self.settings)
        app_config.plugins.append(SQLAlchemyPlugin(config=alchemy))
        app_config.state = State({"settings": self.settings, "alchemy": alchemy})
        app_config.route_handlers.extend([health, AuthController, UserController, *LINEAGE_CONTROLLERS])
        app_config.middleware.insert(0, DefineMiddleware(BearerAuthMiddleware))
        app_config.exception_handlers.update(exception_handlers)
        app_config.openapi_config = openapi_config()
        app_config.debug = False
        return app_config


def create_app(settings: Settings | None = None) -> Litestar:
    return Litestar(plugins=[CorePlugin(settings or load_settings())])
