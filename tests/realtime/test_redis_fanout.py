"""Two server processes sharing one database and one Redis: an event published through one
process reaches the sockets of the other, in order, with nothing lost or repeated."""

import os
import shutil
import time

import pytest

from tests.devicekit import demo_pair
from tests.hallserver import HallEnv, start_server
from tests.realtime.wsclient import HallClient

REDIS = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(
    REDIS is None and not os.environ.get("CI"), reason="redis-server is not installed (CI installs it)"
)


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory, redis_url):
    env = HallEnv(tmp_path_factory.mktemp("scaleout"), redis_url=redis_url).prepare(deputies=40, standing=15)
    a = start_server(env)
    b = start_server(env)
    yield a, b
    a.stop()
    b.stop()


async def test_an_event_published_in_one_process_reaches_clients_of_the_other(two_servers):
    a, b = two_servers
    env = a.env
    plenary = env.meeting_ids()["plenary"]
    member = env.query("select member_id from meeting_participant where meeting_id=? and role='voting' limit 1",
                       (plenary,))[0][0]
    cookie = env.staff_cookie("op-redis", "操作员")

    console_b = await HallClient.open(b, "console", plenary, cookie=cookie)
    await console_b.start()
    seat = env.query("select seat_id from meeting_seatassignment where meeting_id=? and member_id=?",
                     (plenary, member))[0][0]
    tablet_a = await HallClient.open_device(a, "tablet", plenary, demo_pair(a.base, "tablet", plenary, seat),
                                            member_id=member)
    await tablet_a.start()
    display_b = await HallClient.open_device(b, "display", plenary, demo_pair(b.base, "display", plenary))
    await display_b.start()

    await console_b.request("meeting.open", "open")
    for n in range(20):
        await console_b.request("display.set", n, mode="message", text=f"跨进程{n}")
    await console_b.request("notice.send", "private", text="只给一位代表", member=member)

    started = time.monotonic()
    await tablet_a.pump_until(lambda c: c.state["my_notices"] and c.state["display"]["text"] == "跨进程19")
    assert time.monotonic() - started < 5
    await display_b.pump_until(lambda c: c.state["display"]["text"] == "跨进程19")
    # In order and exactly once (HallClient raises on a gap or a duplicate).
    assert [e["data"]["display"]["text"] for e in tablet_a.events if e["kind"] == "display.changed"] == [
        f"跨进程{n}" for n in range(20)
    ]
    assert tablet_a.state["meeting"]["state"] == "open"
    await display_b.assert_silent()  # the private notice did not go to the display
    for client in (console_b, tablet_a, display_b):
        await client.close()
