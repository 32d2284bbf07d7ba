"""The codes people scan to sign in.

Personal code (代表码), printed on each member's badge:
    django.core.signing over {"m": member id, "v": version} with its own salt, no timestamp, so
    it cannot be forged without SECRET_KEY and never expires; bumping the member's
    BadgeKey.version revokes every code printed before.

Rotating sub-venue code (分会场签到码), shown on a sub-venue's display and scanned or typed on a
member's tablet there:
    "<meeting>-<venue>-<window mod 1000>-<8 digits>", the digits an HMAC-SHA256 over
    (venue, meeting, window) keyed from SECRET_KEY through a salted derivation, the window being
    the 10-second slot of the clock. Only the current and the previous window are accepted, so a
    photo sent home stops working within 20 seconds. The window travels as its last three digits
    (the server resolves it to the latest window with those digits) so the code stays typeable.

Functions here only decide what a code says; services.py decides what to do about it.
"""

import hmac
import time
from dataclasses import dataclass
from hashlib import sha256

from django.conf import settings
from django.core import signing
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from meeting.errors import ServiceError

BADGE_SALT = "huitang.signin.badge.v1"
VENUE_SALT = "huitang.signin.venue-code.v1"
WINDOW_SECONDS = 10
WINDOW_MODULUS = 1000
MAX_CODE_LENGTH = 200


# ---- personal codes ------------------------------------------------------------------------

def _badge_signer(key=None):
    return signing.Signer(key=key, salt=BADGE_SALT, fallback_keys=[] if key else None)


def badge_code(member_id, version, key=None):
    """The text of a member's personal code at ``version`` (``key``: another server's SECRET_KEY)."""
    return _badge_signer(key).sign_object({"m": int(member_id), "v": int(version)})


@dataclass(frozen=True)
class BadgeClaim:
    member_id: int
    version: int


def read_badge(code):
    """What a personal code claims, once its signature checks; ServiceError if it does not.

    Whether the version is still current and the member is called to the meeting is for the
    caller to check (services.scan_badge)."""
    if not isinstance(code, str) or not code.strip():
        raise ServiceError("empty_code", _("没有读到签到码"))
    code = code.strip()
    if len(code) > MAX_CODE_LENGTH:
        raise ServiceError("bad_code", _("无效的代表码（无法识别）"))
    if looks_like_venue_code(code):
        raise ServiceError("venue_code_at_door", _("这是分会场签到码，请在代表本人的终端上扫描"))
    try:
        payload = _badge_signer().unsign_object(code)
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        raise ServiceError("bad_code", _("无效的代表码（无法验证，可能是伪造或损坏的）")) from None
    member_id, version = (payload.get("m"), payload.get("v")) if isinstance(payload, dict) else (None, None)
    if not _is_int(member_id) or not _is_int(version):
        raise ServiceError("bad_code", _("无效的代表码（无法验证，可能是伪造或损坏的）"))
    return BadgeClaim(member_id, version)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# ---- rotating sub-venue codes -----------------------------------------------------------------

def current_window(now=None):
    return int((time.time() if now is None else now) // WINDOW_SECONDS)


def _venue_digits(meeting_id, venue_id, window, key=None):
    mac = salted_hmac(VENUE_SALT, f"{venue_id}:{meeting_id}:{window}",
                      secret=key or settings.SECRET_KEY, algorithm="sha256").digest()
    return f"{int.from_bytes(mac[:8], 'big') % 10**8:08d}"


def venue_code(meeting_id, venue_id, now=None, key=None, window=None):
    """The code a sub-venue's display shows now (or for ``window``)."""
    window = current_window(now) if window is None else window
    digits = _venue_digits(meeting_id, venue_id, window, key)
    return f"{int(meeting_id)}-{int(venue_id)}-{window % WINDOW_MODULUS:03d}-{digits}"


def seconds_left(now=None):
    now = time.time() if now is None else now
    return WINDOW_SECONDS - (now % WINDOW_SECONDS)


def looks_like_venue_code(code):
    parts = code.strip().split("-")
    return len(parts) == 4 and all(p.isdigit() for p in parts)


@dataclass(frozen=True)
class VenueClaim:
    meeting_id: int
    venue_id: int
    window: int


def read_venue_code(code, meeting_id, now=None):
    """The venue a rotating code names, if it is genuine, for ``meeting_id`` and fresh.

    Accepts the current window and the one before; anything else that verifies is expired."""
    if not isinstance(code, str) or not code.strip():
        raise ServiceError("empty_code", _("没有读到签到码"))
    code = code.strip()
    if len(code) > MAX_CODE_LENGTH:
        raise ServiceError("bad_venue_code", _("无效的分会场签到码"))
    if not looks_like_venue_code(code):
        if ":" in code:
            raise ServiceError("badge_at_venue", _("这是代表码，请扫描分会场屏幕上的签到码"))
        raise ServiceError("bad_venue_code", _("无效的分会场签到码"))
    code_meeting, code_venue, residue, digits = code.split("-")
    code_meeting, code_venue, residue = int(code_meeting), int(code_venue), int(residue)
    if len(digits) != 8 or residue >= WINDOW_MODULUS:
        raise ServiceError("bad_venue_code", _("无效的分会场签到码"))
    now_window = current_window(now)
    # The latest window at or before now whose last three digits are ``residue``.
    window = now_window - ((now_window - residue) % WINDOW_MODULUS)
    genuine = hmac.compare_digest(_venue_digits(code_meeting, code_venue, window), digits)
    if not genuine:
        raise ServiceError("bad_venue_code", _("无效的分会场签到码（无法验证）"))
    if code_meeting != meeting_id:
        raise ServiceError("wrong_meeting", _("这是其他会议的签到码"))
    if window < now_window - 1:
        raise ServiceError("venue_code_expired", _("签到码已过期，请扫描屏幕上正在显示的签到码"))
    return VenueClaim(code_meeting, code_venue, window)


def fingerprint(code):
    """For logs: which code was tried, without writing a working code into a log."""
    return sha256(code.encode("utf-8", "replace")).hexdigest()[:12] if isinstance(code, str) else "-"
