"""Who may call what, for every route of the app: the table below is the access policy a
security reviewer reads; the test proves the running app enforces exactly it.

Each (method, route template) maps to the expected outcome for
(anonymous, viewer login, admin login, ingest API token):
  "401" not authenticated, "403" authenticated but not allowed,
  "ok"  the guard let the request through (any status except 401/403: a 404 for a random
        id or a 400 for the minimal body still proves access was granted).
A route that is not in the table fails the test: a new route needs a deliberate decision.
"""

from __future__ import annotations

import re
from uuid import uuid4

from litestar import Litestar
from litestar.routes import HTTPRoute

from tests.integration.hardening.conftest import Client, issue_api_token

CALLERS = ("anonymous", "viewer", "admin", "ingest")

PUBLIC = ("ok", "ok", "ok", "ok")
READ = ("401", "ok", "ok", "403")  # every logged-in user reads; an ingest token reads nothing
ADMIN = ("401", "403", "ok", "403")
INGEST = ("401", "403", "ok", "ok")  # OpenLineage events: admins and ingest tokens only

EXPECTED: dict[tuple[str, str], tuple[str, str, str, str]] = {
    ("GET", "/health"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("POST", "/api/auth/login"): PUBLIC,
    ("GET", "/api/auth/me"): READ,
    ("GET", "/api/auth/users"): ADMIN,
    ("POST", "/api/auth/users"): ADMIN,
    ("GET", "/api/auth/users/{user_id:uuid}"): ADMIN,
    ("PATCH", "/api/auth/users/{user_id:uuid}"): ADMIN,
    ("DELETE", "/api/auth/users/{user_id:uuid}"): ADMIN,
    ("GET", "/api/tokens"): ADMIN,
    ("POST", "/api/tokens"): ADMIN,
    ("GET", "/api/tokens/{token_id:uuid}"): ADMIN,
    ("DELETE", "/api/tokens/{token_id:uuid}"): ADMIN,
    ("GET", "/api/lineage/assets"): READ,
    ("POST", "/api/lineage/assets"): ADMIN,
    ("GET", "/api/lineage/assets/{asset_id:uuid}"): READ,
    ("PATCH", "/api/lineage/assets/{asset_id:uuid}"): ADMIN,
    ("DELETE", "/api/lineage/assets/{asset_id:uuid}"): ADMIN,
    ("GET", "/api/lineage/processes"): READ,
    ("POST", "/api/lineage/processes"): ADMIN,
    ("GET", "/api/lineage/processes/{process_id:uuid}"): READ,
    ("PATCH", "/api/lineage/processes/{process_id:uuid}"): ADMIN,
    ("DELETE", "/api/lineage/processes/{process_id:uuid}"): ADMIN,
    ("GET", "/api/lineage/edges"): READ,
    ("POST", "/api/lineage/edges"): ADMIN,
    ("GET", "/api/lineage/edges/{edge_id:uuid}"): READ,
    ("PATCH", "/api/lineage/edges/{edge_id:uuid}"): ADMIN,
    ("DELETE", "/api/lineage/edges/{edge_id:uuid}"): ADMIN,
    ("POST", "/api/lineage/bulk"): ADMIN,
    ("GET", "/api/lineage/graph"): READ,
    ("GET", "/api/lineage/processes/{process_id:uuid}/runs"): READ,
    ("GET", "/api/lineage/runs/{run_id:str}"): READ,
    ("GET", "/api/lineage/assets/{asset_id:uuid}/versions"): READ,
    ("GET", "/api/lineage/assets/{asset_id:uuid}/versions/diff"): READ,
    ("GET", "/api/lineage/impact"): READ,
    ("GET", "/api/lineage/paths"): READ,
    ("GET", "/api/search"): READ,
    ("POST", "/api/v1/lineage"): INGEST,
    ("GET", "/api/v1/events/lineage"): READ,
    ("GET", "/api/events"): READ,
    # The Marquez-compatible API (dlv.marquez): reads for every logged-in user, tags for admins;
    # Marquez's REST writes answer 405 to anyone logged in (lineage comes from OpenLineage events).
    ("GET", "/api/v1/namespaces"): READ,
    ("GET", "/api/v1/namespaces/{namespace:str}"): READ,
    ("GET", "/api/v1/sources"): READ,
    ("GET", "/api/v1/sources/{source:str}"): READ,
    ("GET", "/api/v1/namespaces/{namespace:str}/datasets"): READ,
    ("GET", "/api/v1/namespaces/{namespace:str}/datasets/{dataset:str}"): READ,
    ("GET", "/api/v1/namespaces/{namespace:str}/datasets/{dataset:str}/versions"): READ,
    ("GET", "/api/v1/namespaces/{namespace:str}/datasets/{dataset:str}/versions/{version:uuid}"): READ,
    ("POST", "/api/v1/namespaces/{namespace:str}/datasets/{dataset:str}/tags/{tag:str}"): ADMIN,
    ("DELETE", "/api/v1/namespaces/{namespace:str}/datasets/{dataset:str}/tags/{tag:str}"): ADMIN,
    ("POST", "/api/v1/namespaces/{namespace:str}/datasets/{dataset:str}/fields/{field:str}/tags/{tag:str}"): ADMIN,
    ("DELETE", "/api/v1/namespaces/{namespace:str}/datasets/{dataset:str}/fields/{field:str}/tags/{tag:str}"): ADMIN,
    ("GET", "/api/v1/namespaces/{namespace:str}/jobs"): READ,
    ("GET", "/api/v1/namespaces/{namespace:str}/jobs/{job:str}"): READ,
    ("GET", "/api/v1/namespaces/{namespace:str}/jobs/{job:str}/runs"): READ,
    ("GET", "/api/v1/jobs"): READ,
    ("GET", "/api/v1/jobs/runs/{run_id:str}"): READ,
    ("GET", "/api/v1/jobs/runs/{run_id:str}/facets"): READ,
    ("GET", "/api/v1/lineage"): READ,
    ("GET", "/api/v1/column-lineage"): READ,
    ("GET", "/api/v1/search"): READ,
    ("GET", "/api/v1/tags"): READ,
    ("GET", "/api/v1/stats/lineage-events"): READ,
    ("PUT", "/api/v1/namespaces/{namespace:str}"): READ,
    ("PUT", "/api/v1/sources/{source:str}"): READ,
    ("PUT", "/api/v1/namespaces/{namespace:str}/datasets/{dataset:str}"): READ,
    ("PUT", "/api/v1/namespaces/{namespace:str}/jobs/{job:str}"): READ,
    ("POST", "/api/v1/namespaces/{namespace:str}/jobs/{job:str}/runs"): READ,
    ("POST", "/api/v1/jobs/runs/{run_id:str}/{action:str}"): READ,
    ("PUT", "/api/v1/tags/{tag:str}"): READ,
    ("GET", "/api/node-types"): READ,
    ("GET", "/api/nodes"): READ,
    ("POST", "/api/nodes"): ADMIN,
    ("GET", "/api/nodes/{node_id:uuid}"): READ,
    ("PATCH", "/api/nodes/{node_id:uuid}"): ADMIN,
    ("DELETE", "/api/nodes/{node_id:uuid}"): ADMIN,
    ("GET", "/api/nodes/{node_id:uuid}/checks"): READ,
    ("POST", "/api/nodes/test"): ADMIN,
    ("POST", "/api/nodes/{node_id:uuid}/test"): ADMIN,
    ("POST", "/api/nodes/{node_id:uuid}/discover"): ADMIN,
    ("GET", "/api/dashboards"): READ,
    ("POST", "/api/dashboards"): ADMIN,
    ("GET", "/api/dashboards/{dashboard_id:uuid}"): READ,
    ("PATCH", "/api/dashboards/{dashboard_id:uuid}"): ADMIN,
    ("DELETE", "/api/dashboards/{dashboard_id:uuid}"): ADMIN,
    ("GET", "/api/audit"): ADMIN,
    # Channels say where alerts go (and hold their secrets): admins only. Rules and fired
    # alerts are read by everyone who reads lineage.
    ("GET", "/api/alerts/channels"): ADMIN,
    ("POST", "/api/alerts/channels"): ADMIN,
    ("GET", "/api/alerts/channels/{channel_id:uuid}"): ADMIN,
    ("PATCH", "/api/alerts/channels/{channel_id:uuid}"): ADMIN,
    ("DELETE", "/api/alerts/channels/{channel_id:uuid}"): ADMIN,
    ("GET", "/api/alerts/rules"): READ,
    ("POST", "/api/alerts/rules"): ADMIN,
    ("GET", "/api/alerts/rules/{rule_id:uuid}"): READ,
    ("PATCH", "/api/alerts/rules/{rule_id:uuid}"): ADMIN,
    ("DELETE", "/api/alerts/rules/{rule_id:uuid}"): ADMIN,
    ("GET", "/api/alerts/events"): READ,
    ("GET", "/api/alerts/open"): READ,
    ("POST", "/api/alerts/events/{alert_id:uuid}/resolve"): ADMIN,
    ("POST", "/api/import/dbt"): ADMIN,
    # The UI shell and its static files are public; the data they show comes from the API.
    ("GET", "/"): PUBLIC,
    ("GET", "/ui"): PUBLIC,
    ("GET", "/ui/{path:path}"): PUBLIC,
    ("GET", "/assets/{file_path:path}"): PUBLIC,
    ("HEAD", "/assets/{file_path:path}"): PUBLIC,
    # Single sign-on: the login page's choices and the OpenID Connect flow (404 here: not configured).
    ("GET", "/api/auth/providers"): PUBLIC,
    ("GET", "/api/auth/oidc/login"): PUBLIC,
    ("GET", "/api/auth/oidc/callback"): PUBLIC,
    ("GET", "/api/auth/oidc/logout"): PUBLIC,
}

# Routes whose successful answer is an endless stream (Server-Sent Events). The in-process
# client waits for a whole response, so only the refusals (which come back at once) are
# checked here; tests/integration/events opens the stream as a viewer over a real server.
STREAMS = {("GET", "/api/events")}

_PATH_PARAM = re.compile(r"\{\w+:\w+\}")


def route_table(app: Litestar) -> list[tuple[str, str]]:
    """Every (method, route template) the app answers, minus the automatic ones."""
    table = []
    for route in app.routes:
        assert isinstance(route, HTTPRoute), f"{route.path} is not an HTTP route; decide its access policy in this test"
        if route.path == "/schema" or route.path.startswith("/schema/"):
            continue  # the OpenAPI document and its viewers: public by design, covered in test_app
        for handler in route.route_handlers:
            # Litestar adds an OPTIONS handler per path to answer CORS preflights.
            for method in sorted(handler.http_methods - {"OPTIONS"}):
                table.append((method, route.path))
    return table


def test_every_route_of_the_app_has_an_access_policy_in_the_table(app: Litestar) -> None:
    routes = set(route_table(app))

    missing = sorted(routes - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - routes)

    assert not missing, f"routes without an entry in EXPECTED (add one): {missing}"
    assert not stale, f"entries in EXPECTED for routes the app no longer has (remove them): {stale}"


def _outcome(status: int) -> str:
    return str(status) if status in (401, 403) else "ok"


async def test_every_route_answers_each_caller_as_the_table_says(client: Client, app: Litestar, admin_headers, viewer_headers) -> None:
    ingest_token = await issue_api_token(client, admin_headers, "ingest")
    headers = {
        "anonymous": {},
        "viewer": viewer_headers,
        "admin": admin_headers,
        "ingest": {"Authorization": f"Bearer {ingest_token}"},
    }
    wrong = []
    checked = 0
    for method, template in route_table(app):
        expected = EXPECTED.get((method, template))
        assert expected is not None, f"{method} {template} has no entry in EXPECTED; add its access policy"
        path = _PATH_PARAM.sub(lambda _: str(uuid4()), template)
        body = {"json": {}} if method in ("POST", "PATCH", "PUT") else {}
        for caller, outcome in zip(CALLERS, expected):
            checked += 1
            if (method, template) in STREAMS and outcome == "ok":
                continue
            response = await client.request(method, path, headers=headers[caller], **body)
            if _outcome(response.status_code) != outcome:
                wrong.append(f"{method} {template} as {caller}: expected {outcome}, got {response.status_code} {response.text[:120]}")
            if response.status_code in (401, 403):
                # Refusals are problem documents that tell the caller what to do.
                assert response.headers["content-type"].startswith("application/problem+json"), (method, path)
                assert response.json()["detail"], (method, path)
    assert not wrong, "\n".join(wrong)
    assert checked == 4 * len(EXPECTED)
