"""Ed25519 signatures in ReservedCode1: valid, content tampered, label tampered, unverifiable."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
from pathlib import Path

import pytest

from hegui.core.errors import InputError
from hegui.core.label import ContentLabel
from hegui.labeling.signing import (
    SignatureStatus,
    keygen,
    load_private_key,
    load_public_key,
    sign,
    verify,
    write_keypair,
)

DIGEST = hashlib.sha256(b"pixels").digest()
LABEL = ContentLabel(ContentProducer="001191110102MAD55U9H0F10002", ProduceID="abc123")


@pytest.fixture(scope="module")
def keys() -> tuple[object, object]:
    private_pem, public_pem = keygen()
    return load_private_key(private_pem), load_public_key(public_pem)


def _signed(keys: tuple[object, object]) -> ContentLabel:
    return dataclasses.replace(LABEL, ReservedCode1=sign(LABEL, DIGEST, keys[0]))


def test_token_uses_the_allowed_characters(keys: tuple[object, object]) -> None:
    signed = _signed(keys)
    assert signed.ReservedCode1.startswith("hg1.")
    assert signed.problems() == []


def test_valid_and_survives_propagation(keys: tuple[object, object]) -> None:
    signed = _signed(keys)
    assert verify(signed, DIGEST, keys[1]).status is SignatureStatus.VALID
    propagated = signed.with_propagator("PlatformX", "p-1")
    assert verify(propagated, DIGEST, keys[1]).status is SignatureStatus.VALID


def test_content_and_label_tampering_are_told_apart(keys: tuple[object, object]) -> None:
    signed = _signed(keys)
    other = hashlib.sha256(b"other pixels").digest()
    assert verify(signed, other, keys[1]).status is SignatureStatus.CONTENT_TAMPERED
    forged = dataclasses.replace(signed, ProduceID="abc124")
    assert verify(forged, DIGEST, keys[1]).status is SignatureStatus.LABEL_TAMPERED
    relabeled = dataclasses.replace(signed, Label="3")
    assert verify(relabeled, DIGEST, keys[1]).status is SignatureStatus.LABEL_TAMPERED


def test_unverifiable_absent_invalid(keys: tuple[object, object]) -> None:
    signed = _signed(keys)
    assert verify(signed, DIGEST, None).status is SignatureStatus.UNVERIFIABLE
    other_pub = load_public_key(keygen()[1])
    check = verify(signed, DIGEST, other_pub)
    assert check.status is SignatureStatus.UNVERIFIABLE and "not by the given key" in check.message
    assert verify(LABEL, DIGEST, keys[1]).status is SignatureStatus.ABSENT
    broken = dataclasses.replace(LABEL, ReservedCode1="hg1.abc.def")
    assert verify(broken, DIGEST, keys[1]).status is SignatureStatus.INVALID


def test_platform_scope_signs_reserved_code2(keys: tuple[object, object]) -> None:
    label = _signed(keys).with_propagator("PlatformX", "p-1")
    token = sign(label, DIGEST, keys[0], "platform")
    platform = dataclasses.replace(label, ReservedCode2=token)
    assert verify(platform, DIGEST, keys[1], "platform").status is SignatureStatus.VALID
    assert verify(platform, DIGEST, keys[1], "producer").status is SignatureStatus.VALID
    moved = dataclasses.replace(platform, PropagateID="p-2")
    assert verify(moved, DIGEST, keys[1], "platform").status is SignatureStatus.LABEL_TAMPERED


def test_keypair_files(tmp_path: Path) -> None:
    key_path, pub_path = write_keypair(tmp_path / "keys")
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
    load_private_key(key_path)
    load_public_key(pub_path)
    with pytest.raises(InputError, match="refusing to overwrite"):
        write_keypair(tmp_path / "keys")
    with pytest.raises(InputError, match="PEM"):
        load_public_key(b"not a key")
    with pytest.raises(InputError, match="cannot read"):
        load_private_key(tmp_path / "missing.key")
