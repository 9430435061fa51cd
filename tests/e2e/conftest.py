"""A live `dlv serve` with the built UI, a seeded lineage and headless Debian Chromium.

The UI is built by `make test` (its `ui` prerequisite); these fixtures never build it. When
dlv/static is missing the browser tests skip with the reason, except under CI, where a
missing build is a failure.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.e2e.lineage_data import orders_pipeline
from tests.services.postgres import PostgresServer, free_port
from tests.services.processes import stop

REPO = Path(__file__).resolve().parents[2]
STATIC_INDEX = REPO / "dlv" / "static" / "index.html"
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
ADMIN_PASSWORD = "e2e-first-console-key"
VIEWER_PASSWORD = "e2e-second-console-key"


def _require_prerequisites() -> None:
    problems = []
    if not STATIC_INDEX.is_file():
        problems.append("the UI is not built (dlv/static/index.html is missing; run `make ui`)")
    if not Path(CHROMIUM).exists():
        problems.append(f"Chromium is not installed at {CHROMIUM} (`make test` installs Debian's chromium)")
    if not problems:
        return
    reason = "Browser tests need " + " and ".join(problems) + "."
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


class LiveServer:
    def __init__(self, base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.base_url = base_url
        self.process = process
        self.log = log

    def api(self, username: str = "admin", password: str = ADMIN_PASSWORD) -> closing[httpx.Client]:
        """A logged-in API client, for setting up what a test needs; use it in a `with`."""
        client = httpx.Client(base_url=self.base_url, timeout=30)
        token = client.post("/api/auth/login", json={"username": username, "password": password}).raise_for_status().json()
        client.headers["Authorization"] = f"Bearer {token['access_token']}"
        return closing(client)


# Module scope: the server and the browser go away before other test modules run. Sync
# Playwright keeps an event loop running on this thread while it is open, which would
# break later tests that call asyncio.run() (migrations, for one).
@pytest.fixture(scope="module")
def live_server_env() -> dict[str, str]:
    """More DLV_* settings for a module's server (a module overrides this fixture)."""
    return {}


@pytest.fixture(scope="module")
def live_server(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, live_server_env: dict[str, str]
) -> Iterator[LiveServer]:
    _require_prerequisites()
    data_dir = tmp_path_factory.mktemp("dlv-e2e")
    port = free_port()
    env = {
        **os.environ,
        "DLV_DATA_DIR": str(data_dir),
        # One database per test module: each module gets its own server and lineage.
        "DLV_DATABASE_URL": postgres_server.create_database(f"dlv_e2e_{request.module.__name__.rsplit('.', 1)[-1]}"),
        "DLV_SECRET_KEY": secrets.token_urlsafe(48),
        "DLV_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "DLV_HOST": "127.0.0.1",
        "DLV_PORT": str(port),
        "DLV_LOG_LEVEL": "WARNING",
        **live_server_env,
    }
    env.pop("DLV_NEO4J_URI", None)
    log = data_dir / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "dlv.cli", "serve"], env=env, stdout=output, stderr=subprocess.STDOUT, cwd=REPO)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"dlv serve did not start:\n{log.read_text()[-3000:]}", pytrace=False)
        time.sleep(0.2)
    server = LiveServer(base_url, process, log)
    try:
        with server.api() as api:
            api.post("/api/lineage/bulk", json=orders_pipeline()).raise_for_status()
        yield server
    finally:
        stop(process, timeout=10)


@pytest.fixture(scope="module")
def browser(live_server: LiveServer):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, live_server: LiveServer, request: pytest.FixtureRequest):
    """A fresh browser context per test (own session storage), failing on page errors and CSP violations."""
    context = browser.new_context(base_url=live_server.base_url, viewport={"width": 1440, "height": 900}, accept_downloads=True)
    context.set_default_timeout(10_000)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    opened.on(
        "console",
        lambda message: problems.append(f"console: {message.text}")
        if message.type == "error" and "Content Security Policy" in message.text
        else None,
    )
    yield opened
    # The last screen of every test, to look at when one fails.
    screenshot(opened, f"last-{request.node.name}")
    context.close()
    assert problems == []


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def log_in(page, username: str, password: str, path: str = "/") -> None:
    page.goto(path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_test_id("user-name").wait_for()
