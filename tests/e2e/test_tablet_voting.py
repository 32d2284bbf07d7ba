"""Voting on the tablet in real Chromium: the big buttons, the confirm step, the ballot signed in the
browser with the device key, the receipt, a reload, a dropped socket (the same ballot resent), a
change of vote, an appointment voted nominee by nominee, pause, close and the announced result.

The module has its own server; the console's side is played over a real console socket (fleet).
"""

import base64
import json
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from playwright.sync_api import expect

from tests.e2e.test_tablet_device import LIVE, Tablet, seats
from voting import canonical


@pytest.fixture(scope="module")
def plenary(e2e_hall):
    return e2e_hall.env.meeting_ids()["plenary"]


@pytest.fixture(scope="module")
def voters(e2e_hall, plenary):
    return seats(e2e_hall, plenary)


@pytest.fixture(scope="module")
def sitting(e2e_hall, plenary, voters, fleet):
    """The meeting open and every voting member but the last signed in (quorum is two-thirds)."""
    reply = fleet.request(plenary, "meeting.open")
    assert reply["type"] == "ok" or reply["code"] == "already_open", reply
    fleet.sign_in(plenary, [member_id for _, member_id, _, _ in voters[:-1]])
    return plenary


def agenda_item(e2e_hall, meeting_id, order):
    return e2e_hall.env.query('select id from meeting_agendaitem where meeting_id = ? and "order" = ?',
                              (meeting_id, order))[0][0]


def open_poll(e2e_hall, fleet, meeting_id, **options):
    """Close whatever poll is still running, then prepare and open a new one; returns its id."""
    for (running,) in e2e_hall.env.query(
            "select id from voting_poll where meeting_id = ? and state in ('open', 'paused')", (meeting_id,)):
        fleet.request(meeting_id, "poll.close", poll=running)
    options.setdefault("item", agenda_item(e2e_hall, meeting_id, 2))
    reply = fleet.request(meeting_id, "poll.prepare", **options)
    assert reply["type"] == "ok", reply
    opened = fleet.request(meeting_id, "poll.open", poll=reply["poll"])
    assert opened["type"] == "ok", opened
    return reply["poll"]


def entries(e2e_hall, poll_id):
    rows = e2e_hall.env.query(
        "select position, choice, secret_hash, supersedes, member_id, device_id, device_signature"
        " from voting_ballotentry where poll_id = ? order by position", (poll_id,))
    return [(p, json.loads(c), s, sup, m, d, sig) for p, c, s, sup, m, d, sig in rows]


def public_key(e2e_hall, device_id):
    raw = e2e_hall.env.query("select public_key from devices_device where id = ?", (device_id.replace("-", ""),))[0][0]
    return Ed25519PublicKey.from_public_bytes(bytes(raw))


def stored_ballot(page, meeting_id, poll_id, member_id):
    return page.evaluate(f"JSON.parse(localStorage.getItem('huitang:ballot:{meeting_id}:{poll_id}:{member_id}'))")


def test_a_motion_is_voted_with_the_big_buttons_confirmed_signed_and_recorded(
        context, e2e_hall, sitting, voters, fleet, shots):
    seat_id, member_id, name, _ = voters[0]
    tablet = Tablet(context)
    page = tablet.page
    device = tablet.demo_pair(e2e_hall, sitting, seat_id)
    expect(page.locator("#signin-card")).to_have_attribute("data-status", "signed_in")
    expect(page.locator("#signin-card [data-signin-status]")).to_contain_text("已签到")
    expect(page.locator("#vote-area .vote-calm")).to_contain_text("目前没有进行中的表决")

    poll = open_poll(e2e_hall, fleet, sitting, countdown=600, title="关于2027年市级预算的决议草案")
    expect(page.locator("#vote-title")).to_have_text("关于2027年市级预算的决议草案", timeout=LIVE)
    expect(page.locator("#tablet")).to_have_attribute("data-vote", "active")
    expect(page.locator("#vote-clock-time")).to_have_text(re.compile(r"^(10:00|09:5\d)$"))
    buttons = page.locator(".vote-btn")
    expect(buttons).to_have_text(["赞成", "反对", "弃权"])
    for i in range(3):  # big targets a delegate cannot miss
        box = buttons.nth(i).bounding_box()
        assert box["height"] >= 150 and box["width"] >= 250, box
    colours = page.evaluate("[...document.querySelectorAll('.vote-btn')].map(b => getComputedStyle(b).backgroundColor)")
    assert colours == ["rgb(29, 122, 58)", "rgb(179, 38, 30)", "rgb(184, 111, 0)"]  # green, red, amber
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    expect(page.locator("#vote-area")).not_to_contain_text("null")
    page.screenshot(path=str(shots / "tablet-vote-buttons-1280x800.png"))
    page.set_viewport_size({"width": 800, "height": 1280})
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert buttons.nth(2).bounding_box()["height"] >= 150
    page.screenshot(path=str(shots / "tablet-vote-buttons-800x1280.png"))
    page.set_viewport_size({"width": 1280, "height": 800})

    # The confirm step; 返回 goes back without sending anything.
    page.click(".vote-btn--for")
    expect(page.locator("#vote-confirm-question")).to_have_text("确认投赞成票？")
    page.screenshot(path=str(shots / "tablet-vote-confirm-1280x800.png"))
    page.click("#vote-back")
    expect(buttons).to_have_count(3)
    page.click(".vote-btn--against")
    expect(page.locator("#vote-confirm-question")).to_have_text("确认投反对票？")
    page.click("#vote-back")
    assert tablet.sent_messages("ballot.cast") == []

    page.click(".vote-btn--for")
    page.click("#vote-confirm")
    recorded = page.locator("#vote-recorded")
    expect(recorded).to_be_visible(timeout=LIVE)
    expect(page.locator(".vote-recorded__title")).to_have_text("已记录")
    expect(page.locator("#vote-receipt")).to_contain_text("回执：第1号")
    # Anonymous: the tablet says it was recorded, not how, in a neutral colour.
    expect(recorded).not_to_contain_text("赞成")
    assert page.evaluate("getComputedStyle(document.querySelector('#vote-recorded')).backgroundColor") == \
        "rgb(238, 242, 246)"
    page.screenshot(path=str(shots / "tablet-vote-recorded-1280x800.png"))

    # What went out: one signed ballot, byte for byte the protocol's.
    (ballot,) = tablet.sent_messages("ballot.cast")
    assert ballot["poll"] == poll and ballot["choice"] == "for" and "replaces" not in ballot
    assert re.fullmatch(r"[0-9a-f]{64}", ballot["secret_hash"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{86}", ballot["signature"])
    kept = stored_ballot(page, sitting, poll, member_id)
    assert kept["state"] == "recorded" and kept["receipt"]["position"] == 1 and "choice" not in kept
    assert canonical.secret_hash(kept["secret"]) == ballot["secret_hash"]
    public_key(e2e_hall, device["id"]).verify(
        base64.urlsafe_b64decode(ballot["signature"] + "=="),
        canonical.ballot_message(sitting, poll, ballot["secret_hash"], "for"))  # raises if it does not verify

    # The server stored one anonymous entry: no member, no device, no signature.
    (row,) = entries(e2e_hall, poll)
    assert row[:4] == (1, "for", ballot["secret_hash"], None)
    assert row[4:] == (None, None, "")

    # A reload: still shown as voted, with the receipt, and nothing is sent again.
    page.reload()
    tablet.wait_online()
    expect(page.locator("#vote-recorded")).to_be_visible()
    expect(page.locator("#vote-receipt")).to_contain_text("回执：第1号")
    expect(page.locator(".vote-btn")).to_have_count(0)
    assert len(tablet.sent_messages("ballot.cast")) == 1

    # Closed, then announced.
    assert fleet.request(sitting, "poll.close", poll=poll)["type"] == "ok"
    expect(page.locator("#vote-state")).to_contain_text("表决已结束，等待宣布结果", timeout=LIVE)
    expect(page.locator("#vote-voted")).to_contain_text("您已投票")
    assert "secret" not in stored_ballot(page, sitting, poll, member_id)  # no use for it any more
    assert fleet.request(sitting, "poll.announce", poll=poll)["type"] == "ok"
    expect(page.locator(".verdict")).to_have_text("未通过", timeout=LIVE)  # 1 of 40 is not more than half
    expect(page.locator(".result-figure--for dd")).to_have_text("1")
    expect(page.locator(".result-figure--not_voted dd")).to_have_text(str(len(voters) - 2))
    page.screenshot(path=str(shots / "tablet-vote-announced-1280x800.png"))
    assert tablet.js_errors() == []


def test_an_appointment_is_voted_nominee_by_nominee(context, e2e_hall, sitting, voters, fleet, shots):
    seat_id, member_id, _, _ = voters[1]
    tablet = Tablet(context, viewport=(800, 1280))
    page = tablet.page
    tablet.demo_pair(e2e_hall, sitting, seat_id)
    poll = open_poll(e2e_hall, fleet, sitting, item=agenda_item(e2e_hall, sitting, 3), kind="appointment",
                     title="人事任免")
    rows = page.locator(".nominee")
    expect(rows).to_have_count(5, timeout=LIVE)
    nominees = json.loads(e2e_hall.env.query("select nominees from voting_poll where id = ?", (poll,))[0][0])
    expect(page.locator(".nominee__name")).to_have_text([n["name"] for n in nominees])

    # Nothing marked: refused on the tablet, nothing sent.
    page.click("#vote-submit")
    expect(page.locator("#vote-error")).to_have_text("请至少对一名被提名人表态")
    assert tablet.sent_messages("ballot.cast") == []

    def mark(nominee, choice):
        page.click(f".nominee[data-nominee='{nominee}'] .nominee__btn[data-choice='{choice}']")

    mark(1, "for")
    mark(2, "against")
    mark(2, "against")  # a second press clears it
    expect(page.locator(".nominee[data-nominee='2'] [aria-pressed=true]")).to_have_count(0)
    mark(2, "abstain")
    mark(4, "against")
    expect(page.locator(".nominee[data-nominee='1'] .nominee__btn[data-choice='for']")).to_have_attribute(
        "aria-pressed", "true")
    page.screenshot(path=str(shots / "tablet-appointment-800x1280.png"))
    page.click("#vote-submit")
    expect(page.locator("#vote-confirm-question")).to_have_text("请核对您的表决，确认后提交")
    expect(page.locator(".confirm-row__choice")).to_have_text(["赞成", "弃权", "未表态", "反对", "未表态"])
    page.screenshot(path=str(shots / "tablet-appointment-confirm-800x1280.png"))
    page.click("#vote-confirm")
    expect(page.locator("#vote-recorded")).to_be_visible(timeout=LIVE)
    expect(page.locator("#vote-receipt")).to_contain_text("回执：第1号")

    (ballot,) = tablet.sent_messages("ballot.cast")
    assert ballot["choice"] == {"1": "for", "2": "abstain", "4": "against"}
    (row,) = entries(e2e_hall, poll)
    assert row[1] == {"1": "for", "2": "abstain", "4": "against"} and row[4:] == (None, None, "")
    assert tablet.js_errors() == []


def test_a_dropped_socket_resends_the_same_ballot_and_a_named_vote_can_be_changed(
        context, e2e_hall, sitting, voters, fleet, shots):
    seat_id, member_id, _, _ = voters[2]
    tablet = Tablet(context)
    page = tablet.page
    device = tablet.demo_pair(e2e_hall, sitting, seat_id)
    poll = open_poll(e2e_hall, fleet, sitting, anonymous=False, allow_change=True, countdown=600)
    expect(page.locator(".vote-btn")).to_have_count(3, timeout=LIVE)
    expect(page.locator(".vote__tag--plain")).to_have_text("记名")

    # The socket drops the moment the ballot has gone out: the tablet resends the very same ballot.
    page.evaluate("""() => {
        const ws = hall.ws, send = ws.send.bind(ws);
        ws.send = (data) => { send(data); if (data.includes('"ballot.cast"')) ws.close(); };
    }""")
    page.click(".vote-btn--against")
    page.click("#vote-confirm")
    expect(page.locator("#vote-recorded")).to_be_visible(timeout=LIVE)
    expect(page.locator("#vote-recorded")).to_contain_text("您的表决已记录：")
    expect(page.locator("#vote-recorded .chip")).to_have_text("反对")  # a named poll shows the choice
    sent = tablet.sent_messages("ballot.cast")
    assert len(sent) >= 2 and page.evaluate("hall.stats.connects") >= 2
    assert all({k: m[k] for k in ("poll", "secret_hash", "choice", "signature")}
               == {k: sent[0][k] for k in ("poll", "secret_hash", "choice", "signature")} for m in sent)
    (row,) = entries(e2e_hall, poll)
    assert row[1] == "against" and row[4] == member_id and row[6] == sent[0]["signature"]

    # The change: the old ballot is replaced (its secret proves it is this tablet's), the log keeps both.
    old_secret = stored_ballot(page, sitting, poll, member_id)["secret"]
    page.click("#vote-change")
    page.click(".vote-btn--for")
    expect(page.locator("#vote-confirm-question")).to_have_text("确认修改为：赞成？")
    page.click("#vote-confirm")
    expect(page.locator("#vote-recorded .chip")).to_have_text("赞成", timeout=LIVE)
    expect(page.locator("#vote-receipt")).to_contain_text("回执：第2号")
    page.screenshot(path=str(shots / "tablet-vote-named-changed-1280x800.png"))
    change = tablet.sent_messages("ballot.cast")[-1]
    assert change["replaces"] == {"position": 1, "secret": old_secret}
    assert [(r[0], r[1], r[3]) for r in entries(e2e_hall, poll)] == [(1, "against", None), (2, "for", 1)]
    assert page.evaluate("hall.state.my_vote") == {
        "poll": poll, "voted": True, "choice": "for",
        "receipt": {"position": 2, "entry_hash": entries_hash(e2e_hall, poll, 2)}}
    # Chromium logs the dropped socket; nothing else may go wrong.
    assert tablet.js_errors(ignore=["WebSocket"]) == []
    assert device["id"]


def entries_hash(e2e_hall, poll_id, position):
    return e2e_hall.env.query("select entry_hash from voting_ballotentry where poll_id = ? and position = ?",
                              (poll_id, position))[0][0]


def test_pause_sign_in_first_and_non_voting_attendees(context, e2e_hall, sitting, voters, fleet, shots):
    # The last voting member is not signed in: the tablet asks them to, then lets them vote.
    seat_id, member_id, _, _ = voters[-1]
    tablet = Tablet(context)
    page = tablet.page
    tablet.demo_pair(e2e_hall, sitting, seat_id)
    poll = open_poll(e2e_hall, fleet, sitting)
    expect(page.locator("#vote-note")).to_contain_text("请先签到", timeout=LIVE)
    expect(page.locator(".vote-btn")).to_have_count(0)
    page.screenshot(path=str(shots / "tablet-vote-sign-in-first-1280x800.png"))
    page.click("#vote-signin")
    expect(page.locator("#signin-card")).to_have_attribute("data-status", "signed_in", timeout=LIVE)
    expect(page.locator(".vote-btn")).to_have_count(3, timeout=LIVE)

    # Paused: no buttons, said plainly; resumed: back.
    assert fleet.request(sitting, "poll.pause", poll=poll)["type"] == "ok"
    expect(page.locator("#vote-state")).to_contain_text("表决已暂停", timeout=LIVE)
    expect(page.locator(".vote-btn")).to_have_count(0)
    page.screenshot(path=str(shots / "tablet-vote-paused-1280x800.png"))
    assert fleet.request(sitting, "poll.resume", poll=poll)["type"] == "ok"
    expect(page.locator(".vote-btn")).to_have_count(3, timeout=LIVE)
    assert tablet.js_errors() == []

    # A non-voting attendee (列席) signed in: no buttons, and the tablet says why (me.voting is false;
    # the server would refuse a ballot anyway: tests/voting).
    (attendee_seat, attendee_id, _, _), *_ = seats(e2e_hall, sitting, role="non_voting")
    fleet.sign_in(sitting, [attendee_id])
    guest = Tablet(context)
    guest.demo_pair(e2e_hall, sitting, attendee_seat)
    expect(guest.page.locator("#vote-note")).to_have_text("列席人员不参加表决。", timeout=LIVE)
    expect(guest.page.locator(".vote-btn")).to_have_count(0)
    guest.page.screenshot(path=str(shots / "tablet-vote-attendee-1280x800.png"))
    assert entries(e2e_hall, poll) == []
    assert guest.js_errors() == []


def test_a_ballot_not_yet_acknowledged_is_sent_again_after_a_reload(context, e2e_hall, sitting, voters, fleet):
    seat_id, member_id, _, _ = voters[3]
    tablet = Tablet(context)
    page = tablet.page
    tablet.demo_pair(e2e_hall, sitting, seat_id)
    poll = open_poll(e2e_hall, fleet, sitting)
    expect(page.locator(".vote-btn")).to_have_count(3, timeout=LIVE)

    # The ballot never leaves (a socket that silently swallows it); the tablet keeps it and waits.
    page.evaluate("""() => {
        const ws = hall.ws, send = ws.send.bind(ws);
        ws.send = (data) => { if (!data.includes('"ballot.cast"')) send(data); };
    }""")
    page.click(".vote-btn--abstain")
    page.click("#vote-confirm")
    expect(page.locator("#vote-sending")).to_be_visible()
    expect(page.locator(".vote-btn")).to_have_count(0)  # no second ballot while one is on its way
    kept = stored_ballot(page, sitting, poll, member_id)
    assert kept["state"] == "sending" and kept["ballot"]["choice"] == "abstain"
    assert entries(e2e_hall, poll) == []

    # Reloaded (or the tablet restarted): the same ballot goes out and is recorded.
    page.reload()
    tablet.wait_online()
    expect(page.locator("#vote-recorded")).to_be_visible(timeout=LIVE)
    (resent,) = tablet.sent_messages("ballot.cast")
    assert {k: resent[k] for k in ("poll", "secret_hash", "choice", "signature")} == kept["ballot"]
    (row,) = entries(e2e_hall, poll)
    assert row[1] == "abstain" and row[2] == kept["ballot"]["secret_hash"]
    assert tablet.js_errors() == []


# The device's own clock, seven minutes fast (a tablet or a hall screen on an isolated network).
FAST_CLOCK = "(() => { const real = Date.now; Date.now = () => real.call(Date) + 7 * 60 * 1000; })();"


def test_countdowns_run_on_the_servers_clock_even_where_the_device_clock_is_wrong(
        context, e2e_hall, sitting, voters, fleet, hall_pages):
    context.add_init_script(FAST_CLOCK)
    open_poll(e2e_hall, fleet, sitting, countdown=600)
    # Both connect after the poll opened: all they know of time is what the server says.
    seat_id, _, _, _ = voters[4]
    tablet = Tablet(context)
    tablet.demo_pair(e2e_hall, sitting, seat_id)
    ten_minutes = re.compile(r"^(10:00|09:[3-5]\d)$")  # not 02:59 (the device's clock) or 00:00
    expect(tablet.page.locator("#vote-clock-time")).to_have_text(ten_minutes, timeout=LIVE)
    display = hall_pages.display(sitting)
    expect(display.page.locator("#vote-clock")).to_have_text(ten_minutes, timeout=LIVE)
    for page in (tablet.page, display.page):
        skew = page.evaluate("Date.now() - Hall.serverNow()")
        assert 7 * 60_000 - 5_000 < skew < 7 * 60_000 + 5_000, skew
    assert tablet.js_errors() == [] and display.js_errors() == []
