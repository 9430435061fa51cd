"""Login, access tokens, users and the guards every route declares."""

from dlv.auth._controllers import AuthController, UserController
from dlv.auth._guards import PUBLIC_PATHS, Principal, is_public_path, requires_admin, requires_viewer
from dlv.auth._middleware import BearerAuthMiddleware
from dlv.auth._service import UserService

__all__ = [
    "PUBLIC_PATHS",
    "AuthController",
    "BearerAuthMiddleware",
    "Principal",
    "UserController",
    "UserService",
    "is_public_path",
    "requires_admin",
    "requires_viewer",
]
