"""The API's documentation page, ``/schema/swagger`` (also ``/schema``), working offline.

Litestar's Swagger page loads Swagger UI from a CDN: a blank page on an air-gapped install,
which is where a self-hosted tool lives. DLV serves the same files itself, from the
``swagger-ui-py`` package (pinned in uv.lock), at ``/schema/assets/``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

from dlv.lib.openapi_responses import DocumentedJsonRenderPlugin, DocumentedMixin

ASSETS_PATH = "/schema/assets"


def swagger_ui_dir() -> Path:
    """Where the installed swagger-ui-py keeps Swagger UI's dist files (without importing it)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed; it is a dependency of DLV: reinstall DLV.")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


class DocumentedSwaggerRenderPlugin(DocumentedMixin, SwaggerRenderPlugin):
    """The Swagger page, showing DLV's error responses too."""


def render_plugins() -> list[SwaggerRenderPlugin | DocumentedJsonRenderPlugin]:
    """Swagger UI (the default page at /schema) and /schema/openapi.json."""
    return [swagger_plugin(), DocumentedJsonRenderPlugin()]


def swagger_plugin() -> SwaggerRenderPlugin:
    return DocumentedSwaggerRenderPlugin(
        js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        css_url=f"{ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
        oauth2_redirect_url=f"{ASSETS_PATH}/oauth2-redirect.html",
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/favicon-32x32.png'>",
    )


def swagger_assets() -> Router:
    return create_static_files_router(
        path=ASSETS_PATH, directories=[swagger_ui_dir()], include_in_schema=False, name="swagger-assets"
    )
