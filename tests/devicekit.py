"""A device as the tests and the benchmark play it: an Ed25519 key, demo pairing over HTTP, and
the answer to a connection challenge, byte for byte what the tablet's WebCrypto code does."""

import base64
import json
import urllib.error
import urllib.request

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class DeviceKey:
    def __init__(self, private_key=None):
        self.private_key = private_key or Ed25519PrivateKey.generate()
        self.device_id = None

    @property
    def public_b64(self):
        return b64(self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def sign(self, message):
        return b64(self.private_key.sign(message))

    def auth_signature(self, meeting_id, nonce, device_id=None):
        return self.sign(f"huitang-auth-v1\n{device_id or self.device_id}\n{meeting_id}\n{nonce}".encode())

    def pairing_signature(self, code):
        return self.sign(f"huitang-pair-v1\n{code}".encode())


def post_json(url, body, cookie=None):
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    if cookie:
        request.add_header("Cookie", cookie)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw or b"{}")
        except ValueError:
            return error.code, {"raw": raw.decode("utf-8", "replace")}


def demo_pair(base_url, kind, meeting_id, seat_id=None, key=None):
    """Pair a device through the demo endpoint; returns the DeviceKey with its device_id set."""
    key = key or DeviceKey()
    status, body = post_json(f"{base_url}/devices/demo-pair/", {
        "kind": kind, "meeting": meeting_id, "seat": seat_id, "public_key": key.public_b64,
        "signature": key.pairing_signature(f"demo:{kind}:{meeting_id}:{seat_id}"),
    })
    if status != 201:
        raise RuntimeError(f"demo pairing failed: {status} {body}")
    key.device_id = body["device"]
    return key


def pair(base_url, code, key=None):
    key = key or DeviceKey()
    status, body = post_json(f"{base_url}/devices/pair/", {
        "code": code, "public_key": key.public_b64, "signature": key.pairing_signature(code),
    })
    if status == 201:
        key.device_id = body["device"]
    return status, body, key


_paired = {}


def paired(server, kind, meeting_id, member_id=None):
    """A demo-paired device of this server (made once, then reused): a tablet on the member's
    seat, bound to them, or a display."""
    key = (server.base, kind, meeting_id, member_id)
    if key not in _paired:
        seat = None
        if member_id is not None:
            seat = server.env.query("select seat_id from meeting_seatassignment where meeting_id=? and member_id=?",
                                    (meeting_id, member_id))[0][0]
        _paired[key] = demo_pair(server.base, kind, meeting_id, seat)
    return _paired[key]
