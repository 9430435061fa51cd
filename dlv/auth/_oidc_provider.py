"""The OpenID provider DLV_OIDC_ISSUER names: its discovery document, its signing keys, and
the validation of the tokens it signs (ID tokens of the sign-in flow, and the ID or access
tokens machine clients send as bearer tokens).

Discovery and keys are fetched once and kept. When a token names a key id DLV has not seen,
or its signature does not verify with the key of that id (some providers keep the kid across
a rotation), the keys are fetched again (at most once per ``KEYS_REFETCH_SECONDS``) and the
token checked once more: a provider's key rotation needs no restart of DLV.

JOSE and claim checks are joserfc's; nothing here parses or verifies a JWT by hand.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import httpx
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import errors as jose_errors
from joserfc import jws, jwt
from joserfc.jwk import KeySet
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException, ServiceUnavailableException

from dlv.auth._guards import Principal
from dlv.config import Settings, oidc_groups

# Asymmetric algorithms only: an HS256 token would be checked with the client secret, which
# every client of the provider knows.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
HTTP_TIMEOUT = httpx.Timeout(5.0, connect=3.0)
KEYS_REFETCH_SECONDS = 5.0
# Clocks of DLV and the provider may differ by this much.
LEEWAY_SECONDS = 30


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered nonsense; the message says which."""


class InvalidOidcToken(Exception):
    """The token is expired, forged or meant for someone else; the message says which."""


class CodeRefused(Exception):
    """The provider would not exchange the sign-in code (its OAuth2 error is the message)."""


class OidcProvider:
    """One per app (``app.state.oidc``, None without DLV_OIDC_ISSUER)."""

    def __init__(self, settings: Settings) -> None:
        self.issuer = (settings.oidc_issuer or "").rstrip("/")
        self.client_id = settings.oidc_client_id or ""
        self.client_secret = settings.oidc_client_secret
        self.scopes = settings.oidc_scopes
        self.audiences = [a for a in (settings.oidc_audience, self.client_id) if a]
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._keys_fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
                response = await client.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"the identity provider did not answer ({what} at {url}: {type(exc).__name__})") from None
        if response.status_code != 200:
            raise ProviderUnavailable(f"the identity provider answered {response.status_code} for its {what} at {url}")
        try:
            document = response.json()
        except ValueError:
            raise ProviderUnavailable(f"the identity provider's {what} at {url} is not JSON") from None
        if not isinstance(document, dict):
            raise ProviderUnavailable(f"the identity provider's {what} at {url} is not a JSON object")
        return document

    async def metadata(self) -> dict[str, Any]:
        """The discovery document (fetched once; a failed fetch is retried on the next call)."""
        if self._metadata is None:
            document = await self._get_json(f"{self.issuer}/.well-known/openid-configuration", "discovery document")
            if str(document.get("issuer", "")).rstrip("/") != self.issuer:
                raise ProviderUnavailable(
                    f"the discovery document names issuer {document.get('issuer')!r}, not DLV_OIDC_ISSUER {self.issuer!r}"
                )
            missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not document.get(k)]
            if missing:
                raise ProviderUnavailable(f"the discovery document has no {', '.join(missing)}")
            self._metadata = document
        return self._metadata

    async def authorization_url(self, redirect_uri: str, state: str, nonce: str, code_verifier: str) -> str:
        """Where the browser signs in: authorization code flow with PKCE (S256), state and nonce."""
        return prepare_grant_uri(
            (await self.metadata())["authorization_endpoint"], self.client_id, "code", redirect_uri=redirect_uri, scope=self.scopes,
            state=state, nonce=nonce, code_challenge=create_s256_code_challenge(code_verifier), code_challenge_method="S256",
        )

    async def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> dict[str, Any]:
        """The provider's token response for a sign-in code (with the client secret when there is one)."""
        url = (await self.metadata())["token_endpoint"]
        body = prepare_token_request("authorization_code", code=code, redirect_uri=redirect_uri, code_verifier=code_verifier)
        method = "client_secret_basic" if self.client_secret else "none"
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        url, headers, body = ClientAuth(self.client_id, self.client_secret, method).prepare("POST", url, headers, body)
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
                response = await client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"the identity provider did not answer (token endpoint: {type(exc).__name__})") from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise ProviderUnavailable(f"the identity provider's token endpoint answered {response.status_code} without JSON")
        if response.status_code != 200 or "error" in answer:
            raise CodeRefused(str(answer.get("error_description") or answer.get("error") or response.status_code))
        return answer

    async def _refresh_keys(self, *, force: bool) -> KeySet:
        async with self._lock:
            stale = time.monotonic() - self._keys_fetched_at > KEYS_REFETCH_SECONDS
            if self._keys is None or (force and stale):
                document = await self._get_json((await self.metadata())["jwks_uri"], "signing keys (JWKS)")
                try:
                    keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
                except (jose_errors.JoseError, ValueError, TypeError, KeyError):
                    raise ProviderUnavailable("the identity provider's signing keys (JWKS) cannot be read") from None
                self._keys, self._keys_fetched_at = keys, time.monotonic()
            return self._keys

    async def _decode(self, token: str) -> dict[str, Any]:
        """Signature check, fetching the keys again once if they may have rotated."""
        keys = await self._refresh_keys(force=False)
        for attempt in range(2):
            try:
                return dict(jwt.decode(token, keys, algorithms=ALGORITHMS).claims)
            except (jose_errors.BadSignatureError, jose_errors.MissingKeyError, jose_errors.InvalidKeyIdError) as exc:
                if attempt == 1:
                    raise InvalidOidcToken("its signature does not verify with the identity provider's keys") from exc
                keys = await self._refresh_keys(force=True)
            except (jose_errors.JoseError, ValueError, TypeError) as exc:
                raise InvalidOidcToken(f"it is not a signed token DLV can read ({exc.__class__.__name__})") from None
        raise AssertionError("unreachable")

    async def validate(self, token: str, *, nonce: str | None = None) -> dict[str, Any]:
        """The token's claims once signature, issuer, audience, expiry (and nonce) check out."""
        claims = await self._decode(token)
        # Exactly as the provider spells it (some end it with a slash, which the setting may not).
        issuer = (await self.metadata())["issuer"]
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "values": self.audiences},
            "exp": {"essential": True},
            "sub": {"essential": True},
        }
        if nonce is not None:
            options["nonce"] = {"essential": True, "value": nonce}
        try:
            jwt.JWTClaimsRegistry(leeway=LEEWAY_SECONDS, **options).validate(claims)
        except jose_errors.ExpiredTokenError:
            raise InvalidOidcToken("it has expired") from None
        except jose_errors.InvalidClaimError as exc:
            raise InvalidOidcToken(f"its {exc.claim!r} claim is wrong{_expected(exc.claim, self)}") from None
        except jose_errors.MissingClaimError as exc:
            raise InvalidOidcToken(f"it has no {exc.claim!r} claim") from None
        except jose_errors.JoseError as exc:
            raise InvalidOidcToken(f"it is not valid ({exc.__class__.__name__})") from None
        return claims


def _expected(claim: str, provider: OidcProvider) -> str:
    if claim == "iss":
        return f" (DLV accepts tokens of {provider.issuer})"
    if claim == "aud":
        return f" (DLV accepts the audience {' or '.join(provider.audiences)})"
    return ""


def role_for(claims: dict[str, Any], settings: Settings) -> str | None:
    """admin or viewer from the groups claim (admin wins), None when no group matches."""
    raw = claims.get(settings.oidc_groups_claim)
    groups = {raw} if isinstance(raw, str) else {str(g) for g in raw} if isinstance(raw, list) else set()
    if groups & set(oidc_groups(settings.oidc_admin_groups)):
        return "admin"
    if groups & set(oidc_groups(settings.oidc_viewer_groups)):
        return "viewer"
    return None


def refusal(settings: Settings) -> str:
    """Why a signed-in person without a matching group is turned away, and what would work."""
    accepted = oidc_groups(settings.oidc_admin_groups) + oidc_groups(settings.oidc_viewer_groups)
    return (
        f"Your account is in none of the groups DLV accepts in the '{settings.oidc_groups_claim}' claim: "
        f"ask your identity provider's administrator to add you to one of {', '.join(accepted)}."
    )


def is_provider_token(token: str, provider: OidcProvider | None) -> bool:
    """True for a JWT signed with an asymmetric key: DLV's own login tokens are HS256."""
    if provider is None:
        return False
    try:
        header = jws.extract_compact(token.encode()).protected  # unverified: only to route the token
    except (jose_errors.JoseError, ValueError, TypeError, UnicodeError):
        return False
    return header.get("alg") in ALGORITHMS


async def provider_principal(provider: OidcProvider, settings: Settings, token: str) -> Principal:
    """The caller a bearer token of the provider stands for (machine clients, scripts): 401
    when the token is not valid, 403 when none of its groups may use DLV."""
    try:
        claims = await provider.validate(token)
    except InvalidOidcToken as exc:
        raise NotAuthorizedException(f"Not logged in: the identity provider's token was refused: {exc}.") from None
    except ProviderUnavailable as exc:
        raise ServiceUnavailableException(f"Single sign-on is unavailable, so this token cannot be checked: {exc}.") from None
    role = role_for(claims, settings)
    if role is None:
        raise PermissionDeniedException(refusal(settings))
    name = next((claims[c] for c in ("preferred_username", "email", "azp", "client_id", "sub") if isinstance(claims.get(c), str)), "")
    # A stable id per identity, so that the audit log and /api/auth/me can name the caller.
    identity = uuid5(NAMESPACE_URL, f"{provider.issuer}#{claims['sub']}")
    return Principal(id=str(identity), name=name, role=role, kind="oidc")
