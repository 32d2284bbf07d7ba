"""Browser tests: the three surfaces in real headless Chromium against a real server.

The module gets its own server and database (the session-wide ``hall`` server is shared with
tests that change its meetings). Debian's chromium is driven through Playwright's
executable_path; no browser is ever downloaded.
"""

import secrets
import shutil

import pytest

from tests.hallserver import HallEnv, start_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
OPERATOR_GROUP = "操作员"


class E2EHall:
    """A server on its own seeded data directory, which a test may stop and start on the same port."""

    def __init__(self, env):
        self.env = env
        self.server = start_server(env)

    @property
    def base(self):
        return self.server.base

    @property
    def port(self):
        return self.server.port

    def stop(self):
        self.server.stop()

    def start(self):
        self.server = start_server(self.env, port=self.server.port)

    def shell(self, code):
        """Run Python in the server's environment (``manage.py shell -c``); returns its last output line."""
        out = self.env.manage("shell", "-c", code).stdout.strip().splitlines()
        return out[-1] if out else ""


@pytest.fixture(scope="module")
def e2e_hall(tmp_path_factory):
    env = HallEnv(tmp_path_factory.mktemp("e2e")).prepare(deputies=40, standing=15)
    hall = E2EHall(env)
    yield hall
    hall.stop()


@pytest.fixture(scope="module")
def operator_login(e2e_hall):
    """(username, password) of an operator made for these tests, for the real login form."""
    username, password = "op-e2e", secrets.token_urlsafe(16)
    e2e_hall.shell(
        "from django.contrib.auth.models import User, Group;"
        f"u = User.objects.create_user({username!r}, password={password!r});"
        f"u.groups.set([Group.objects.get(name={OPERATOR_GROUP!r})]); print(u.pk)"
    )
    return username, password


@pytest.fixture(scope="module")
def pw():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(pw):
    # Playwright's plain launch runs Chromium on a fresh temporary profile, removed at close.
    chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def context(browser):
    """A clean browser context per test: no cookies (session, language) carried over."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


# ---- Python devices beside the browser (console, display and voting tests) -----------------------


class Fleet:
    """Python tablets and a Python console on their own asyncio loop in a thread, so a synchronous
    Playwright test can play the hall around the browser: sign members in, vote with signed ballots,
    drop a tablet's socket. Every call blocks until its coroutine is done."""

    def __init__(self, hall):
        import asyncio
        import threading

        self.hall = hall
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="e2e-fleet", daemon=True)
        self.thread.start()
        self.clients = []
        self._consoles = {}
        self._cookie = None

    def run(self, coro, timeout=30):
        import asyncio

        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    # -- the console, as a second operator would use it --

    def console(self, meeting_id):
        from tests.realtime.wsclient import HallClient

        if meeting_id not in self._consoles:
            if self._cookie is None:
                self._cookie = self.hall.env.staff_cookie("op-e2e-fleet", OPERATOR_GROUP)

            async def open_console():
                client = await HallClient.open(self.hall.server, "console", meeting_id, cookie=self._cookie)
                await client.start()
                return client

            self._consoles[meeting_id] = self.run(open_console())
            self.clients.append(self._consoles[meeting_id])
        return self._consoles[meeting_id]

    def request(self, meeting_id, type_, **fields):
        client = self.console(meeting_id)
        return self.run(client.request(type_, f"fleet-{secrets.token_hex(4)}", **fields))

    def sign_in(self, meeting_id, member_ids, reason="e2e: door staff"):
        """Open the sign-in window if it is not open, then sign the members in by hand."""
        self.request(meeting_id, "ping")  # applies whatever arrived before
        if self.console(meeting_id).state["attendance"]["window"]["state"] != "open":
            reply = self.request(meeting_id, "signin.open")
            assert reply["type"] == "ok" or reply.get("code") == "signin_already_open", reply
        for member_id in member_ids:
            reply = self.request(meeting_id, "signin.manual", member=member_id, reason=reason)
            assert reply["type"] == "ok", reply

    # -- tablets --

    def tablet(self, meeting_id, seat_id, member_id):
        """Pair (demo) the seat's tablet and connect it; returns the open HallClient (with .key)."""
        from tests.devicekit import demo_pair
        from tests.realtime.wsclient import HallClient

        key = demo_pair(self.hall.base, "tablet", meeting_id, seat_id)

        async def connect():
            client = await HallClient.open_device(self.hall.server, "tablet", meeting_id, key, member_id=member_id)
            await client.start()
            client.key = key
            client.meeting_id = meeting_id
            return client

        client = self.run(connect())
        self.clients.append(client)
        return client

    def vote(self, tablet, poll_id, choice):
        """Cast a signed ballot exactly as the tablet's WebCrypto code does; returns the reply."""
        from voting import canonical

        secret = secrets.token_urlsafe(32)
        digest = canonical.secret_hash(secret)
        text = canonical.canonical_choice("motion" if isinstance(choice, str) else "appointment", choice)
        signature = tablet.key.sign(canonical.ballot_message(tablet.meeting_id, poll_id, digest, text))
        ballot = {"poll": poll_id, "secret_hash": digest, "choice": choice, "signature": signature}
        return self.run(tablet.request("ballot.cast", f"b-{secrets.token_hex(4)}", **ballot))

    def wait_refusal(self, client, timeout=10):
        """(the error without an id the server sends before it closes a socket, e.g. device_revoked,
        and the close code); raises TimeoutError if the socket stays open."""
        import asyncio

        from websockets.exceptions import ConnectionClosed

        async def refusal():
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while True:  # read on until the server closes the socket
                try:
                    client.handle(await client.recv(timeout=max(0.01, deadline - loop.time())))
                except ConnectionClosed:
                    break
            refusals = [m for m in client.other if m.get("type") == "error"]
            return refusals[0] if refusals else None, client.ws.close_code

        return self.run(refusal(), timeout + 5)

    def disconnect(self, client):
        self.run(client.close())

    def close(self):
        async def close_all():
            for client in self.clients:
                try:
                    await client.close()
                except Exception:  # already closed by the server
                    pass

        try:
            self.run(close_all(), timeout=15)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)


@pytest.fixture(scope="module")
def fleet(e2e_hall):
    kit = Fleet(e2e_hall)
    yield kit
    kit.close()


def voting_seats(hall, meeting_id):
    """[(seat id, member id)] of the meeting's voting members, in seat order."""
    return hall.env.query(
        "select a.seat_id, a.member_id from meeting_seatassignment a join meeting_participant p"
        " on p.meeting_id = a.meeting_id and p.member_id = a.member_id where a.meeting_id = ? and p.role = 'voting'"
        " order by a.seat_id", (meeting_id,))


@pytest.fixture
def shots(tmp_path):
    """Where screenshots go: $HUITANG_SHOTS if set (to look at them), else the test's tmp dir."""
    import os
    from pathlib import Path

    folder = Path(os.environ.get("HUITANG_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class WatchedPage:
    """A page plus the JavaScript errors it logged."""

    def __init__(self, page):
        self.page = page
        self.errors = []
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def js_errors(self, ignore=()):
        return [e for e in self.errors if not any(pattern in e for pattern in ignore)]


class HallPages:
    """Opens the console (through the real login form) and the displays in one browser context."""

    def __init__(self, context, hall, login):
        self.context, self.hall, self.login = context, hall, login
        self.logged_in = False

    def _open(self, url, viewport, lands_on=None):
        page = self.context.new_page()
        page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
        watched = WatchedPage(page)
        response = page.goto(url)
        assert response.status == 200, (url, response.status)
        if lands_on is not None:
            page.wait_for_url(lands_on, timeout=15_000)
        page.wait_for_selector("body[data-connection=online]", timeout=15_000)
        return watched

    def console(self, meeting_id, viewport=(1440, 1000)):
        path = f"/console/{meeting_id}/"
        if not self.logged_in:
            page = self.context.new_page()
            page.goto(f"{self.hall.base}/login/?next={path}")
            page.fill("#id_username", self.login[0])
            page.fill("#id_password", self.login[1])
            page.click("#login-submit")
            page.wait_for_url(f"**{path}")
            page.close()
            self.logged_in = True
        return self._open(self.hall.base + path, viewport)

    def display(self, meeting_id, viewport=(1920, 1080)):
        """A display paired in this browser through the demo pairing page (its key made by WebCrypto
        here), which goes on to /display/<meeting>/?device=<id>."""
        import re

        return self._open(f"{self.hall.base}/demo/display/{meeting_id}/", viewport,
                          lands_on=re.compile(rf"/display/{meeting_id}/\?device=[0-9a-f-]{{36}}$"))


@pytest.fixture
def hall_pages(context, e2e_hall, operator_login):
    return HallPages(context, e2e_hall, operator_login)
