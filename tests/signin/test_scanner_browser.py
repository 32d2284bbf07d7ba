"""The door scanner and a sub-venue's rotating code in real headless Chromium (Debian's chromium
through Playwright's executable_path; no browser is downloaded)."""

import re
import secrets
import shutil

import pytest

from signin import codes
from tests.hallserver import HallEnv, start_server

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = HallEnv(tmp_path_factory.mktemp("scanner")).prepare(deputies=40, standing=15)
    srv = start_server(env)
    yield srv
    srv.stop()


def shell(server, code):
    out = server.env.manage("shell", "-c", code).stdout.strip().splitlines()
    return out[-1] if out else ""


@pytest.fixture(scope="module")
def meeting_id(server):
    meeting = server.env.meeting_ids()["plenary"]
    shell(server, f"from signin import services; services.open_window({meeting}, None)")
    return meeting


@pytest.fixture(scope="module")
def login(server):
    password = secrets.token_urlsafe(12)
    shell(server, (
        "from django.contrib.auth.models import User, Group;"
        "u, _ = User.objects.get_or_create(username='door');"
        f"u.set_password({password!r}); u.save(); u.groups.set([Group.objects.get(name='操作员')])"))
    return "door", password


@pytest.fixture(scope="module")
def browser():
    if not shutil.which("chromium") and not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server, login):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def log_in(page, server, login, next_url):
    page.goto(f"{server.base}/login/?next={next_url}")
    page.fill("#id_username", login[0])
    page.fill("#id_password", login[1])
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


def member(server, meeting_id, n):
    """(id, name, delegation, seat label) of the meeting's n-th voting member."""
    return server.env.query(
        "select m.id, m.name, d.name, s.label from meeting_participant p join meeting_member m on m.id = p.member_id"
        " left join meeting_delegation d on d.id = m.delegation_id"
        " join meeting_seatassignment a on a.member_id = m.id and a.meeting_id = p.meeting_id"
        " join meeting_seat s on s.id = a.seat_id"
        " where p.meeting_id=? and p.role='voting' order by m.id limit 1 offset ?", (meeting_id, n))[0]


def scan_with_the_scanner(page, text):
    """What a USB scanner does: type into whatever has focus, then Enter."""
    page.keyboard.type(text, delay=2)
    page.keyboard.press("Enter")


def test_the_door_scanner_signs_in_by_keyboard_wedge_and_explains_refusals(page, server, meeting_id, login, tmp_path):
    url = f"/console/{meeting_id}/scanner/"
    log_in(page, server, login, url)
    assert page.evaluate("document.activeElement && document.activeElement.id") == "scan-code"
    camera, fallback = page.locator("#camera-toggle"), page.locator("#camera-none")
    page.wait_for_function("!document.querySelector('#camera-toggle').hidden"
                           " || !document.querySelector('#camera-none').hidden")
    assert camera.is_visible() != fallback.is_visible()  # the camera where the browser reads QR, else the field

    member_id, name, delegation, seat = member(server, meeting_id, 0)
    code = codes.badge_code(member_id, 1, key=server.env.secret_key)
    scan_with_the_scanner(page, code)
    result = page.locator("#scan-result")
    page.wait_for_selector("#scan-result[data-kind=ok]")
    assert page.locator("#scan-head").inner_text().startswith("签到成功")
    assert page.locator("#scan-name").inner_text() == name
    facts = page.locator("#scan-facts").inner_text()
    assert delegation in facts and seat in facts
    page.screenshot(path=str(tmp_path / "scanner-ok.png"))
    assert page.input_value("#scan-code") == ""  # ready for the next badge, still focused
    assert page.evaluate("document.activeElement.id") == "scan-code"

    scan_with_the_scanner(page, code)
    page.wait_for_selector("#scan-result[data-kind=already]")
    assert page.locator("#scan-head").inner_text() == "已经签到"
    assert page.locator("#scan-name").inner_text() == name

    forged = code[:-6] + ("abcdef" if not code.endswith("abcdef") else "ghijkl")
    scan_with_the_scanner(page, forged)
    page.wait_for_selector("#scan-result[data-kind=error]")
    assert page.locator("#scan-head").inner_text() == "不能签到"
    assert "无效的代表码" in page.locator("#scan-facts").inner_text()
    assert result.get_attribute("data-code") == "bad_code"
    page.screenshot(path=str(tmp_path / "scanner-forged.png"))

    # A code from a sub-venue's screen held up at the door gets told where it belongs.
    sub = server.env.query("select venue_id from meeting_subvenue where meeting_id=?", (meeting_id,))[0][0]
    scan_with_the_scanner(page, codes.venue_code(meeting_id, sub, key=server.env.secret_key))
    page.wait_for_function("document.querySelector('#scan-result').dataset.code === 'venue_code_at_door'")
    assert "分会场签到码" in page.locator("#scan-facts").inner_text()

    # Another member right after: green again, with their name.
    other_id, other_name, _, _ = member(server, meeting_id, 1)
    scan_with_the_scanner(page, codes.badge_code(other_id, 1, key=server.env.secret_key))
    page.wait_for_selector("#scan-result[data-kind=ok]")
    assert page.locator("#scan-name").inner_text() == other_name
    assert page.locator("#scan-log li").count() == 5

    rows = server.env.query("select member_id, method from signin_signinrecord where meeting_id=? order by member_id",
                            (meeting_id,))
    assert rows == [(member_id, "badge"), (other_id, "badge")]


def test_the_scanner_page_wants_an_operator(page, server, meeting_id):
    page.goto(f"{server.base}/console/{meeting_id}/scanner/")
    assert "/login/" in page.url


def test_a_sub_venue_screen_shows_a_code_that_changes(page, server, meeting_id, login, tmp_path):
    sub = server.env.query("select venue_id from meeting_subvenue where meeting_id=?", (meeting_id,))[0][0]
    url = f"/display/{meeting_id}/venue-code/{sub}/"
    log_in(page, server, login, url)
    page.wait_for_function("/^\\d+-\\d+-\\d{3}-\\d{8}$/.test(document.querySelector('#venue-code-text').textContent)")
    first = page.locator("#venue-code-text").inner_text()
    assert page.locator("#venue-qr svg").count() == 1
    page.screenshot(path=str(tmp_path / "venue-code.png"))
    import time

    now = codes.current_window(time.time())
    key = server.env.secret_key
    assert first in {codes.venue_code(meeting_id, sub, key=key, window=w) for w in (now, now - 1)}
    page.wait_for_function(f"document.querySelector('#venue-code-text').textContent !== {first!r}", timeout=15_000)
    second = page.locator("#venue-code-text").inner_text()
    assert second != first and second.split("-")[:2] == first.split("-")[:2]


# ---- the panels of signin.js, on real sockets, in the browser ------------------------------------

MOUNT = """
async ([socket, mode]) => {
  // A paired tablet or display answers the socket's challenge with the key it holds (device.js).
  const options = socket ? {url: socket} : await HuitangDevice.connectOptions(mode, Number(document.body.dataset.meeting));
  const box = document.createElement("section");
  box.id = "hs-box";
  box.className = "card";
  document.body.prepend(box);
  const seats = document.createElement("div");
  seats.id = "hs-seats";
  box.after(seats);
  window.hsClient = new Hall.Client({...options, render: (state, client) => {
    if (mode === "console") HuitangSignin.renderConsole(state, box, client);
    if (mode === "display") HuitangSignin.renderDisplay(state, box);
    if (mode === "tablet") HuitangSignin.renderTablet(state, box, client);
    if (state.present_seats !== undefined) {
      for (const id of state.present_seats.concat([999999])) {
        if (!seats.querySelector(`[data-seat-id="${id}"]`)) {
          const dot = document.createElement("span");
          dot.dataset.seatId = id;
          seats.append(dot);
        }
      }
      HuitangSignin.colourSeats(state, seats);
    }
  }});
  window.hsClient.connect();
}
"""


def mount(page, socket, mode):
    """signin.js's panel for ``mode`` on its own socket: ``socket`` a path (the console), or None
    for the page's paired device."""
    page.add_style_tag(url="/static/signin/signin.css")
    page.add_script_tag(url="/static/signin/signin.js")
    page.evaluate(MOUNT, [socket, mode])


def demo_pair_in_browser(page, server, pairing_path, lands_on):
    """Pair this browser as a device through the demo pairing page (the key is made here by WebCrypto;
    a tablet is bound to the member seated there), which goes on to the surface."""
    page.goto(server.base + pairing_path)
    page.wait_for_url(re.compile(re.escape(lands_on) + r"\?device=[0-9a-f-]{36}$"))
    page.wait_for_selector("body[data-connection=online]")


def figure(page, key):
    return int(page.locator(f"#hs-box [data-signin-figure={key}]").inner_text())


def test_the_console_panel_shows_figures_live_and_signs_in_by_hand(page, server, meeting_id, login, tmp_path):
    url = f"/console/{meeting_id}/scanner/"
    log_in(page, server, login, url)
    mount(page, f"/ws/console/{meeting_id}/", "console")
    page.wait_for_selector("#hs-box [data-signin-figure=entitled]:text('40')")
    present = figure(page, "present")
    assert page.locator("#hs-box [data-signin-window]").inner_text() == "签到中"
    assert "三分之二" in page.locator("#hs-box .hs-quorum__rule").inner_text()

    # A scan at the door (same page's form) reaches the panel, coalesced, and colours the seat.
    member_id, name, _, _ = member(server, meeting_id, 5)
    page.fill("#scan-code", codes.badge_code(member_id, 1, key=server.env.secret_key))
    page.press("#scan-code", "Enter")
    page.wait_for_function(f"document.querySelector('#hs-box [data-signin-figure=present]').textContent === '{present + 1}'")
    seat_id = server.env.query("select seat_id from meeting_seatassignment where meeting_id=? and member_id=?",
                               (meeting_id, member_id))[0][0]
    page.wait_for_selector(f"#hs-seats [data-seat-id='{seat_id}'].is-signed-in", state="attached")
    assert page.locator("#hs-seats [data-seat-id='999999'].is-signed-in").count() == 0

    # Manual sign-in from the search: the reason is required.
    other_id, other_name, _, _ = member(server, meeting_id, 6)
    number = server.env.query("select member_number from meeting_member where id=?", (other_id,))[0][0]
    page.fill("#hs-box input[type=search]", number)
    row = page.locator(f"#hs-box .hs-roster__row[data-member='{other_id}']")
    row.wait_for()
    row.get_by_role("button", name="人工签到").click()
    row.locator("button", has_text="确定").click()
    page.wait_for_selector("#hs-box .hs-say[data-kind=error]:has-text('请填写')")
    row.locator("input.hs-reason").fill("代表证遗忘")
    row.locator("button", has_text="确定").click()
    page.wait_for_selector(f"#hs-box .hs-say[data-kind=ok]:has-text('{other_name}')")
    page.wait_for_function(f"document.querySelector('#hs-box [data-signin-figure=present]').textContent === '{present + 2}'")
    assert server.env.query("select method, reason from signin_signinrecord where member_id=? and meeting_id=?",
                            (other_id, meeting_id)) == [("manual", "代表证遗忘")]
    page.screenshot(path=str(tmp_path / "console-panel.png"), full_page=True)


def test_the_tablet_panel_signs_its_member_in(page, server, meeting_id):
    member_id, name, _, seat = member(server, meeting_id, 10)
    seat_id = server.env.query("select seat_id from meeting_seatassignment where meeting_id=? and member_id=?",
                               (meeting_id, member_id))[0][0]
    demo_pair_in_browser(page, server, f"/demo/tablet/{meeting_id}/{seat_id}/", f"/tablet/{meeting_id}/")
    mount(page, None, "tablet")
    button = page.locator("#hs-box [data-signin-tap]")
    button.wait_for()
    assert page.locator("#hs-box [data-signin-status]").inner_text() == "尚未签到"
    button.click()
    page.wait_for_selector("#hs-box[data-status=signed_in]")
    assert page.locator("#hs-box [data-signin-status]").inner_text().startswith("已签到")
    assert seat in page.locator("#hs-box [data-signin-note]").inner_text()
    assert not button.is_visible()


def test_the_display_panel_shows_the_five_figures_and_quorum(page, server, meeting_id):
    demo_pair_in_browser(page, server, f"/demo/display/{meeting_id}/", f"/display/{meeting_id}/")
    mount(page, None, "display")
    page.wait_for_selector("#hs-box [data-signin-figure=entitled]:text('40')")
    labels = page.locator("#hs-box dt").all_inner_texts()
    assert labels == ["应到", "实到", "请假", "缺席", "列席"]
    present = figure(page, "present")
    assert figure(page, "absent") == 40 - present - figure(page, "leave")
    quorum = page.locator("#hs-box .hs-quorum__state").inner_text()
    assert quorum.startswith("未达到法定人数") and str(27 - present) in quorum
