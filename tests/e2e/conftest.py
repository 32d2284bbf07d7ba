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
