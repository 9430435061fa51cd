"""Stored-secret encryption: versioned, keyed by DLV_SECRET_KEY, tamper-evident, rotatable."""

from __future__ import annotations

import pytest

from dlv.lib.crypto import SecretBox, SecretsUnreadable

KEY = "k" * 48
OTHER_KEY = "o" * 48


def test_sealed_values_open_with_the_same_key_and_hide_the_plaintext() -> None:
    box = SecretBox(KEY)

    sealed = box.seal({"password": "hunter2-hunter2"})

    assert "hunter2" not in sealed
    assert sealed.startswith(f"dlv1.{box.key_id}.")
    assert SecretBox(KEY).open(sealed) == {"password": "hunter2-hunter2"}
    assert box.seal({"password": "x"}) != box.seal({"password": "x"})  # fresh nonce every time


def test_another_key_cannot_open_and_says_so() -> None:
    sealed = SecretBox(KEY).seal({"password": "x"})

    with pytest.raises(SecretsUnreadable, match="another DLV_SECRET_KEY"):
        SecretBox(OTHER_KEY).open(sealed)


def test_a_tampered_value_is_refused() -> None:
    sealed = SecretBox(KEY).seal({"password": "x"})
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]

    with pytest.raises(SecretsUnreadable, match="damaged"):
        SecretBox(KEY).open(flipped)
    with pytest.raises(SecretsUnreadable, match="unknown format"):
        SecretBox(KEY).open("plaintext-password")


def test_rotation_reads_with_the_previous_key_and_reseals_with_the_current_one() -> None:
    old = SecretBox(OTHER_KEY).seal({"token": "t"})
    rotating = SecretBox(KEY, previous_keys=[OTHER_KEY])

    assert rotating.needs_rotation(old)
    resealed = rotating.reseal(old)

    assert not rotating.needs_rotation(resealed)
    assert SecretBox(KEY).open(resealed) == {"token": "t"}
