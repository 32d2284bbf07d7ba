"""Paired devices on real sockets: challenge-response, forgeries and replays, revocation
mid-session, member identification and takeover, and the console's presence view."""

import asyncio
import json

import pytest

from tests.devicekit import DeviceKey, demo_pair, post_json
from tests.hallserver import HallEnv, start_server
from tests.realtime.wsclient import HallClient


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = HallEnv(tmp_path_factory.mktemp("devices")).prepare(deputies=40, standing=15)
    srv = start_server(env)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def plenary(server):
    return server.env.meeting_ids()["plenary"]


@pytest.fixture(scope="module")
def seats(server, plenary):
    """[(seat_id, member_id)] of the plenary's seat assignments."""
    return server.env.query(
        "select seat_id, member_id from meeting_seatassignment where meeting_id=? order by seat_id", (plenary,))


@pytest.fixture(scope="module")
def operator_cookie(server):
    return server.env.staff_cookie("op-devices", "操作员")


async def refused(client):
    message = await client.recv()
    await asyncio.wait_for(client.ws.wait_closed(), 5)
    return message["code"], client.ws.close_code


async def test_a_paired_tablet_proves_its_key_and_serves_its_seats_member(server, plenary, seats):
    seat_id, member_id = seats[0]
    key = demo_pair(server.base, "tablet", plenary, seat_id)
    client = await HallClient.open_device(server, "tablet", plenary, key, member_id=member_id)
    await client.start()
    assert client.state["me"]["id"] == member_id
    assert client.device["id"] == key.device_id and client.device["bound"] == member_id
    await client.close()


async def test_a_display_pairs_and_connects_the_same_way(server, plenary):
    key = demo_pair(server.base, "display", plenary)
    client = await HallClient.open_device(server, "display", plenary, key)
    await client.start()
    assert "me" not in client.state and client.state["meeting"]["id"] == plenary
    await client.close()


async def test_a_signature_from_another_key_is_refused(server, plenary, seats):
    key = demo_pair(server.base, "tablet", plenary, seats[1][0])
    impostor = DeviceKey()
    impostor.device_id = key.device_id  # knows the device id, not its key
    forged = await HallClient.open_device(server, "tablet", plenary, impostor)
    assert await refused(forged) == ("bad_signature", 4403)


async def test_a_replayed_answer_to_an_old_challenge_is_refused(server, plenary, seats):
    key = demo_pair(server.base, "tablet", plenary, seats[2][0])
    first = await HallClient.open_device(server, "tablet", plenary, key)
    await first.start()
    old_answer = key.auth_signature(plenary, first.nonce)
    await first.close()
    replay = await HallClient.open_device(server, "tablet", plenary, key, signature=old_answer)
    assert await refused(replay) == ("bad_signature", 4403)


async def test_a_malformed_signature_is_refused(server, plenary, seats):
    key = demo_pair(server.base, "tablet", plenary, seats[3][0])
    client = await HallClient.open_device(server, "tablet", plenary, key, signature="A" * 86)
    assert await refused(client) == ("bad_signature", 4403)


async def test_messages_before_auth_are_refused_and_change_nothing(server, plenary, seats):
    key = demo_pair(server.base, "tablet", plenary, seats[4][0])
    from websockets.asyncio.client import connect

    ws = await connect(f"{server.ws_base}/ws/tablet/{plenary}/?device={key.device_id}", origin=server.base)
    challenge = json.loads(await ws.recv())
    assert challenge["type"] == "challenge"
    await ws.send(json.dumps({"type": "identify", "id": 1, "number": "D0001", "pin": "0000"}))
    reply = json.loads(await ws.recv())
    assert reply["code"] == "auth_required"
    await ws.send(json.dumps({"type": "auth", "signature": key.auth_signature(plenary, challenge["nonce"])}))
    assert json.loads(await ws.recv())["type"] == "snapshot"
    await ws.close()


async def test_unknown_and_wrong_kind_devices_are_refused(server, plenary, seats):
    display_key = demo_pair(server.base, "display", plenary)
    wrong_kind = await HallClient.open_device(server, "tablet", plenary, display_key)
    assert await refused(wrong_kind) == ("wrong_role", 4403)
    ghost = DeviceKey()
    ghost.device_id = "00000000-0000-0000-0000-000000000000"
    unknown = await HallClient.open_device(server, "tablet", plenary, ghost)
    assert await refused(unknown) == ("unknown_device", 4403)


async def test_a_revoked_device_is_cut_off_mid_session_and_refused_after(server, plenary, seats, operator_cookie):
    seat_id, member_id = seats[5]
    key = demo_pair(server.base, "tablet", plenary, seat_id)
    tablet = await HallClient.open_device(server, "tablet", plenary, key, member_id=member_id)
    await tablet.start()
    console = await HallClient.open(server, "console", plenary, cookie=operator_cookie)
    await console.start()
    assert (await console.request("device.revoke", "r", device=key.device_id))["type"] == "ok"
    assert await refused(tablet) == ("device_revoked", 4403)
    again = await HallClient.open_device(server, "tablet", plenary, key)
    assert await refused(again) == ("device_revoked", 4403)
    assert (await console.request("device.revoke", "r2", device=key.device_id))["code"] == "already_revoked"
    await console.close()


async def test_a_new_tablet_paired_on_a_seat_replaces_the_old_one(server, plenary, seats):
    seat_id, member_id = seats[6]
    old = demo_pair(server.base, "tablet", plenary, seat_id)
    old_client = await HallClient.open_device(server, "tablet", plenary, old, member_id=member_id)
    await old_client.start()
    new = demo_pair(server.base, "tablet", plenary, seat_id)
    assert await refused(old_client) == ("device_revoked", 4403)
    new_client = await HallClient.open_device(server, "tablet", plenary, new, member_id=member_id)
    await new_client.start()
    assert new_client.state["me"]["id"] == member_id
    await new_client.close()


async def test_the_console_sees_presence_and_battery_live(server, plenary, seats, operator_cookie):
    seat_id, member_id = seats[7]
    console = await HallClient.open(server, "console", plenary, cookie=operator_cookie)
    await console.start()
    key = demo_pair(server.base, "tablet", plenary, seat_id)

    def row(client):
        rows = [r for r in (client.presence or {}).get("devices", []) if r["id"] == key.device_id]
        return rows[0] if rows else None

    tablet = await HallClient.open_device(server, "tablet", plenary, key, member_id=member_id)
    await tablet.start()

    async def until(predicate, timeout=6):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            try:
                await console.recv(timeout=0.3)
            except asyncio.TimeoutError:
                pass
            if row(console) and predicate(row(console)):
                return row(console)
        raise AssertionError(f"presence never matched: {row(console)}")

    seen = await until(lambda r: r["online"])
    assert seen["battery"] == 87 and seen["member_id"] == member_id and seen["seat"]
    await tablet.close()
    await until(lambda r: not r["online"])
    await console.close()


async def test_pairing_with_a_console_code_is_one_time(server, plenary, seats, operator_cookie):
    from tests.devicekit import pair

    status, body = post_json(f"{server.base}/console/{plenary}/pairing-code/", {})
    assert status == 403  # no operator session (and no CSRF token): strangers get no code
    code = server.env.manage("shell", "-c", (
        "from devices.services import create_pairing_code; from meeting.models import Meeting;"
        f"m = Meeting.objects.get(pk={plenary}); print(create_pairing_code('tablet', m.venue_id, {seats[8][0]}, None))"
    )).stdout.strip().splitlines()[-1]
    status, body, key = pair(server.base, code)
    assert status == 201 and body["kind"] == "tablet" and body["seat"]
    status, body, _ = pair(server.base, code)
    assert status == 400 and body["error"] == "code_used"
    status, body, _ = pair(server.base, "not-a-real-code")
    assert status == 400 and body["error"] == "bad_code"


async def test_two_tablets_racing_for_one_member_end_with_one_binding(server, plenary, seats):
    member_id = seats[10][1]
    number = server.env.query("select member_number from meeting_member where id=?", (member_id,))[0][0]
    server.env.manage("shell", "-c", (
        "from meeting.models import Member; from devices.services import set_member_pin;"
        f"set_member_pin(Member.objects.get(pk={member_id}), '135790')"))
    # Two tablets on seats whose own members are released, so both start unbound.
    _, clients = await unbound_tablets(server, plenary, seats, (11, 12))
    replies = await asyncio.gather(*[
        c.request("identify", "who", number=number, pin="135790") for c in clients])
    outcomes = sorted(r["type"] if r["type"] == "ok" else r["code"] for r in replies)
    assert outcomes == ["bound_elsewhere", "ok"]
    winner = clients[[r["type"] for r in replies].index("ok")]
    assert winner.state["me"]["id"] == member_id
    live = server.env.query(
        "select count(*) from devices_binding where meeting_id=? and member_id=? and ended_at is null",
        (plenary, member_id))[0][0]
    assert live == 1
    for c in clients:
        await c.close()


async def test_a_display_of_another_meeting_and_a_tablet_on_the_display_socket_are_refused(server, plenary, seats):
    standing = server.env.meeting_ids()["standing"]  # held in another room than the plenary
    display = demo_pair(server.base, "display", plenary)
    elsewhere = await HallClient.open_device(server, "display", standing, display)
    assert await refused(elsewhere) == ("wrong_meeting", 4403)
    tablet = demo_pair(server.base, "tablet", plenary, seats[13][0])
    as_display = await HallClient.open_device(server, "display", plenary, tablet)
    assert await refused(as_display) == ("wrong_role", 4403)
    no_device = await HallClient.open(server, "display", plenary)
    assert await refused(no_device) == ("no_device", 4403)
    # The same display in its own meeting is fine: the refusals were about where, not who.
    at_home = await HallClient.open_device(server, "display", plenary, display)
    await at_home.start()
    await at_home.close()


async def test_two_tablets_scanning_one_badge_end_with_one_binding_and_forgeries_are_refused(server, plenary, seats):
    from signin import codes

    member_id = seats[14][1]
    keys, clients = await unbound_tablets(server, plenary, seats, (15, 16))

    # A code signed by another server, and a genuine one of nobody on this meeting's list: refused.
    foreign = codes.badge_code(member_id, 1, key="not this server's key " * 3)
    assert (await clients[0].request("identify", "f", code=foreign))["code"] == "bad_code"
    outsider = 10**6  # every seeded member is called to the plenary
    reply = await clients[0].request("identify", "o", code=codes.badge_code(outsider, 1, key=server.env.secret_key))
    assert reply["code"] == "not_participant" and clients[0].state.get("me") is None
    failures = server.env.query("select pin_failures from devices_device where id=?",
                                (keys[0].device_id.replace("-", ""),))
    assert failures == [(1,)]  # the forged code counts toward the lockout; the outsider's genuine one does not

    code = codes.badge_code(member_id, 1, key=server.env.secret_key)
    replies = await asyncio.gather(*[c.request("identify", "who", code=code) for c in clients])
    outcomes = sorted(r["type"] if r["type"] == "ok" else r["code"] for r in replies)
    assert outcomes == ["bound_elsewhere", "ok"]
    winner = clients[[r["type"] for r in replies].index("ok")]
    assert winner.state["me"]["id"] == member_id and winner.device["bound"] == member_id
    assert (await winner.request("identify", "again", code=code))["code"] == "already_bound"
    live = server.env.query(
        "select device_id, method from devices_binding where meeting_id=? and member_id=? and ended_at is null",
        (plenary, member_id))
    assert len(live) == 1 and live[0][1] == "code"
    for c in clients:
        await c.close()


async def unbound_tablets(server, plenary, seats, indexes):
    """(keys, clients): tablets paired on the given seats with their members' bindings ended,
    connected and unbound."""
    keys = [demo_pair(server.base, "tablet", plenary, seats[i][0]) for i in indexes]
    server.env.manage("shell", "-c", (
        "from devices.models import Binding; from django.utils import timezone;"
        f"Binding.objects.filter(device_id__in={[k.device_id for k in keys]!r}).update(ended_at=timezone.now())"))
    clients = []
    for key in keys:
        client = await HallClient.open_device(server, "tablet", plenary, key)
        await client.start()
        assert client.state.get("me") is None
        clients.append(client)
    return keys, clients
