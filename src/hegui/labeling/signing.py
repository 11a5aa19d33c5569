"""Integrity of a producer's label: an Ed25519 signature carried in ``ReservedCode1``.

Token (only characters the Annex E value set allows; base64url without padding, '.' separators)::

    hg1.<key-id>.<content-digest>.<signature>

- key-id: first 8 bytes of SHA-256 of the raw public key — says WHICH key signed;
- content-digest: the 32-byte ``Labeler.content_digest`` of the file as signed (media without label
  carriers) — stored so ``verify`` can tell content tampering from label tampering;
- signature: Ed25519 over ``hg1 | digest | canonical producer fields``.

The producer fields signed are ``Label``, ``ContentProducer`` and ``ProduceID`` — every key except
ReservedCode1 (the token itself) and the platform's ContentPropagator / PropagateID / ReservedCode2, so
a distributing platform adding its fields does not break the producer's signature. A platform may sign
its own view into ReservedCode2 the same way (``scope="platform"`` covers all keys but ReservedCode2).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hegui.core.errors import InputError, LabelError
from hegui.core.label import ContentLabel

PREFIX = "hg1"
Scope = Literal["producer", "platform"]
_SIGNED_KEYS: dict[str, tuple[str, ...]] = {
    "producer": ("Label", "ContentProducer", "ProduceID"),
    "platform": ("Label", "ContentProducer", "ProduceID", "ReservedCode1", "ContentPropagator",
                 "PropagateID"),
}


class SignatureStatus(enum.StrEnum):
    VALID = "valid"
    CONTENT_TAMPERED = "content-tampered"   # the media changed since signing (label fields intact)
    LABEL_TAMPERED = "label-tampered"       # signed label fields changed (or the token was forged)
    INVALID = "invalid"                     # token malformed
    ABSENT = "absent"                       # no hegui signature in the field
    UNVERIFIABLE = "unverifiable"           # signed, but no (matching) public key to check it


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    status: SignatureStatus
    key_id: str | None = None
    message: str = ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def keygen() -> tuple[bytes, bytes]:
    """A new Ed25519 key pair as (private PKCS#8 PEM, public SubjectPublicKeyInfo PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    return private_pem, public_pem


def write_keypair(directory: Path, name: str = "hegui-signing") -> tuple[Path, Path]:
    """Write ``<name>.key`` (mode 0600) and ``<name>.pub`` into ``directory``; never overwrite."""
    private_pem, public_pem = keygen()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"{directory}: cannot create directory ({err.strerror or err})") from None
    key_path, pub_path = directory / f"{name}.key", directory / f"{name}.pub"
    for path in (key_path, pub_path):
        if path.exists():
            raise InputError(f"{path} already exists; refusing to overwrite a signing key")
    try:
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(private_pem)
        pub_path.write_bytes(public_pem)
    except OSError as err:
        raise InputError(f"{directory}: cannot write key files ({err.strerror or err})") from None
    return key_path, pub_path


def load_private_key(source: Path | bytes) -> object:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    data = _read(source, "signing key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as err:
        raise InputError(f"signing key is not an unencrypted PEM private key ({err})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError("signing key must be an Ed25519 key (make one with `hegui label keygen`)")
    return key


def load_public_key(source: Path | bytes) -> object:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    data = _read(source, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as err:
        raise InputError(f"public key is not a PEM public key ({err})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError("public key must be an Ed25519 key (from `hegui label keygen`)")
    return key


def _read(source: Path | bytes, what: str) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return source.read_bytes()
    except OSError as err:
        raise InputError(f"{source}: cannot read {what} ({err.strerror or err})") from None


def key_id(public_key: object) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    assert isinstance(public_key, Ed25519PublicKey)
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _b64(hashlib.sha256(raw).digest()[:8])


def _message(digest: bytes, label: ContentLabel, scope: Scope) -> bytes:
    fields = {key: getattr(label, key) for key in _SIGNED_KEYS[scope]}
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return b"|".join((PREFIX.encode(), scope.encode(), digest, canonical.encode("ascii")))


def sign(label: ContentLabel, digest: bytes, private_key: object, scope: Scope = "producer") -> str:
    """The token for ReservedCode1 (producer) or ReservedCode2 (platform)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if not isinstance(private_key, Ed25519PrivateKey):
        raise LabelError("signing needs an Ed25519 private key")
    if len(digest) != 32:
        raise LabelError("content digest must be 32 bytes (SHA-256)")
    signature = private_key.sign(_message(digest, label, scope))
    return ".".join((PREFIX, key_id(private_key.public_key()), _b64(digest), _b64(signature)))


def token_key_id(token: str) -> str | None:
    parts = token.split(".")
    return parts[1] if len(parts) == 4 and parts[0] == PREFIX else None


def verify(label: ContentLabel, digest: bytes, public_key: object | None,
           scope: Scope = "producer") -> SignatureCheck:
    """Check the token in ReservedCode1 (producer) / ReservedCode2 (platform) against the file's
    current ``digest`` and label fields."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    token = label.ReservedCode1 if scope == "producer" else label.ReservedCode2
    if not token.startswith(PREFIX + "."):
        return SignatureCheck(SignatureStatus.ABSENT, message="no hegui signature")
    parts = token.split(".")
    try:
        if len(parts) != 4:
            raise ValueError("expected 4 parts")
        signed_digest, signature = _unb64(parts[2]), _unb64(parts[3])
        if len(signed_digest) != 32 or len(signature) != 64:
            raise ValueError("wrong lengths")
    except ValueError:
        return SignatureCheck(SignatureStatus.INVALID, message="signature token is malformed")
    kid = parts[1]
    if public_key is None:
        return SignatureCheck(SignatureStatus.UNVERIFIABLE, kid, "signed; give the public key to verify")
    if not isinstance(public_key, Ed25519PublicKey):
        raise LabelError("verification needs an Ed25519 public key")
    if key_id(public_key) != kid:
        return SignatureCheck(SignatureStatus.UNVERIFIABLE, kid,
                              f"signed by key {kid}, not by the given key {key_id(public_key)}")
    try:
        public_key.verify(signature, _message(signed_digest, label, scope))
    except InvalidSignature:
        return SignatureCheck(SignatureStatus.LABEL_TAMPERED, kid,
                              "label fields differ from what was signed")
    if signed_digest != digest:
        return SignatureCheck(SignatureStatus.CONTENT_TAMPERED, kid,
                              "content changed since it was signed")
    return SignatureCheck(SignatureStatus.VALID, kid, "signature valid; content and label unchanged")
