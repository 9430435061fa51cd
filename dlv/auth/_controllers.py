"""Auth endpoints: login, who am I, and user administration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs
from uuid import UUID

import msgspec
from advanced_alchemy.extensions.litestar.providers import FilterTypes, create_service_dependencies
from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, delete, get, patch, post
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.openapi.spec import OpenAPIMediaType
from litestar.openapi.spec import Operation, RequestBody, Schema
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, SkipValidation

from dlv.auth._guards import Principal, requires_admin, requires_viewer
from dlv.auth._schemas import AccessToken, LoginRequest, Me, UserCreate, UserRead, UserUpdate
from dlv.auth._service import UserService
from dlv.auth._tokens import credential_version, issue_access_token
from dlv.auth._throttle import LoginThrottle
from dlv.auth.deps import LOGIN_THROTTLE
from dlv.config import Settings
from dlv.lib.exceptions import BadRequest, TooManyRequests, validation_location

WRONG_CREDENTIALS = "Wrong username or password."

_LOGIN_SCHEMA = Schema(
    type="object",  # type: ignore[arg-type]
    required=["username", "password"],
    properties={"username": Schema(type="string"), "password": Schema(type="string", format="password")},  # type: ignore[arg-type]
)


@dataclass
class LoginOperation(Operation):
    """Documents that login takes JSON or the OAuth2 password form (Swagger's Authorize)."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            content={
                "application/json": OpenAPIMediaType(schema=_LOGIN_SCHEMA),
                "application/x-www-form-urlencoded": OpenAPIMediaType(schema=_LOGIN_SCHEMA),
            },
        )


async def _read_login(request: Request[Any, Any, Any]) -> LoginRequest:
    body = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        form = parse_qs(body.decode("utf-8", errors="replace"))
        missing = [name for name in ("username", "password") if not form.get(name)]
        if missing:
            raise BadRequest(f"Missing form field(s) {', '.join(missing)}: send username and password.", field=missing[0])
        return LoginRequest(username=form["username"][0], password=form["password"][0])
    try:
        return msgspec.json.decode(body, type=LoginRequest)
    except msgspec.ValidationError as exc:
        field = validation_location(exc)[0].removeprefix("$").lstrip(".") or "body"
        raise BadRequest(f"Invalid login body ({exc}): send JSON {{\"username\": \"...\", \"password\": \"...\"}}.", field=field) from None
    except msgspec.DecodeError:
        raise BadRequest(
            "The login body is not valid JSON: send JSON {\"username\": \"...\", \"password\": \"...\"} "
            "or an application/x-www-form-urlencoded form with username and password.",
            field="body",
        ) from None


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]
    dependencies = {**create_service_dependencies(UserService, key="users"), **LOGIN_THROTTLE}

    @post("/login", operation_class=LoginOperation, status_code=200, summary="Log in and get an access token")
    async def login(
        self,
        request: Request[Any, Any, Any],
        users: NamedDependency[UserService],
        settings: NamedDependency[Settings],
        throttle: NamedDependency[LoginThrottle],
    ) -> AccessToken:
        if not settings.local_login:
            raise PermissionDeniedException(
                f"Signing in with a DLV username and password is turned off (DLV_LOCAL_LOGIN=false): sign in with "
                f"{settings.oidc_provider_name} at GET /api/auth/oidc/login, or send a token of the identity provider."
            )
        credentials = await _read_login(request)
        address = request.client.host if request.client else "unknown"
        if (wait := throttle.retry_after(credentials.username, address)) is not None:
            raise TooManyRequests(
                f"Too many failed logins for this user or from this address; retry in {wait} seconds.",
                headers={"Retry-After": str(wait)},
            )
        user = await users.authenticate(credentials.username, credentials.password)
        if user is None:
            throttle.failed(credentials.username, address)
            raise NotAuthorizedException(WRONG_CREDENTIALS)
        throttle.succeeded(credentials.username)
        lifetime = timedelta(minutes=settings.token_lifetime_minutes)
        token = issue_access_token(user.id, settings.secret_key, lifetime, credential_version(user.password_hash))
        return AccessToken(access_token=token, expires_in=int(lifetime.total_seconds()))

    @get("/me", guards=[requires_viewer], summary="The logged-in user")
    async def me(self, request: Request[Principal, Any, Any]) -> Me:
        return Me(id=UUID(request.user.id), username=request.user.name, role=request.user.role)


class UserController(Controller):
    path = "/api/auth/users"
    tags = ["users"]
    guards = [requires_admin]
    dependencies = create_service_dependencies(
        UserService,
        key="users",
        filters={
            "id_filter": UUID,
            "pagination_type": "limit_offset",
            "pagination_size": 50,
            "search": "username",
            "sort_field": "username",
            "sort_order": "asc",
        },
    )

    @get("/", summary="List users")
    async def list_users(
        self, users: NamedDependency[UserService], filters: NamedDependency[SkipValidation[list[FilterTypes]]]
    ) -> OffsetPagination[UserRead]:
        results, total = await users.get_many_and_count(*filters)
        return users.to_schema(results, total, filters=filters, schema_type=UserRead)

    @post("/", summary="Create a user")
    async def create_user(
        self, settings: NamedDependency[Settings], users: NamedDependency[UserService], data: JSONBody[UserCreate]
    ) -> UserRead:
        user = await users.create_user(data.username, data.password, data.role, min_password_length=settings.password_min_length)
        return users.to_schema(user, schema_type=UserRead)

    @get("/{user_id:uuid}", summary="One user")
    async def get_user(self, users: NamedDependency[UserService], user_id: FromPath[UUID]) -> UserRead:
        return users.to_schema(await users.get(user_id), schema_type=UserRead)

    @patch("/{user_id:uuid}", summary="Change role, activate/deactivate, or reset the password")
    async def update_user(
        self,
        settings: NamedDependency[Settings],
        users: NamedDependency[UserService],
        user_id: FromPath[UUID],
        data: JSONBody[UserUpdate],
    ) -> UserRead:
        user = await users.change(
            user_id,
            role=None if data.role is msgspec.UNSET else data.role,
            is_active=None if data.is_active is msgspec.UNSET else data.is_active,
            password=None if data.password is msgspec.UNSET else data.password,
            min_password_length=settings.password_min_length,
        )
        return users.to_schema(user, schema_type=UserRead)

    @delete("/{user_id:uuid}", summary="Delete a user")
    async def delete_user(self, users: NamedDependency[UserService], user_id: FromPath[UUID]) -> None:
        await users.remove(user_id)
