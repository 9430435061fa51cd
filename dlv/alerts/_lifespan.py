"""The dispatcher runs while this process leads the ``alerts`` duty (dlv.lib.leadership)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol

from dlv.alerts._dispatch import Dispatcher
from dlv.lib.leadership import leading


@asynccontextmanager
async def _dispatching(app: Litestar) -> AsyncIterator[None]:
    dispatcher = Dispatcher(app.state.alchemy.create_session_maker(), app.state.settings)
    app.state.alert_dispatcher = dispatcher
    async with leading(app, "alerts", dispatcher.running):
        yield


class AlertsPlugin(InitPluginProtocol):
    """Added after the SQLAlchemy plugin, so the dispatcher stops before the engine is disposed."""

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.lifespan.append(_dispatching)
        return app_config
