"""Error responses in the OpenAPI document: every status DLV really answers, documented once
here instead of on each handler.

Litestar documents a handler's success and, for handlers with parameters, a 400 in its own
shape. DLV answers errors as RFC 9457 problem details (dlv.lib.exceptions), and some
statuses come from layers no handler sees: authentication (401), guards (403), the input
checks at the edge (400 on any route), body limits (413), the database (503). Each
operation gets those it can really answer, as a ``Problem``; what a handler documents
itself is kept.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.routes import HTTPRoute

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem: what was wrong and what to send instead.",
    "required": ["type", "status", "title", "detail"],
    "properties": {
        "type": {"type": "string"},
        "status": {"type": "integer"},
        "title": {"type": "string"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}, "source": {"type": "string"}},
            },
        },
        "limit": {"type": "integer"},
    },
}
DESCRIPTIONS = {
    400: "Invalid input; the detail names the field and what to send instead.",
    401: "Not logged in, or the token is expired, revoked or ended by a password change.",
    403: "Logged in, but this role may not do this.",
    404: "No such item (or route).",
    405: "Not offered here: the detail says what to do instead (Marquez's REST writes: send OpenLineage events).",
    409: "Conflicts with what is stored (a duplicate name, the last admin).",
    413: "The body is larger than this endpoint accepts.",
    429: "Too many failed logins; retry after Retry-After seconds.",
    503: "The database is unavailable or overloaded; retry after Retry-After seconds.",
    504: "The traversal took longer than DLV_GRAPH_QUERY_TIMEOUT_SECONDS; ask for less.",
}
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Marquez's REST writes, which DLV answers 405 (dlv.marquez).
MARQUEZ_WRITES = (
    ("PUT", "/api/v1/namespaces/{namespace}"),
    ("PUT", "/api/v1/sources/{source}"),
    ("PUT", "/api/v1/namespaces/{namespace}/datasets/{dataset}"),
    ("PUT", "/api/v1/namespaces/{namespace}/jobs/{job}"),
    ("POST", "/api/v1/namespaces/{namespace}/jobs/{job}/runs"),
    ("POST", "/api/v1/jobs/runs/{run_id}/{action}"),
    ("PUT", "/api/v1/tags/{tag}"),
)
# Statuses particular to a few operations, by (method, path template).
PARTICULAR: dict[tuple[str, str], tuple[int, ...]] = {
    ("POST", "/api/auth/login"): (401, 429),
    ("GET", "/api/lineage/graph"): (404, 504),
    ("GET", "/api/lineage/impact"): (404, 504),
    ("GET", "/api/lineage/paths"): (404, 504),
    ("POST", "/api/lineage/edges"): (409,),
    ("POST", "/api/lineage/assets"): (409,),
    ("POST", "/api/lineage/processes"): (409,),
    ("POST", "/api/lineage/bulk"): (409,),
    ("POST", "/api/nodes"): (409,),
    ("PATCH", "/api/nodes/{node_id}"): (409,),
    ("POST", "/api/auth/users"): (409,),
    ("POST", "/api/alerts/channels"): (409,),
    ("PATCH", "/api/alerts/channels/{channel_id}"): (409,),
    ("POST", "/api/alerts/rules"): (409,),
    ("PATCH", "/api/alerts/rules/{rule_id}"): (409,),
    ("PATCH", "/api/auth/users/{user_id}"): (409,),
    ("DELETE", "/api/auth/users/{user_id}"): (409,),
    ("GET", "/api/v1/lineage"): (404, 504),
    ("GET", "/api/v1/column-lineage"): (404, 504),
    **{write: (405,) for write in MARQUEZ_WRITES},
    # Single sign-on (dlv.auth): not configured (404), the provider unreachable (503), and the
    # callback's refusals: the provider's or an invalid ID token (401), no accepted group (403).
    ("GET", "/api/auth/oidc/login"): (404,),
    ("GET", "/api/auth/oidc/callback"): (401, 403, 404),
}


def statuses(method: str, route: HTTPRoute, guarded: bool) -> set[int]:
    codes = {400, 503}
    if guarded:
        codes |= {401, 403}
    if method in BODY_METHODS:
        codes.add(413)
    if route.path_parameters:
        codes.add(404)
    codes.update(PARTICULAR.get((method, route.path_format), ()))
    return codes


def _problem(status: int) -> dict[str, Any]:
    return {"description": DESCRIPTIONS[status], "content": {"application/problem+json": {"schema": PROBLEM_REF}}}


def document_responses(schema: dict[str, Any], app: Litestar) -> dict[str, Any]:
    """Add the error responses to ``schema`` (the OpenAPI document as a dict) in place; idempotent."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path_format not in schema.get("paths", {}):
            continue
        item = schema["paths"][route.path_format]
        for handler in route.route_handlers:
            for method in handler.http_methods:
                operation = item.get(method.lower())
                if not isinstance(operation, dict):
                    continue
                responses = operation.setdefault("responses", {})
                for status in statuses(method, route, guarded=bool(handler.resolve_guards())):
                    # Litestar's own 400 has another shape than what DLV answers: replace it.
                    if status == 400 or str(status) not in responses:
                        responses[str(status)] = _problem(status)
    return schema


class DocumentedMixin:
    """For OpenAPI render plugins: the document they render has DLV's error responses."""

    def render(self, request: Any, openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, document_responses(openapi_schema, request.app))  # type: ignore[misc]


class DocumentedJsonRenderPlugin(DocumentedMixin, JsonRenderPlugin):
    """``/schema/openapi.json``."""
