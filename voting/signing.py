"""The server's own Ed25519 key, which signs result sheets. Made once per installation and kept
outside the repository (var/, or HUITANG_RESULT_KEY_PATH in production)."""

import base64
import functools
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings


def _path():
    return Path(os.environ.get("HUITANG_RESULT_KEY_PATH", settings.VAR_DIR / "result_signing_key.pem"))


@functools.cache
def server_key():
    path = _path()
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            try:
                os.write(fd, pem)
            finally:
                os.close(fd)
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def _b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def public_key_b64():
    raw = server_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _b64(raw)


def sign(message):
    return _b64(server_key().sign(message))
