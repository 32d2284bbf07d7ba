"""Ed25519 signatures from devices, over canonical byte strings that name their purpose.

Every signed message starts with a purpose tag and version, so a signature made for one purpose
(pairing, authenticating a connection, later a ballot) can never be replayed as another.
"""

import base64
import binascii
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64


class BadKey(ValueError):
    pass


_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def b64decode(text, expected_len=None):
    """Strict unpadded base64url, so one value has exactly one spelling (logs compare as text)."""
    if not isinstance(text, str) or len(text) > 200 or not _B64URL.match(text) or len(text) % 4 == 1:
        raise BadKey("not base64url text")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise BadKey("not base64") from None
    if b64encode(raw) != text:
        raise BadKey("not the canonical base64url spelling")
    if expected_len is not None and len(raw) != expected_len:
        raise BadKey(f"expected {expected_len} bytes, got {len(raw)}")
    return raw


def b64encode(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def load_public_key(raw):
    if len(raw) != PUBLIC_KEY_BYTES:
        raise BadKey("an Ed25519 public key is 32 bytes")
    try:
        return Ed25519PublicKey.from_public_bytes(bytes(raw))
    except ValueError:
        raise BadKey("not an Ed25519 public key") from None


def verify(public_key_raw, signature_b64, message):
    """True iff ``signature_b64`` is the device's signature over ``message`` (bytes)."""
    try:
        signature = b64decode(signature_b64, SIGNATURE_BYTES)
        load_public_key(public_key_raw).verify(signature, message)
    except (BadKey, InvalidSignature):
        return False
    return True


def pairing_message(code):
    return f"huitang-pair-v1\n{code}".encode()


def auth_message(device_id, meeting_id, nonce_b64):
    return f"huitang-auth-v1\n{device_id}\n{meeting_id}\n{nonce_b64}".encode()
