"""API token administration: create (value shown once), list, revoke."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from advanced_alchemy.extensions.litestar.providers import FilterTypes, create_service_dependencies
from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, SkipValidation

from dlv.auth._api_tokens import ApiTokenService
from dlv.auth._guards import Principal, requires_admin
from dlv.auth._schemas import TokenCreate, TokenCreated, TokenRead


class TokenController(Controller):
    path = "/api/tokens"
    tags = ["tokens"]
    guards = [requires_admin]
    dependencies = create_service_dependencies(
        ApiTokenService,
        key="tokens",
        filters={
            "id_filter": UUID,
            "pagination_type": "limit_offset",
            "pagination_size": 50,
            "search": "name",
            "sort_field": "created_at",
            "sort_order": "desc",
        },
    )

    @get("/", summary="List API tokens (never their values)")
    async def list_tokens(
        self,
        tokens: NamedDependency[ApiTokenService],
        filters: NamedDependency[SkipValidation[list[FilterTypes]]],
        include_revoked: FromQuery[bool] = False,
    ) -> OffsetPagination[TokenRead]:
        live = {} if include_revoked else {"revoked_at": None}
        results, total = await tokens.get_many_and_count(*filters, **live)
        return tokens.to_schema(results, total, filters=filters, schema_type=TokenRead)

    @post("/", summary="Create an API token; the answer is the only time its value is shown")
    async def create_token(
        self, request: Request[Principal, Any, Any], tokens: NamedDependency[ApiTokenService], data: JSONBody[TokenCreate]
    ) -> TokenCreated:
        """Send it as `Authorization: Bearer <token>` (OpenLineage clients: `OPENLINEAGE_API_KEY`)."""
        creator = UUID(request.user.id) if request.user.kind == "user" else None
        token, value = await tokens.issue(data.name, data.role, created_by=creator, expires_in_days=data.expires_in_days)
        read = tokens.to_schema(token, schema_type=TokenRead)
        return TokenCreated(**{field: getattr(read, field) for field in TokenRead.__struct_fields__}, token=value)

    @get("/{token_id:uuid}", summary="One API token")
    async def get_token(self, tokens: NamedDependency[ApiTokenService], token_id: FromPath[UUID]) -> TokenRead:
        return tokens.to_schema(await tokens.get(token_id), schema_type=TokenRead)

    @delete("/{token_id:uuid}", summary="Revoke an API token (it stops working at once)")
    async def revoke_token(self, tokens: NamedDependency[ApiTokenService], token_id: FromPath[UUID]) -> None:
        await tokens.revoke(token_id)
