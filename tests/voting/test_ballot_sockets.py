"""Signed ballots through real sockets against a real server, and the anonymity property: after
an anonymous poll nothing in the database or the server's log links a ballot to a member."""

import asyncio
import json
import secrets
import sqlite3

import pytest

from tests.devicekit import demo_pair
from tests.hallserver import HallEnv, start_server
from tests.realtime.wsclient import HallClient
from voting import canonical


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = HallEnv(tmp_path_factory.mktemp("ballots")).prepare(deputies=40, standing=15)
    env.debug_log = True
    srv = start_server(env)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def plenary(server):
    return server.env.meeting_ids()["plenary"]


@pytest.fixture(scope="module")
def seated(server, plenary):
    """Every voting member's tablet paired (demo) and every member signed in."""
    rows = server.env.query(
        "select a.seat_id, a.member_id from meeting_seatassignment a join meeting_participant p"
        " on p.meeting_id=a.meeting_id and p.member_id=a.member_id where a.meeting_id=? and p.role='voting'"
        " order by a.seat_id", (plenary,))
    server.env.manage("shell", "-c", (
        "from django.utils import timezone; from signin.models import SigninRecord;"
        "from meeting.models import Participant;"
        f"SigninRecord.objects.bulk_create([SigninRecord(meeting_id={plenary}, member_id=p.member_id,"
        f" method='manual', at=timezone.now()) for p in Participant.objects.filter(meeting_id={plenary})])"))
    return [(member_id, demo_pair(server.base, "tablet", plenary, seat_id)) for seat_id, member_id in rows]


@pytest.fixture(scope="module")
def operator_cookie(server):
    return server.env.staff_cookie("op-ballots", "操作员")


def signed_ballot(key, meeting_id, poll_id, choice, secret=None):
    secret = secret or secrets.token_urlsafe(32)
    digest = canonical.secret_hash(secret)
    text = canonical.canonical_choice("motion" if isinstance(choice, str) else "appointment", choice)
    signature = key.sign(canonical.ballot_message(meeting_id, poll_id, digest, text))
    return {"type": "ballot.cast", "poll": poll_id, "secret_hash": digest, "choice": choice, "signature": signature}


async def open_console(server, plenary, cookie):
    console = await HallClient.open(server, "console", plenary, cookie=cookie)
    await console.start()
    if console.state["meeting"]["state"] == "scheduled":
        assert (await console.request("meeting.open", "m"))["type"] == "ok"
    return console


async def new_poll(console, **options):
    item = console.state["agenda"][1]["id"]
    reply = await console.request("poll.prepare", f"p{secrets.token_hex(2)}", item=item, **options)
    assert reply["type"] == "ok", reply
    poll = reply["poll"]
    opened = await console.request("poll.open", f"o{poll}", poll=poll)
    assert opened["type"] == "ok", opened
    return poll


async def tablets(server, plenary, seated, count):
    clients = []
    for member_id, key in seated[:count]:
        client = await HallClient.open_device(server, "tablet", plenary, key, member_id=member_id)
        await client.start()
        client.key = key
        clients.append(client)
    return clients


async def test_an_anonymous_poll_counts_signed_ballots_and_leaves_no_link(server, plenary, seated, operator_cookie):
    console = await open_console(server, plenary, operator_cookie)
    poll = await new_poll(console, anonymous=True)
    voters = await tablets(server, plenary, seated, 30)
    display = await HallClient.open_device(server, "display", plenary, demo_pair(server.base, "display", plenary))
    await display.start()
    choices = ["for"] * 20 + ["against"] * 6 + ["abstain"] * 4
    ballots = [signed_ballot(t.key, plenary, poll, c) for t, c in zip(voters, choices)]
    replies = await asyncio.gather(*[t.request("ballot.cast", f"b{i}", **b)
                                     for i, (t, b) in enumerate(zip(voters, ballots))])
    assert all(r["type"] == "ok" for r in replies), [r for r in replies if r["type"] != "ok"][:3]
    positions = sorted(r["receipt"]["position"] for r in replies)
    assert positions == list(range(1, 31))
    assert all(r["patch"]["my_vote"] == {"poll": poll, "voted": True} for r in replies)

    # Resending is harmless and returns the same receipt; a different ballot is refused.
    again = await voters[0].request("ballot.cast", "again", **ballots[0])
    assert again["receipt"] == replies[0]["receipt"]
    other = await voters[0].request("ballot.cast", "other", **signed_ballot(voters[0].key, plenary, poll, "against"))
    assert other["code"] == "already_voted"

    # The display sees the count go up, coalesced, without anyone's name.
    await display.pump_until(lambda c: (c.state.get("poll_progress") or {}).get("voted") == 30)
    assert len([e for e in display.events if e["kind"] == "poll.progress"]) < 30

    assert (await console.request("poll.close", "c", poll=poll))["type"] == "ok"
    await console.pump_until(lambda c: c.state["poll"]["state"] == "closed")
    result = console.state["poll"]["result"]
    assert (result["for"], result["against"], result["abstain"], result["not_voted"]) == (20, 6, 4, 10)
    assert result["passed"] is False  # 20 of 40 entitled is not more than half
    late = await voters[-1].request("ballot.cast", "late", **signed_ballot(voters[-1].key, plenary, poll, "for"))
    assert late["code"] == "poll_closed"
    assert display.state["poll"]["result"] is None  # not before it is announced
    await console.request("poll.announce", "a", poll=poll)
    await display.pump_until(lambda c: c.state["poll"]["state"] == "announced")
    assert display.state["poll"]["result"]["for"] == 20
    # Tablets never get the live count (their page does not show it).
    await voters[0].pump_until(lambda c: c.state["poll"]["state"] == "announced")
    assert "poll_progress" not in voters[0].state
    assert not [e for e in voters[0].events if "poll_progress" in e["data"] or e["kind"] == "poll.progress"]

    for client in (console, display, *voters):
        await client.close()

    # ---- the anonymity property ----
    members = server.env.query("select id, member_number, name from meeting_member")
    secrets_in_log = [b["secret_hash"] for b in ballots]
    entry_hashes = [r["receipt"]["entry_hash"] for r in replies]
    entries = server.env.query(
        "select member_id, device_id, device_signature, recorded_at from voting_ballotentry where poll_id=?", (poll,))
    assert len(entries) == 30
    assert all(row == (None, None, "", None) for row in entries)
    turnout = json.loads(server.env.query("select member_ids from voting_turnout where poll_id=?", (poll,))[0][0])
    assert turnout == sorted(turnout) and len(turnout) == 30
    con = sqlite3.connect(f"file:{server.env.db_path}?mode=ro", uri=True)
    dump = [line for line in con.iterdump()]
    con.close()
    ballot_rows = [line for line in dump if 'INSERT INTO "voting_ballotentry"' in line]
    other_rows = [line for line in dump if 'INSERT INTO "voting_ballotentry"' not in line]
    head = server.env.query("select log_head from voting_poll where id=?", (poll,))[0][0]
    for marker in secrets_in_log + [h for h in entry_hashes if h != head]:  # the head is on the poll, by design
        leaks = [line[:200] for line in other_rows if marker in line]
        assert not leaks, f"a ballot's hash appears outside the log: {leaks}"
    member_events = server.env.query(
        "select count(*) from meeting_event where meeting_id=? and audience='member' and kind like 'poll%'", (plenary,))
    assert member_events[0][0] == 0
    key_ids = {key.device_id for _, key in seated}
    assert not any(device_id in line or device_id.replace("-", "") in line
                   for line in ballot_rows for device_id in key_ids)
    log_text = "".join(p.read_text(errors="replace") for p in server.env.var_dir.glob("server-*.log"))
    for marker in secrets_in_log + entry_hashes + [b["signature"] for b in ballots]:
        assert marker not in log_text
    for _, number, name in members:
        assert number not in log_text and name not in log_text


async def test_a_named_poll_keeps_the_signed_record(server, plenary, seated, operator_cookie):
    console = await open_console(server, plenary, operator_cookie)
    poll = await new_poll(console, anonymous=False)
    voters = await tablets(server, plenary, seated, 3)
    for i, t in enumerate(voters):
        reply = await t.request("ballot.cast", f"n{i}", **signed_ballot(t.key, plenary, poll, "for"))
        assert reply["patch"]["my_vote"]["choice"] == "for"
    await console.pump_until(lambda c: c.state.get("not_voted") is not None and len(c.state["not_voted"]) == 37,
                             timeout=5)
    rows = server.env.query("select member_id, device_signature from voting_ballotentry where poll_id=?", (poll,))
    assert {r[0] for r in rows} == {t.member_id for t in voters} and all(r[1] for r in rows)
    await console.request("poll.close", "c", poll=poll)
    for client in (console, *voters):
        await client.close()


async def test_forged_replayed_and_malformed_ballots_are_refused(server, plenary, seated, operator_cookie):
    console = await open_console(server, plenary, operator_cookie)
    poll = await new_poll(console, anonymous=True)
    [voter, neighbour] = await tablets(server, plenary, seated[35:], 2)
    cases = [
        ("signed by another tablet's key", signed_ballot(neighbour.key, plenary, poll, "for"), "bad_signature"),
        ("signed for another poll", {**signed_ballot(voter.key, plenary, poll + 1000, "for"), "poll": poll},
         "bad_signature"),
        ("signed for another meeting", signed_ballot(voter.key, plenary + 1, poll, "for"), "bad_signature"),
        ("unknown option", {**signed_ballot(voter.key, plenary, poll, "for"), "choice": "maybe"}, "bad_choice"),
        ("no signature", {**signed_ballot(voter.key, plenary, poll, "for"), "signature": ""}, "bad_signature"),
        ("bad secret", {**signed_ballot(voter.key, plenary, poll, "for"), "secret_hash": "zz"}, "bad_request"),
        ("poll is a string", {**signed_ballot(voter.key, plenary, poll, "for"), "poll": str(poll)}, "bad_request"),
        ("no such poll", signed_ballot(voter.key, plenary, 999999, "for"), "no_poll"),
    ]
    for label, ballot, expected in cases:
        reply = await voter.request("ballot.cast", label, **ballot)
        assert reply["type"] == "error" and reply["code"] == expected, (label, reply)
    assert server.env.query("select count(*) from voting_ballotentry where poll_id=?", (poll,))[0][0] == 0
    await console.request("poll.pause", "pause", poll=poll)
    paused = await voter.request("ballot.cast", "paused", **signed_ballot(voter.key, plenary, poll, "for"))
    assert paused["code"] == "paused"
    await console.request("poll.resume", "resume", poll=poll)
    ok = await voter.request("ballot.cast", "ok", **signed_ballot(voter.key, plenary, poll, "for"))
    assert ok["type"] == "ok"
    await console.request("poll.cancel", "cancel", poll=poll, reason="测试")
    for client in (console, voter, neighbour):
        await client.close()
