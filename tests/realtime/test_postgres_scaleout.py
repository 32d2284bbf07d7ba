"""The scale-out setting for real: two daphne processes, one PostgreSQL database, one Redis.

PostgreSQL does not serialise writers the way SQLite does (one IMMEDIATE writer at a time), so
this hammers both processes at once: two consoles publishing, every tablet tapping 签到 and then
sending its ballot through BOTH processes at the same moment. It checks what must hold however
the writers interleave: the meeting's stream is gapless (seq 1..last_seq, each once, every view's
``prev`` chain unbroken), every client sees it in order without a gap, and every ballot is stored
exactly once, in a gapless, unbroken hash chain, with both sockets of a tablet getting the same
receipt.

Needs the PostgreSQL server binaries (CI installs the ``postgresql`` package; tests/pg.py starts a
throwaway cluster) and redis-server; skipped without them.
"""

import asyncio
import json
import secrets

import pytest

from tests.devicekit import demo_pair
from tests.hallserver import HallEnv, start_server
from tests.realtime.wsclient import HallClient
from voting import canonical

DEPUTIES = 60
ROUNDS = 25  # display.set per console


@pytest.fixture(scope="module")
def servers(tmp_path_factory, pg_cluster, redis_url):
    env = HallEnv(tmp_path_factory.mktemp("pg-scaleout"), redis_url=redis_url,
                  database_url=pg_cluster.create_database("scaleout"))
    env.prepare(deputies=DEPUTIES, standing=15)
    a = start_server(env)
    b = start_server(env)
    yield a, b
    a.stop()
    b.stop()


async def resync_storm(client, stop):
    """Ask for a fresh snapshot again and again until ``stop``: each must stand at one consistent
    stream position, or the events after it arrive as duplicates or gaps (HallClient raises)."""
    count = 0
    while not stop.is_set():
        await client.ws.send(json.dumps({"type": "resync"}))
        while client.handle(await client.recv(timeout=10)).get("type") != "snapshot":
            pass
        count += 1
    return count


async def connect_storm(server, kind, meeting_id, key, stop, member_id=None):
    """Connect, take the snapshot and a few events, close; again and again until ``stop``."""
    count = 0
    while not stop.is_set():
        client = await HallClient.open_device(server, kind, meeting_id, key, member_id=member_id)
        await client.start()
        try:
            await client.pump_until(lambda c: len(c.events) >= 2, timeout=0.3)
        except asyncio.TimeoutError:
            pass
        await client.close()
        count += 1
    return count


def signed_ballot(key, meeting_id, poll_id, choice):
    digest = canonical.secret_hash(secrets.token_urlsafe(32))
    text = canonical.canonical_choice("motion", choice)
    signature = key.sign(canonical.ballot_message(meeting_id, poll_id, digest, text))
    return {"poll": poll_id, "secret_hash": digest, "choice": choice, "signature": signature}


async def test_two_processes_on_postgres_keep_one_gapless_stream_and_every_ballot_once(servers):
    a, b = servers
    env = a.env
    assert env.database_url and env.query("select version()")[0][0].startswith("PostgreSQL")
    plenary = env.meeting_ids()["plenary"]
    seated = env.query(
        "select a.seat_id, a.member_id from meeting_seatassignment a join meeting_participant p"
        " on p.meeting_id=a.meeting_id and p.member_id=a.member_id where a.meeting_id=? and p.role='voting'"
        " order by a.seat_id", (plenary,))
    assert len(seated) == DEPUTIES
    cookie = env.staff_cookie("op-pg", "操作员")

    console_a = await HallClient.open(a, "console", plenary, cookie=cookie)
    await console_a.start()
    console_b = await HallClient.open(b, "console", plenary, cookie=cookie)
    await console_b.start()
    assert (await console_a.request("meeting.open", "open"))["type"] == "ok"
    assert (await console_b.request("signin.open", "window"))["type"] == "ok"

    # Every tablet is paired once (half through each process) and opens a socket on BOTH processes,
    # as a tablet whose proxy moved it mid-vote would; a display on each process.
    homes = [a if n % 2 == 0 else b for n in range(len(seated))]
    keys = [demo_pair(home.base, "tablet", plenary, seat) for home, (seat, _m) in zip(homes, seated)]
    members = [member for _seat, member in seated]
    first, second = [], []
    for key, member, home in zip(keys, members, homes):
        other = b if home is a else a
        for server, group in ((home, first), (other, second)):
            client = await HallClient.open_device(server, "tablet", plenary, key, member_id=member)
            await client.start()
            client.key = key
            group.append(client)
    displays, stormers = [], []
    for server in (a, b):
        display_key = demo_pair(server.base, "display", plenary)
        display = await HallClient.open_device(server, "display", plenary, display_key)
        await display.start()
        displays.append(display)
        # While the writers work, more sockets of the same display and of two tablets keep asking
        # for snapshots, and others keep connecting: snapshots read while the stream moves.
        for kind, key, member in (("display", display_key, None), ("tablet", keys[0], members[0]),
                                  ("tablet", keys[1], members[1])):
            client = await HallClient.open_device(server, kind, plenary, key, member_id=member)
            await client.start()
            stormers.append((server, kind, key, member, client))

    async def storms(work):
        stop = asyncio.Event()
        tasks = [asyncio.ensure_future(resync_storm(client, stop)) for *_rest, client in stormers]
        tasks += [asyncio.ensure_future(connect_storm(server, kind, plenary, key, stop, member))
                  for server, kind, key, member, _client in stormers]
        try:
            return await work
        finally:
            stop.set()
            counts = await asyncio.gather(*tasks)
            assert all(counts), counts

    # 1. Sign-in taps from both processes at once (each tablet taps on both of its sockets)
    #    while both consoles publish.
    async def console_rounds(console, tag):
        for n in range(ROUNDS):
            reply = await console.request("display.set", f"{tag}{n}", mode="message", text=f"{tag}{n}")
            assert reply["type"] == "ok", reply

    taps = await storms(asyncio.gather(
        console_rounds(console_a, "A"), console_rounds(console_b, "B"),
        *[t.request("signin.tap", f"tap{n}") for n, t in enumerate(first)],
        *[t.request("signin.tap", f"tap{n}") for n, t in enumerate(second)],
    ))
    refused = [r for r in taps[2:] if r["type"] != "ok"]
    assert not refused, refused[:3]
    assert env.query("select count(*), count(distinct member_id) from signin_signinrecord where meeting_id=?",
                     (plenary,))[0] == (DEPUTIES, DEPUTIES)

    # 2. A poll; every tablet sends its ballot through both processes at the same moment, while
    #    both consoles keep publishing.
    item = console_a.state["agenda"][1]["id"]
    prepared = await console_a.request("poll.prepare", "prep", item=item, anonymous=True)
    assert prepared["type"] == "ok", prepared
    poll = prepared["poll"]
    assert (await console_b.request("poll.open", "go", poll=poll))["type"] == "ok"
    choices = [("for", "against", "abstain")[n % 3] for n in range(DEPUTIES)]
    ballots = [signed_ballot(key, plenary, poll, choice) for key, choice in zip(keys, choices)]
    results = await storms(asyncio.gather(
        console_rounds(console_a, "C"), console_rounds(console_b, "D"),
        *[t.request("ballot.cast", f"b{n}", **ballot) for n, (t, ballot) in enumerate(zip(first, ballots))],
        *[t.request("ballot.cast", f"b{n}", **ballot) for n, (t, ballot) in enumerate(zip(second, ballots))],
    ))
    replies = results[2:]
    assert all(r["type"] == "ok" for r in replies), [r for r in replies if r["type"] != "ok"][:3]
    mine, theirs = replies[:DEPUTIES], replies[DEPUTIES:]
    assert [r["receipt"] for r in mine] == [r["receipt"] for r in theirs]  # one ballot, one receipt
    assert sorted(r["receipt"]["position"] for r in mine) == list(range(1, DEPUTIES + 1))

    assert (await console_a.request("poll.close", "close", poll=poll))["type"] == "ok"
    assert (await console_b.request("display.set", "last", mode="message", text="end"))["type"] == "ok"

    # 3. The stored stream: seq 1..last_seq, each once; every view's prev chain unbroken.
    last_seq = env.query("select last_seq from meeting_meeting where id=?", (plenary,))[0][0]
    rows = env.query("select seq, audience, member_id, prev from meeting_event where meeting_id=? order by seq",
                     (plenary,))
    assert [r[0] for r in rows] == list(range(1, last_seq + 1))
    heads = {}
    views = {"all": ("tablet", "display", "console"), "tablets": ("tablet",), "displays": ("display",),
             "console": ("console",), "member": ("member",)}
    for seq, audience, member_id, prev in rows:
        prev = prev if isinstance(prev, dict) else json.loads(prev)
        for view in views[audience]:
            head_key = (view, member_id if view == "member" else None)
            assert prev[view] == heads.get(head_key, 0), (seq, view, prev, heads.get(head_key, 0))
            heads[head_key] = seq

    # 4. Every client, on either process, got every event for it, in order (HallClient raises on a
    #    gap or a duplicate), and ends where the database does.
    texts = {f"{tag}{n}" for tag in "ABCD" for n in range(ROUNDS)} | {"end"}
    plain = [console_a, console_b, *displays, *first, *second]
    for client in plain:
        await client.pump_until(lambda c: c.state["display"].get("text") == "end"
                                and (c.state.get("poll") or {}).get("state") == "closed", timeout=20)
        seen = [e["data"]["display"]["text"] for e in client.events if e["kind"] == "display.changed"]
        assert len(seen) == len(set(seen))
        assert texts <= set(seen), sorted(texts - set(seen))[:5]

    # The clients that resynced all along end in the state a fresh snapshot shows now.
    for server, kind, key, member, client in stormers:
        await client.pump_until(lambda c: c.state["display"].get("text") == "end"
                                and (c.state.get("poll") or {}).get("state") == "closed", timeout=20)
        fresh = await HallClient.open_device(server, kind, plenary, key, member_id=member)
        await fresh.start()
        assert fresh.seq == client.seq and fresh.last == client.last
        assert fresh.state == client.state, kind
        await fresh.close()

    # 5. Every ballot stored once, in one unbroken chain; the tally is what was sent.
    entries = env.query("select position, prev_hash, entry_hash, secret_hash, choice from voting_ballotentry"
                        " where poll_id=? order by position", (poll,))
    assert [e[0] for e in entries] == list(range(1, DEPUTIES + 1))
    assert {e[3] for e in entries} == {ballot["secret_hash"] for ballot in ballots}
    head = canonical.genesis_hash(plenary, poll)
    for position, prev_hash, entry_hash, _secret, _choice in entries:
        assert prev_hash == head, position
        head = entry_hash
    log_head, log_length = env.query("select log_head, log_length from voting_poll where id=?", (poll,))[0]
    assert (log_head, log_length) == (head, DEPUTIES)
    turnout = env.query("select member_ids from voting_turnout where poll_id=?", (poll,))[0][0]
    assert sorted(turnout) == sorted(members)
    result = console_a.state["poll"]["result"]
    assert (result["for"], result["against"], result["abstain"], result["not_voted"]) == (20, 20, 20, 0)
    assert console_b.state["poll"]["result"] == result

    for client in (*plain, *(stormer[-1] for stormer in stormers)):
        await client.close()
