"""The web UI: the Vite build in ``dlv/static`` served at ``/ui/`` with its assets at ``/assets/``.

Client-side routes live under ``/ui/`` so that every UI path is on auth's short public list
(``/``, ``/ui``, ``/assets/``); any ``/ui/...`` path answers ``index.html`` and the React
router takes over. The API keeps ``/api``, ``/schema`` and ``/health`` untouched.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Response, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

STATIC_DIR = Path(__file__).parent / "static"
UI_PREFIX = "/ui"

# The build has no inline scripts, so scripts come only from our origin. Inline *styles* are
# allowed because React Flow positions nodes and edges with style attributes.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>DLV</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>DLV is running, but its web UI is not built</h1>
<p>Build it with <code>make ui</code> (needs Node.js 20 and npm), then reload this page.
<code>make run</code> builds it for you.</p>
<p>The API works meanwhile: see <a href="/schema">/schema</a>.</p>
</body></html>
"""


async def _add_security_headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def _index_response(static_dir: Path) -> Response[bytes | str]:
    index = static_dir / "index.html"
    if not index.is_file():
        return Response(NOT_BUILT_PAGE, media_type="text/html", status_code=200)
    # Read on every request: the file is small and a rebuild shows without a restart.
    return Response(index.read_bytes(), media_type="text/html", headers={"Cache-Control": "no-cache"})


def ui_router(static_dir: Path = STATIC_DIR) -> Router:
    @get("/", include_in_schema=False, sync_to_thread=False)
    def root() -> Redirect:
        return Redirect(f"{UI_PREFIX}/")

    @get([UI_PREFIX, f"{UI_PREFIX}/{{path:path}}"], include_in_schema=False, sync_to_thread=False)
    def spa() -> Response[bytes | str]:
        return _index_response(static_dir)

    # Vite puts a content hash in every asset name, so browsers may keep them forever.
    assets = create_static_files_router(
        path="/assets",
        directories=[static_dir / "assets"],
        name="ui-assets",
        cache_control=CacheControlHeader(public=True, max_age=31_536_000, immutable=True),
    )
    return Router(path="/", route_handlers=[root, spa, assets], after_request=_add_security_headers, include_in_schema=False)
