"""Login, access tokens, users and the guards every route declares."""

from dlv.auth._api_tokens import ApiTokenService
from dlv.auth._controllers import AuthController, UserController
from dlv.auth._guards import PUBLIC_PATHS, Principal, is_public_path, requires_admin, requires_ingest, requires_viewer
from dlv.auth._middleware import BearerAuthMiddleware
from dlv.auth._oidc_controllers import CALLBACK_PATH as OIDC_CALLBACK_PATH
from dlv.auth._oidc_controllers import OidcController
from dlv.auth._oidc_provider import OidcProvider
from dlv.auth._service import UserService
from dlv.auth._token_controllers import TokenController

__all__ = [
    "OIDC_CALLBACK_PATH",
    "PUBLIC_PATHS",
    "ApiTokenService",
    "AuthController",
    "BearerAuthMiddleware",
    "OidcController",
    "OidcProvider",
    "Principal",
    "TokenController",
    "UserController",
    "UserService",
    "is_public_path",
    "requires_admin",
    "requires_ingest",
    "requires_viewer",
]
