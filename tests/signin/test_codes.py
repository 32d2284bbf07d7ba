"""What a scanned code says: personal badge codes and rotating sub-venue codes (signin.codes)."""

import pytest

from meeting.errors import ServiceError
from signin import codes

NOW = 1_800_000_005.0  # a fixed clock, 5 s into its window
WINDOW = int(NOW // codes.WINDOW_SECONDS)


def refused(fn, *args, **kwargs):
    with pytest.raises(ServiceError) as caught:
        fn(*args, **kwargs)
    return caught.value.code


# ---- personal codes ----------------------------------------------------------------------------

def test_a_badge_code_reads_back_its_member_and_version():
    claim = codes.read_badge(codes.badge_code(42, 3))
    assert (claim.member_id, claim.version) == (42, 3)


def test_a_badge_code_survives_a_scanners_surrounding_whitespace():
    assert codes.read_badge(f"  {codes.badge_code(7, 1)}\r\n").member_id == 7


@pytest.mark.parametrize("mangle", [
    lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),  # signature changed
    lambda c: codes.badge_code(43, 1).split(":")[0] + ":" + c.split(":")[1],  # payload swapped
    lambda c: c.split(":")[0],  # no signature
    lambda c: "hello",
    lambda c: "x" * 500,
])
def test_a_forged_or_damaged_badge_code_is_refused(mangle):
    assert refused(codes.read_badge, mangle(codes.badge_code(42, 1))) == "bad_code"


def test_a_badge_code_signed_with_another_servers_key_is_refused():
    other = codes.badge_code(42, 1, key="another-server-" + "k" * 40)
    assert refused(codes.read_badge, other) == "bad_code"


def test_something_this_server_signed_for_another_purpose_is_not_a_badge_code():
    from django.core import signing

    other_purpose = signing.Signer(salt="huitang.another-purpose.v1").sign_object({"m": 42, "v": 1})
    assert refused(codes.read_badge, other_purpose) == "bad_code"


@pytest.mark.parametrize("payload", [{"m": "42", "v": 1}, {"m": 42}, {"m": True, "v": 1}, [42, 1], {"m": -1, "v": 1}])
def test_a_genuinely_signed_but_malformed_payload_is_refused(payload):
    from django.core import signing

    code = signing.Signer(salt=codes.BADGE_SALT).sign_object(payload)
    assert refused(codes.read_badge, code) == "bad_code"


@pytest.mark.parametrize("value", [None, "", "   ", 5])
def test_nothing_read_is_its_own_message(value):
    assert refused(codes.read_badge, value) == "empty_code"


def test_a_venue_code_at_the_door_says_where_it_belongs():
    assert refused(codes.read_badge, codes.venue_code(1, 2, now=NOW)) == "venue_code_at_door"


# ---- rotating sub-venue codes ------------------------------------------------------------------

def test_the_current_windows_code_is_accepted():
    claim = codes.read_venue_code(codes.venue_code(5, 9, now=NOW), 5, now=NOW)
    assert (claim.meeting_id, claim.venue_id, claim.window) == (5, 9, WINDOW)


def test_the_code_is_short_and_typeable_digits():
    code = codes.venue_code(5, 9, now=NOW)
    assert code.replace("-", "").isdigit() and len(code) <= 20


def test_the_code_changes_every_window():
    assert codes.venue_code(5, 9, window=WINDOW) != codes.venue_code(5, 9, window=WINDOW + 1)
    assert codes.venue_code(5, 9, now=NOW) == codes.venue_code(5, 9, now=NOW + 4)
    assert codes.venue_code(5, 9, now=NOW) != codes.venue_code(5, 9, now=NOW + 5)


def test_the_previous_windows_code_is_still_accepted():
    code = codes.venue_code(5, 9, window=WINDOW - 1)
    assert codes.read_venue_code(code, 5, now=NOW).window == WINDOW - 1
    # ... right up to the end of the current window.
    assert codes.read_venue_code(code, 5, now=(WINDOW + 1) * codes.WINDOW_SECONDS - 0.01).window == WINDOW - 1


@pytest.mark.parametrize("age", [2, 3, 50, 999])
def test_an_older_code_is_expired(age):
    code = codes.venue_code(5, 9, window=WINDOW - age)
    assert refused(codes.read_venue_code, code, 5, now=NOW) == "venue_code_expired"


@pytest.mark.parametrize("ahead", [1, 2])
def test_a_code_from_the_future_is_refused(ahead):
    code = codes.venue_code(5, 9, window=WINDOW + ahead)
    assert refused(codes.read_venue_code, code, 5, now=NOW) in ("bad_venue_code", "venue_code_expired")


def test_another_meetings_code_is_refused_as_such():
    code = codes.venue_code(6, 9, now=NOW)
    assert refused(codes.read_venue_code, code, 5, now=NOW) == "wrong_meeting"


@pytest.mark.parametrize("mangle", [
    lambda c: c[:-1] + str((int(c[-1]) + 1) % 10),  # digits changed
    lambda c: "-".join(c.split("-")[:1] + ["10"] + c.split("-")[2:]),  # other venue, same digits
    lambda c: "5-9-" + c.split("-")[2] + "-1234567",  # too short
    lambda c: "12345678",
    lambda c: "abc-def",
])
def test_a_forged_venue_code_is_refused(mangle):
    code = codes.venue_code(5, 9, now=NOW)
    assert refused(codes.read_venue_code, mangle(code), 5, now=NOW) == "bad_venue_code"


def test_a_venue_code_from_another_servers_key_is_refused():
    code = codes.venue_code(5, 9, now=NOW, key="another-server-" + "k" * 40)
    assert refused(codes.read_venue_code, code, 5, now=NOW) == "bad_venue_code"


def test_a_badge_at_the_venue_says_where_it_belongs():
    assert refused(codes.read_venue_code, codes.badge_code(1, 1), 5, now=NOW) == "badge_at_venue"
