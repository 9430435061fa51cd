"""Encryption of stored secrets (node passwords, tokens, private keys).

A sealed value reads ``dlv1.<key id>.<base64url(nonce || AES-GCM ciphertext)>``:
``dlv1`` names the scheme (HKDF-SHA256 key derivation from ``DLV_SECRET_KEY``, AES-256-GCM),
and the key id says which ``DLV_SECRET_KEY`` sealed it. A box can hold previous keys so a
rotation (``dlv secrets rotate``) reads old values with the old key and re-seals them with
the current one; a value sealed with a key the box does not hold fails with a message
saying so instead of returning garbage.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable
from typing import Any

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SCHEME = "dlv1"
_NONCE_BYTES = 12
# Binds ciphertexts to their purpose: a sealed secret cannot be replayed as another kind of value.
_ASSOCIATED_DATA = b"dlv stored secrets"


class SecretsUnreadable(Exception):
    """A sealed value cannot be opened: wrong key, unknown scheme or tampered data."""


def _derive_key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"dlv/stored-secrets/v1")
    return hkdf.derive(secret_key.encode("utf-8"))


def _key_id(key: bytes) -> str:
    # A fingerprint of the derived key, never of DLV_SECRET_KEY itself.
    return hashlib.sha256(b"dlv key id" + key).hexdigest()[:12]


class SecretBox:
    """Seals and opens JSON-able values with keys derived from ``DLV_SECRET_KEY``."""

    def __init__(self, secret_key: str, previous_keys: Iterable[str] = ()) -> None:
        current = _derive_key(secret_key)
        self.key_id = _key_id(current)
        self._keys = {self.key_id: AESGCM(current)}
        for old in previous_keys:
            derived = _derive_key(old)
            self._keys.setdefault(_key_id(derived), AESGCM(derived))

    def seal(self, value: Any) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        ciphertext = self._keys[self.key_id].encrypt(nonce, msgspec.json.encode(value), _ASSOCIATED_DATA)
        payload = base64.urlsafe_b64encode(nonce + ciphertext).decode("ascii").rstrip("=")
        return f"{SCHEME}.{self.key_id}.{payload}"

    def open(self, sealed: str) -> Any:
        scheme, key_id, payload = _split(sealed)
        cipher = self._keys.get(key_id)
        if cipher is None:
            raise SecretsUnreadable(
                f"the stored secrets were encrypted with another DLV_SECRET_KEY (key id {key_id}); "
                "start DLV with that key, or re-enter the secrets"
            )
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        try:
            plaintext = cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _ASSOCIATED_DATA)
        except InvalidTag:
            raise SecretsUnreadable("the stored secrets are damaged (authentication tag mismatch)") from None
        return msgspec.json.decode(plaintext)

    def needs_rotation(self, sealed: str) -> bool:
        """True when the value was sealed with a key other than the current one."""
        return _split(sealed)[1] != self.key_id

    def reseal(self, sealed: str) -> str:
        """Re-encrypt with the current key (what a key rotation does to each stored value)."""
        return self.seal(self.open(sealed))


def _split(sealed: str) -> tuple[str, str, str]:
    parts = sealed.split(".")
    if len(parts) != 3 or parts[0] != SCHEME:
        raise SecretsUnreadable(f"the stored secrets use an unknown format (expected {SCHEME}.<key id>.<data>)")
    return parts[0], parts[1], parts[2]


__all__ = ["SCHEME", "SecretBox", "SecretsUnreadable"]
