"""Sign-in services: the window, each way in, idempotence, lateness, leave, revoked badges, and
refusals that change nothing."""

import pytest

from meeting.errors import ServiceError
from meeting.models import AuditEntry, Event, Meeting, Member
from signin import codes, selectors, services
from tests.factories import make_meeting
from signin.coalesce import coalescer
from signin.models import BadgeKey, Leave, SigninRecord, SigninWindow

pytestmark = pytest.mark.django_db(transaction=True)


def state_of(meeting):
    """Everything a refused request must leave as it was."""
    return (
        list(SigninRecord.objects.filter(meeting=meeting).values()),
        list(Leave.objects.filter(meeting=meeting).values()),
        list(SigninWindow.objects.filter(meeting=meeting).values()),
        list(BadgeKey.objects.values()),
        Event.objects.count(),
        AuditEntry.objects.count(),
        Meeting.objects.get(pk=meeting.pk).last_seq,
    )


def refused(call):
    with pytest.raises(ServiceError) as caught:
        call()
    return caught.value.code


def badge(member):
    return codes.badge_code(member.id, selectors.badge_version(member.id))


# ---- the window ----------------------------------------------------------------------------------

def test_sign_in_before_the_window_opens_is_refused_and_changes_nothing(hall, delivered):
    meeting, members, operator, _ = hall
    before = state_of(meeting)
    assert refused(lambda: services.scan_badge(meeting.id, badge(members[0]), "东门", operator)) == "signin_not_started"
    assert refused(lambda: services.tap(meeting.id, members[1].id)) == "signin_not_started"
    assert refused(lambda: services.manual_sign_in(meeting.id, members[2].id, "证件遗失", operator)) == "signin_not_started"
    assert state_of(meeting) == before and delivered == []


def test_the_window_opens_closes_and_reopens(hall, delivered):
    meeting, _, operator, _ = hall
    services.open_window(meeting.id, operator)
    assert refused(lambda: services.open_window(meeting.id, operator)) == "signin_already_open"
    services.close_window(meeting.id, operator)
    assert refused(lambda: services.close_window(meeting.id, operator)) == "signin_not_open"
    window = services.open_window(meeting.id, operator)
    assert window.state == "open" and window.closed_at is None
    actions = list(AuditEntry.objects.filter(meeting=meeting).values_list("action", "detail"))
    assert actions == [("signin.open", {"reopened": False}), ("signin.close", {}), ("signin.open", {"reopened": True})]
    kinds = [(e.kind, e.audience) for e in Event.objects.order_by("seq")]
    assert kinds == [("signin.window", "displays"), ("signin.window", "console"), ("signin.window", "tablets")] * 3


def test_closing_a_window_that_never_opened_is_refused(hall, delivered):
    meeting, _, operator, _ = hall
    assert refused(lambda: services.close_window(meeting.id, operator)) == "signin_not_open"


def test_no_window_for_a_closed_meeting(hall, delivered):
    meeting, _, operator, _ = hall
    Meeting.objects.filter(pk=meeting.pk).update(state=Meeting.State.CLOSED)
    assert refused(lambda: services.open_window(meeting.id, operator)) == "meeting_closed"


# ---- each way in ---------------------------------------------------------------------------------

@pytest.fixture
def opened(hall):
    meeting, members, operator, sub = hall
    services.open_window(meeting.id, operator)
    return hall


def test_a_door_scan_signs_in_with_method_place_time_and_actor(opened, delivered):
    meeting, members, operator, _ = opened
    outcome = services.scan_badge(meeting.id, badge(members[0]), "东门", operator)
    record = SigninRecord.objects.get(meeting=meeting, member=members[0])
    assert outcome.created and outcome.record == record
    assert (record.method, record.place, record.actor, record.late) == ("badge", "东门", operator, False)
    assert record.at is not None
    reply = outcome.reply()
    assert reply["already"] is False and reply["member"]["name"] == members[0].name
    assert reply["member"]["seat"] == "1排1号" and reply["member"]["delegation"] == "城关区代表团"
    entry = AuditEntry.objects.filter(meeting=meeting, action="signin.sign_in").get()
    assert entry.actor == operator and entry.detail["member"] == members[0].id and entry.detail["method"] == "badge"


def test_a_door_scan_without_a_place_records_the_hall(opened, delivered):
    meeting, members, operator, _ = opened
    assert services.scan_badge(meeting.id, badge(members[0]), "", operator).record.place == meeting.venue.name


def test_a_tablet_tap_records_the_seat(opened, delivered):
    meeting, members, _, _ = opened
    record = services.tap(meeting.id, members[1].id, device="dev-1").record
    assert (record.method, record.place, record.device, record.actor) == ("seat", "1排2号", "dev-1", None)
    assert services.tap(meeting.id, members[2].id, place="池座3排4号").record.place == "池座3排4号"


def test_an_unbound_tablet_cannot_tap(opened, delivered):
    meeting, _, _, _ = opened
    assert refused(lambda: services.tap(meeting.id, None)) == "not_bound"
    assert refused(lambda: services.venue_sign_in(meeting.id, None, "1-2-3-4")) == "not_bound"


def test_a_sub_venue_code_signs_in_at_that_venue(opened, delivered):
    meeting, members, _, sub = opened
    record = services.venue_sign_in(meeting.id, members[3].id, codes.venue_code(meeting.id, sub.id)).record
    assert (record.method, record.place) == ("venue", "青山县分会场")


def test_a_venue_code_for_a_venue_not_in_this_meeting_is_refused(opened, delivered):
    meeting, members, _, _ = opened
    before = state_of(meeting)
    code = codes.venue_code(meeting.id, meeting.venue_id)  # the main hall is not a sub-venue
    assert refused(lambda: services.venue_sign_in(meeting.id, members[3].id, code)) == "no_venue"
    assert state_of(meeting) == before


def test_manual_sign_in_needs_a_reason_and_keeps_it(opened, delivered):
    meeting, members, operator, _ = opened
    for reason in (None, "", "   "):
        assert refused(lambda: services.manual_sign_in(meeting.id, members[4].id, reason, operator)) == "reason_required"
    assert refused(lambda: services.manual_sign_in(meeting.id, members[4].id, "字" * 201, operator)) == "too_long"
    record = services.manual_sign_in(meeting.id, members[4].id, " 代表证遗忘 ", operator).record
    assert (record.method, record.reason, record.actor, record.place) == ("manual", "代表证遗忘", operator, "主控台")


def test_a_second_sign_in_returns_the_first_record_and_changes_nothing(opened, delivered):
    meeting, members, operator, _ = opened
    first = services.scan_badge(meeting.id, badge(members[0]), "东门", operator)
    before = state_of(meeting)
    pending = coalescer.pending()
    again = services.scan_badge(meeting.id, badge(members[0]), "西门", operator)
    by_tablet = services.tap(meeting.id, members[0].id)
    by_hand = services.manual_sign_in(meeting.id, members[0].id, "重复", operator)
    for outcome in (again, by_tablet, by_hand):
        assert not outcome.created and outcome.record.pk == first.record.pk
        assert outcome.reply()["already"] is True and outcome.reply()["signin"]["place"] == "东门"
    assert state_of(meeting) == before and coalescer.pending() == pending
    assert SigninRecord.objects.filter(meeting=meeting, member=members[0]).count() == 1


def test_sign_in_after_the_window_closes_is_allowed_and_late(opened, delivered):
    meeting, members, operator, _ = opened
    on_time = services.tap(meeting.id, members[0].id).record
    services.close_window(meeting.id, operator)
    late = services.tap(meeting.id, members[1].id).record
    assert on_time.late is False and late.late is True
    assert selectors.my_attendance(meeting, members[1].id)["late"] is True
    services.open_window(meeting.id, operator)  # reopened: on time again
    assert services.tap(meeting.id, members[2].id).record.late is False


def test_no_sign_in_once_the_meeting_has_ended(opened, delivered):
    meeting, members, operator, _ = opened
    Meeting.objects.filter(pk=meeting.pk).update(state=Meeting.State.CLOSED)
    assert refused(lambda: services.tap(meeting.id, members[0].id)) == "meeting_closed"


# ---- bad codes change nothing ------------------------------------------------------------------

def test_bad_badge_codes_get_their_own_reason_and_change_nothing(opened, delivered):
    meeting, members, operator, sub = opened
    outsider = Member.objects.create(member_number="X0001", name="局外人")
    gone = Member.objects.get(pk=members[5].pk)
    gone.is_active = False
    gone.save()
    revoked = badge(members[1])
    services.revoke_badge(meeting.id, members[1].id, operator)
    delivered.clear()
    before = state_of(meeting)
    cases = {
        "bad_code": revoked[:-2] + "xx",
        "code_revoked": revoked,
        "not_participant": codes.badge_code(outsider.id, 1),
        "member_inactive": badge(gone),
        "empty_code": "",
        "venue_code_at_door": codes.venue_code(meeting.id, sub.id),
    }
    for code, text in cases.items():
        assert refused(lambda: services.scan_badge(meeting.id, text, "东门", operator)) == code
    assert refused(lambda: services.scan_badge(meeting.id, codes.badge_code(10**9, 1), "", operator)) == "not_participant"
    assert state_of(meeting) == before and delivered == [] and not coalescer.pending()


def test_bad_venue_codes_get_their_own_reason_and_change_nothing(opened, delivered):
    meeting, members, operator, sub = opened
    import time

    window = codes.current_window(time.time())
    before = state_of(meeting)
    cases = {
        "venue_code_expired": codes.venue_code(meeting.id, sub.id, window=window - 3),
        "wrong_meeting": codes.venue_code(meeting.id + 1, sub.id),
        "bad_venue_code": codes.venue_code(meeting.id, sub.id)[:-1] + "x",
        "badge_at_venue": badge(members[0]),
    }
    for code, text in cases.items():
        assert refused(lambda: services.venue_sign_in(meeting.id, members[0].id, text)) == code
    assert state_of(meeting) == before and delivered == []


def test_a_revoked_badge_is_replaced_by_a_working_one(opened, delivered):
    meeting, members, operator, _ = opened
    old = badge(members[2])
    assert services.revoke_badge(meeting.id, members[2].id, operator) == 2
    assert refused(lambda: services.scan_badge(meeting.id, old, "", operator)) == "code_revoked"
    assert services.scan_badge(meeting.id, badge(members[2]), "", operator).created
    assert AuditEntry.objects.filter(action="signin.badge_revoke", detail__member=members[2].id).exists()


def test_refused_requests_with_wrong_types(opened, delivered):
    meeting, members, operator, _ = opened
    assert refused(lambda: services.manual_sign_in(meeting.id, str(members[0].id), "x", operator)) == "bad_request"
    assert refused(lambda: services.manual_sign_in(meeting.id, True, "x", operator)) == "bad_request"
    assert refused(lambda: services.record_leave(meeting.id, members[0].id, 5, operator)) == "bad_request"
    assert refused(lambda: services.manual_sign_in(10**9, members[0].id, "x", operator)) == "no_meeting"


# ---- leave --------------------------------------------------------------------------------------

def test_leave_is_recorded_once_and_not_for_someone_signed_in(opened, delivered):
    meeting, members, operator, _ = opened
    leave = services.record_leave(meeting.id, members[0].id, "出差", operator)
    assert (leave.reason, leave.recorded_by) == ("出差", operator)
    assert refused(lambda: services.record_leave(meeting.id, members[0].id, "", operator)) == "already_on_leave"
    services.tap(meeting.id, members[1].id)
    assert refused(lambda: services.record_leave(meeting.id, members[1].id, "", operator)) == "already_signed_in"
    assert refused(lambda: services.record_leave(meeting.id, 10**9, "", operator)) == "not_participant"
    assert selectors.my_attendance(meeting, members[0].id)["status"] == "leave"


def test_a_member_on_leave_who_comes_counts_as_present_not_on_leave(opened, delivered):
    meeting, members, operator, _ = opened
    services.record_leave(meeting.id, members[0].id, "", operator)
    assert selectors.counts(meeting) == {"entitled": 6, "present": 0, "leave": 1, "attendees": 0}
    services.tap(meeting.id, members[0].id)
    assert selectors.counts(meeting) == {"entitled": 6, "present": 1, "leave": 0, "attendees": 0}
    assert selectors.my_attendance(meeting, members[0].id)["status"] == "signed_in"


def test_a_forged_code_is_logged_without_the_code(opened, delivered, caplog):
    meeting, members, operator, _ = opened
    forged = badge(members[0])[:-3] + "zzz"
    with caplog.at_level("WARNING", logger="signin.services"):
        assert refused(lambda: services.scan_badge(meeting.id, forged, "东门", operator)) == "bad_code"
    assert "bad_code" in caplog.text and forged not in caplog.text and codes.fingerprint(forged) in caplog.text


def test_taps_that_arrive_together_are_answered_one_by_one(opened, delivered):
    """tap_many: each tap gets its own outcome or refusal; refusals write nothing for that tap."""
    meeting, members, _, _ = opened
    stranger = make_meeting(deputies=1, name="邻县人民代表大会")[1][0]  # a deputy of another meeting
    services.tap(meeting.id, members[3].id)  # signed in before the burst
    before = SigninRecord.objects.filter(meeting=meeting).count()
    audits = AuditEntry.objects.filter(meeting=meeting, action="signin.sign_in").count()
    results = services.tap_many(meeting.id, [
        (members[0].id, "", "dev-a"), (None, "", ""), (stranger.id, "", ""), (members[0].id, "", "dev-b"),
        (members[3].id, "", ""), (members[1].id, "池座3排4号", ""), ("7", "", ""),
    ])
    codes_or_created = [r.code if isinstance(r, ServiceError) else r.created for r in results]
    assert codes_or_created == [True, "not_bound", "not_participant", False, False, True, "bad_request"]
    assert results[0].record.pk == results[3].record.pk and results[0].record.device == "dev-a"
    assert results[0].record.place == "1排1号" and results[5].record.place == "池座3排4号"
    assert results[0].member["name"] == members[0].name and results[0].member["seat"] == "1排1号"
    assert SigninRecord.objects.filter(meeting=meeting).count() == before + 2
    assert AuditEntry.objects.filter(meeting=meeting, action="signin.sign_in").count() == audits + 2
    mine = [e for e in Event.objects.filter(meeting=meeting, kind="signin.mine").order_by("seq")]
    assert [e.member_id for e in mine][-2:] == [members[0].id, members[1].id]
    assert mine[-1].seq == mine[-2].seq + 1 == Meeting.objects.get(pk=meeting.pk).last_seq


def test_taps_before_the_window_opens_or_after_the_meeting_are_all_refused(hall, delivered):
    meeting, members, operator, _ = hall
    results = services.tap_many(meeting.id, [(members[0].id, "", ""), (members[1].id, "", "")])
    assert [r.code for r in results] == ["signin_not_started"] * 2
    services.open_window(meeting.id, operator)
    Meeting.objects.filter(pk=meeting.pk).update(state=Meeting.State.CLOSED)
    results = services.tap_many(meeting.id, [(members[0].id, "", ""), (None, "", "")])
    assert [r.code for r in results] == ["meeting_closed", "not_bound"]
    assert not SigninRecord.objects.filter(meeting=meeting).exists()
