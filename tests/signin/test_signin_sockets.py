"""Sign-in over real sockets against a real server: the console's window, manual sign-in and
leave; a tablet's tap and sub-venue code; what the displays see; bad input that changes nothing;
and a burst of taps that reaches the hall as a few coalesced events."""

import asyncio
import json
import urllib.request

import pytest

from signin import codes
from tests.devicekit import demo_pair, paired
from tests.hallserver import HallEnv, start_server
from tests.realtime.wsclient import HallClient


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = HallEnv(tmp_path_factory.mktemp("signin")).prepare(deputies=40, standing=15)
    srv = start_server(env)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def plenary(server):
    return server.env.meeting_ids()["plenary"]


@pytest.fixture(scope="module")
def voters(server, plenary):
    return [r[0] for r in server.env.query(
        "select member_id from meeting_participant where meeting_id=? and role='voting' order by member_id", (plenary,))]


@pytest.fixture(scope="module")
def attendees(server, plenary):
    return [r[0] for r in server.env.query(
        "select member_id from meeting_participant where meeting_id=? and role='non_voting' order by member_id",
        (plenary,))]


@pytest.fixture(scope="module")
def sub_venue(server, plenary):
    return server.env.query("select venue_id from meeting_subvenue where meeting_id=?", (plenary,))[0][0]


@pytest.fixture(scope="module")
def cookie(server):
    return server.env.staff_cookie("op-signin", "操作员")


async def tablet(server, meeting_id, member_id):
    client = await HallClient.open_device(server, "tablet", meeting_id, paired(server, "tablet", meeting_id, member_id),
                                          member_id=member_id)
    await client.start()
    return client


async def display(server, meeting_id):
    client = await HallClient.open_device(server, "display", meeting_id, paired(server, "display", meeting_id))
    await client.start()
    return client


async def console(server, meeting_id, cookie):
    client = await HallClient.open(server, "console", meeting_id, cookie=cookie)
    await client.start()
    return client


def records(server, plenary, member_id=None):
    sql = "select member_id, method, place, late, reason from signin_signinrecord where meeting_id=?"
    params = [plenary]
    if member_id is not None:
        sql += " and member_id=?"
        params.append(member_id)
    return server.env.query(sql, params)


def stored(server, plenary):
    """Everything bad input must not change."""
    q = server.env.query
    return (q("select count(*) from signin_signinrecord where meeting_id=?", (plenary,)),
            q("select count(*) from signin_leave where meeting_id=?", (plenary,)),
            q("select last_seq from meeting_meeting where id=?", (plenary,)),
            q("select count(*) from meeting_auditentry"))


def key(server):
    return server.env.secret_key


@pytest.fixture(scope="module")
def opened(server, plenary, cookie):
    async def open_window():
        c = await console(server, plenary, cookie)
        reply = await c.request("signin.open", "open")
        assert reply["type"] == "ok" or reply["code"] == "signin_already_open"
        await c.close()

    asyncio.run(open_window())


async def test_before_the_window_opens_a_tap_is_refused(server, plenary, voters, cookie):
    t = await tablet(server, plenary, voters[-1])
    assert t.state["attendance"]["window"]["state"] == "not_started"
    before = stored(server, plenary)
    reply = await t.request("signin.tap", "t")
    assert reply["type"] == "error" and reply["code"] == "signin_not_started" and reply["message"] == "签到尚未开始"
    assert stored(server, plenary) == before
    await t.close()


async def test_the_console_opens_sign_in_and_every_surface_sees_it(server, plenary, voters, cookie):
    c = await console(server, plenary, cookie)
    d = await display(server, plenary)
    t = await tablet(server, plenary, voters[0])
    assert d.state["attendance"]["entitled"] == 40 and d.state["present_seats"] == []
    assert t.state["my_attendance"]["status"] == "not_signed_in"
    assert (await c.request("signin.open", "o"))["type"] == "ok"
    for client in (c, d, t):
        await client.pump_until(lambda x: x.state["attendance"]["window"]["state"] == "open")
    assert (await c.request("signin.open", "o2"))["code"] == "signin_already_open"
    for client in (c, d, t):
        await client.close()


async def test_a_tablet_taps_and_the_hall_sees_it(server, plenary, voters, cookie, opened):
    member = voters[1]
    c = await console(server, plenary, cookie)
    d = await display(server, plenary)
    t = await tablet(server, plenary, member)
    present = d.state["attendance"]["present"]
    reply = await t.request("signin.tap", "tap")
    seat = t.state["me"]["seat"]
    assert reply["type"] == "ok" and reply["already"] is False
    assert reply["signin"]["method"] == "seat" and reply["signin"]["place"] == seat and reply["member"]["id"] == member
    await t.pump_until(lambda x: x.state["my_attendance"]["status"] == "signed_in")
    assert t.state["my_attendance"]["place"] == seat and t.state["my_attendance"]["late"] is False
    await d.pump_until(lambda x: x.state["attendance"]["present"] == present + 1)
    seat_id = server.env.query("select seat_id from meeting_seatassignment where meeting_id=? and member_id=?",
                               (plenary, member))[0][0]
    await c.pump_until(lambda x: seat_id in x.state.get("present_seats", []))
    await d.pump_until(lambda x: seat_id in x.state.get("present_seats", []))
    assert records(server, plenary, member) == [(member, "seat", seat, 0, "")]
    # Again: the same record, and nothing new anywhere.
    before = stored(server, plenary)
    again = await t.request("signin.tap", "tap2")
    assert again["type"] == "ok" and again["already"] is True and again["signin"]["at"] == reply["signin"]["at"]
    assert stored(server, plenary) == before
    for client in (c, d, t):
        await client.close()


async def test_a_paired_tablet_records_its_device(server, plenary, voters, opened):
    member = voters[2]
    seat_id = server.env.query("select seat_id from meeting_seatassignment where meeting_id=? and member_id=?",
                               (plenary, member))[0][0]
    device = demo_pair(server.base, "tablet", plenary, seat_id)
    t = await HallClient.open_device(server, "tablet", plenary, device, member_id=member)
    await t.start()
    assert (await t.request("signin.tap", "tap"))["type"] == "ok"
    assert server.env.query("select device from signin_signinrecord where member_id=? and meeting_id=?",
                            (member, plenary)) == [(device.device_id,)]
    await t.close()


async def test_the_console_signs_in_by_hand_and_records_leave(server, plenary, voters, cookie, opened):
    c = await console(server, plenary, cookie)
    d = await display(server, plenary)
    t = await tablet(server, plenary, voters[4])
    leave = d.state["attendance"]["leave"]
    assert (await c.request("signin.manual", "m0", member=voters[3]))["code"] == "reason_required"
    assert (await c.request("signin.manual", "m1", member=voters[3], reason=" "))["code"] == "reason_required"
    assert (await c.request("signin.manual", "m2", member="x", reason="r"))["code"] == "bad_request"
    manual = await c.request("signin.manual", "m3", member=voters[3], reason="代表证遗忘")
    assert manual["type"] == "ok" and manual["signin"]["method"] == "manual"
    assert records(server, plenary, voters[3]) == [(voters[3], "manual", "主控台", 0, "代表证遗忘")]
    assert (await c.request("signin.leave", "l1", member=voters[4], reason="出差"))["type"] == "ok"
    assert (await c.request("signin.leave", "l2", member=voters[4]))["code"] == "already_on_leave"
    assert (await c.request("signin.leave", "l3", member=voters[3]))["code"] == "already_signed_in"
    await d.pump_until(lambda x: x.state["attendance"]["leave"] == leave + 1)
    await t.pump_until(lambda x: x.state["my_attendance"]["status"] == "leave")
    for client in (c, d, t):
        await client.close()


async def test_the_console_scans_a_badge(server, plenary, voters, attendees, cookie, opened):
    c = await console(server, plenary, cookie)
    code = codes.badge_code(voters[5], 1, key=key(server))
    reply = await c.request("signin.scan", "s", code=code, place="北门")
    assert reply["type"] == "ok" and reply["member"]["id"] == voters[5] and reply["signin"]["place"] == "北门"
    attendee = await c.request("signin.scan", "a", code=codes.badge_code(attendees[0], 1, key=key(server)))
    assert attendee["type"] == "ok" and attendee["member"]["kind"] == "attendee"
    await c.pump_until(lambda x: x.state["attendance"]["attendees"] >= 1)
    await c.close()


async def test_a_member_at_the_sub_venue_signs_in_with_its_rotating_code(server, plenary, voters, sub_venue, cookie,
                                                                        opened):
    request = urllib.request.Request(f"{server.base}/display/{plenary}/venue-code/{sub_venue}/code/",
                                     headers={"Cookie": f"sessionid={cookie}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        shown = json.loads(response.read())
    t = await tablet(server, plenary, voters[6])
    reply = await t.request("signin.venue", "v", code=shown["code"])
    assert reply["type"] == "ok" and reply["signin"]["method"] == "venue" and reply["signin"]["place"] == "青山县分会场"
    await t.close()


async def test_bad_input_gets_its_reason_and_changes_nothing(server, plenary, voters, sub_venue, cookie, opened):
    import time

    out = server.env.manage("shell", "-c", (
        "from meeting.models import Member;"
        "print(Member.objects.get_or_create(member_number='X9999', defaults={'name': '局外人'})[0].id)"))
    outsider = int(out.stdout.strip().splitlines()[-1])
    c = await console(server, plenary, cookie)
    t = await tablet(server, plenary, voters[7])
    d = await display(server, plenary)
    # A lost badge: the console reissues it; the old code stops working.
    old = codes.badge_code(voters[8], 1, key=key(server))
    assert (await c.request("signin.badge_revoke", "r", member=voters[8]))["version"] == 2
    await asyncio.sleep(0.5)
    for client in (c, t, d):
        client.events.clear()
    before = stored(server, plenary)
    window = codes.current_window(time.time())
    cases = [
        (c, "signin.scan", {"code": old[:-4] + "AAAA"}, "bad_code"),
        (c, "signin.scan", {"code": old}, "code_revoked"),
        (c, "signin.scan", {"code": codes.badge_code(outsider, 1, key=key(server))}, "not_participant"),
        (c, "signin.scan", {"code": codes.badge_code(voters[8], 2, key="forged-" + "k" * 50)}, "bad_code"),
        (c, "signin.scan", {}, "empty_code"),
        (c, "signin.scan", {"code": codes.venue_code(plenary, sub_venue, key=key(server))}, "venue_code_at_door"),
        (t, "signin.venue", {"code": codes.venue_code(plenary, sub_venue, key=key(server), window=window - 3)},
         "venue_code_expired"),
        (t, "signin.venue", {"code": codes.venue_code(plenary + 1, sub_venue, key=key(server))}, "wrong_meeting"),
        (t, "signin.venue", {"code": codes.venue_code(plenary, sub_venue, key="forged-" + "k" * 50)}, "bad_venue_code"),
        (t, "signin.venue", {"code": old}, "badge_at_venue"),
        (c, "signin.manual", {"member": outsider, "reason": "x"}, "not_participant"),
        (c, "signin.leave", {"member": outsider}, "not_participant"),
        (d, "signin.tap", {}, "unknown_type"),
        (t, "signin.open", {}, "unknown_type"),
        (t, "signin.manual", {"member": voters[7], "reason": "x"}, "unknown_type"),
    ]
    for n, (client, type_, fields, code) in enumerate(cases):
        reply = await client.request(type_, f"bad{n}", **fields)
        assert reply["type"] == "error" and reply["code"] == code, (type_, fields, reply)
        assert reply["message"] and all("\u4e00" <= ch <= "\u9fff" for ch in reply["message"][:1]), reply
    await asyncio.sleep(0.6)  # longer than the coalescing delay: nothing was scheduled either
    for client in (c, t, d):
        try:
            while True:
                client.handle(await client.recv(timeout=0.1))
        except asyncio.TimeoutError:
            pass
        assert client.events == [], client.events
    assert stored(server, plenary) == before
    new = codes.badge_code(voters[8], 2, key=key(server))
    assert (await c.request("signin.scan", "new", code=new))["type"] == "ok"
    for client in (c, t, d):
        await client.close()


async def test_a_burst_of_taps_reaches_the_hall_as_a_few_events(server, plenary, voters, cookie, opened):
    members = voters[10:34]
    d = await display(server, plenary)
    c = await console(server, plenary, cookie)
    tablets = [await tablet(server, plenary, m) for m in members]
    present = d.state["attendance"]["present"]
    d.events.clear()
    replies = await asyncio.gather(*(t.request("signin.tap", "burst") for t in tablets))
    assert all(r["type"] == "ok" and not r["already"] for r in replies)
    await d.pump_until(lambda x: x.state["attendance"]["present"] == present + len(members), timeout=10)
    await asyncio.sleep(0.8)
    try:
        while True:
            d.handle(await d.recv(timeout=0.2))
    except asyncio.TimeoutError:
        pass
    kinds = [e["kind"] for e in d.events]
    assert 1 <= kinds.count("signin.attendance") <= len(members) // 2, kinds  # coalesced, not one per tap
    assert set(kinds) <= {"signin.attendance", "signin.seats"}
    fresh = await display(server, plenary)
    assert d.state["attendance"] == fresh.state["attendance"]
    assert d.state["present_seats"] == fresh.state["present_seats"]
    await c.pump_until(lambda x: x.state["present_seats"] == fresh.state["present_seats"], timeout=5)
    for client in (d, c, fresh, *tablets):
        await client.close()


async def test_after_the_window_closes_sign_in_is_late(server, plenary, voters, cookie, opened):
    c = await console(server, plenary, cookie)
    t = await tablet(server, plenary, voters[35])
    assert (await c.request("signin.close", "close"))["type"] == "ok"
    await t.pump_until(lambda x: x.state["attendance"]["window"]["state"] == "closed")
    reply = await t.request("signin.tap", "late")
    assert reply["type"] == "ok" and reply["signin"]["late"] is True
    await t.pump_until(lambda x: x.state["my_attendance"]["late"] is True)
    assert records(server, plenary, voters[35])[0][3] == 1
    assert (await c.request("signin.close", "close2"))["code"] == "signin_not_open"
    assert (await c.request("signin.open", "reopen"))["type"] == "ok"
    for client in (c, t):
        await client.close()
