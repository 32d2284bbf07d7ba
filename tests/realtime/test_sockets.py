"""The three sockets against a real daphne process, spoken to with `websockets`."""

import asyncio
import json
import time

import pytest
from websockets.exceptions import InvalidStatus

from tests.devicekit import paired
from tests.hallserver import HallEnv, start_server
from tests.realtime.wsclient import HallClient, ProtocolViolation


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = HallEnv(tmp_path_factory.mktemp("sockets")).prepare(deputies=40, standing=15)
    srv = start_server(env)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def plenary(server):
    return server.env.meeting_ids()["plenary"]


@pytest.fixture(scope="module")
def voters(server, plenary):
    rows = server.env.query(
        "select member_id from meeting_participant where meeting_id=? and role='voting' order by member_id",
        (plenary,),
    )
    return [r[0] for r in rows]


@pytest.fixture(scope="module")
def operator_cookie(server):
    return server.env.staff_cookie("op-sockets", "操作员")


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


async def refusal(server, kind, meeting_id, **kwargs):
    client = await HallClient.open(server, kind, meeting_id, **kwargs)
    message = await client.recv()
    await asyncio.wait_for(client.ws.wait_closed(), 5)
    return message, client.ws.close_code


async def test_each_role_gets_a_snapshot_of_what_it_may_see(server, plenary, voters, operator_cookie):
    t = await tablet(server, plenary, voters[0])
    d = await display(server, plenary)
    c = await console(server, plenary, operator_cookie)
    assert t.state["me"]["id"] == voters[0] and t.state["me"]["seat"]
    assert set(t.last) == {"tablet", "member"}
    assert "me" not in d.state and "notices" not in d.state and set(d.last) == {"display"}
    assert "sent_notices" in c.state and "me" not in c.state and set(c.last) == {"console"}
    for client in (t, d, c):
        assert client.state["meeting"]["id"] == plenary and client.state["agenda"]
        await client.close()


@pytest.mark.parametrize("case, code", [
    ("no_device", "no_device"),
    ("console_anonymous", "login_required"),
    ("console_display_user", "wrong_role"),
])
async def test_wrong_credentials_are_refused_with_a_reason(server, plenary, voters, case, code):
    # Device refusals (forged, revoked, unknown, wrong kind or meeting) are in tests/devices.
    kind, extra = {
        "no_device": ("tablet", {}),
        "console_anonymous": ("console", {}),
        "console_display_user": ("console", {"cookie": server.env.staff_cookie("screen", "大屏")}),
    }[case]
    message, close_code = await refusal(server, kind, plenary, **extra)
    assert message["type"] == "error" and message["code"] == code and message["message"]
    assert close_code == 4403


async def test_a_foreign_origin_is_rejected_at_the_handshake(server, plenary, voters):
    with pytest.raises(InvalidStatus) as rejected:
        await HallClient.open(server, "console", plenary, origin="http://evil.example")
    assert rejected.value.response.status_code == 403


async def test_console_actions_reach_every_client_in_order(server, plenary, voters, operator_cookie):
    c = await console(server, plenary, operator_cookie)
    tablets = [await tablet(server, plenary, m) for m in voters[:3]]
    d = await display(server, plenary)
    clients = [c, *tablets, d]
    if c.state["meeting"]["state"] == "scheduled":
        assert (await c.request("meeting.open", 1))["type"] == "ok"
    items = [i["id"] for i in c.state["agenda"]]
    for n, item in enumerate(items):
        assert (await c.request("agenda.set_current", f"item{n}", item=item))["type"] == "ok"
        assert (await c.request("display.set", f"msg{n}", mode="message", text=f"第{n}条"))["type"] == "ok"
    for client in clients:
        await client.pump_until(lambda cl: cl.state["display"]["text"] == f"第{len(items) - 1}条")
        seqs = [e["seq"] for e in client.events]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        assert client.state["current_item"] == items[-1]
        # The folded state equals what a fresh snapshot says now.
        folded = client.state
        await client.ws.send(json.dumps({"type": "resync"}))
        await client.pump_until(lambda cl: cl.state is not folded)
        assert client.state == folded
        await client.close()


async def test_events_reach_only_their_audience(server, plenary, voters, operator_cookie):
    c = await console(server, plenary, operator_cookie)
    me = await tablet(server, plenary, voters[0])
    other = await tablet(server, plenary, voters[1])
    d = await display(server, plenary)
    await c.request("notice.send", "n1", text="请到主席台", member=voters[0])
    await me.wait_event("notice.member")
    await c.wait_event("notice.sent")
    assert me.state["my_notices"][0]["text"] == "请到主席台"
    await other.assert_silent()
    await d.assert_silent()
    await c.request("notice.send", "n2", text="全体代表请就座")
    for t in (me, other):
        await t.wait_event("notice.hall")
        assert t.state["notices"][0]["text"] == "全体代表请就座"
    await d.assert_silent()
    assert {e["kind"] for e in other.events} == {"notice.hall"}
    assert c.state["sent_notices"][0]["text"] == "全体代表请就座"
    assert c.state["sent_notices"][1]["to"]  # the member notice names its recipient
    for client in (c, me, other, d):
        await client.close()


async def test_reconnect_after_missed_events_starts_from_a_fresh_snapshot(server, plenary, voters, operator_cookie):
    c = await console(server, plenary, operator_cookie)
    t = await tablet(server, plenary, voters[4])
    before = t.seq
    await t.close()
    await c.request("display.set", "away", mode="message", text="断线期间的消息")
    await c.request("notice.send", "away2", text="断线期间的私人通知", member=voters[4])
    t2 = await tablet(server, plenary, voters[4])
    assert t2.seq > before
    assert t2.state["display"]["text"] == "断线期间的消息"
    assert t2.state["my_notices"][0]["text"] == "断线期间的私人通知"
    # A client that detects a gap asks for a snapshot and is whole again.
    await c.request("display.set", "gap1", mode="message", text="一")
    await t2.pump_until(lambda cl: cl.state["display"]["text"] == "一")
    t2.last["tablet"] -= 1  # pretend we lost the previous event
    await c.request("display.set", "gap2", mode="message", text="二")
    with pytest.raises(ProtocolViolation, match="gap"):
        t2.handle(await t2.recv())  # the next event shows the gap
    await t2.ws.send(json.dumps({"type": "resync"}))
    await t2.pump_until(lambda cl: cl.state["display"]["text"] == "二")
    await c.close()
    await t2.close()


async def test_bad_messages_get_an_error_change_nothing_and_keep_the_socket(server, plenary, voters, operator_cookie):
    c = await console(server, plenary, operator_cookie)
    t = await tablet(server, plenary, voters[5])
    state_before = c.state
    cases = [
        (c, "not json", None, "malformed"),
        (c, "[1, 2]", None, "malformed"),
        (c, json.dumps({"type": 5}), None, "malformed"),
        (c, json.dumps({"type": "ping", "id": {"x": 1}}), None, "malformed"),
        (c, json.dumps({"type": "display.set", "id": "big", "mode": "message", "text": "长" * 20000}), None,
         "too_large"),
        (c, json.dumps({"type": "launch", "id": "u"}), "u", "unknown_type"),
        (c, json.dumps({"type": "display.set", "id": "m", "mode": "fireworks"}), "m", "bad_mode"),
        (c, json.dumps({"type": "agenda.set_current", "id": "i", "item": "7"}), "i", None),
        (c, json.dumps({"type": "notice.send", "id": "n", "text": ""}), "n", "empty_message"),
        (t, json.dumps({"type": "meeting.close", "id": "t"}), "t", "unknown_type"),
        (t, json.dumps({"type": "display.set", "id": "t2", "mode": "welcome"}), "t2", "unknown_type"),
    ]
    for client, raw, rid, code in cases:
        await client.ws.send(raw)
        reply = await client.recv()
        assert reply["type"] == "error", raw
        assert reply["id"] == rid
        if code:
            assert reply["code"] == code, (raw, reply)
    await c.ws.send(b"\x00binary")
    assert (await c.recv())["code"] == "malformed"
    for client in (c, t):
        before = time.time() * 1000
        pong = await client.request("ping", "alive")
        # The server's clock rides on every pong (and snapshot): the pages' countdowns run on it.
        assert pong["pong"] is True and before - 1 <= pong["now"] <= time.time() * 1000 + 1
    before = time.time() * 1000
    await c.ws.send(json.dumps({"type": "resync"}))
    snapshot = await c.recv()
    assert snapshot["type"] == "snapshot" and snapshot["state"] == state_before
    assert before - 1 <= snapshot["now"] <= time.time() * 1000 + 1
    await c.close()
    await t.close()
