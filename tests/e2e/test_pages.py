"""The console, the delegates' tablets and the hall displays, in real Chromium against a real server.

Each test opens its pages in a fresh browser context and talks to the module's own server
(see conftest.py). Pages must follow the socket live, without reloading.
"""

import json
import re

import pytest
from playwright.sync_api import expect

LIVE = 15_000  # ms: how long a live update may take to show (it normally takes milliseconds)
RECONNECT = 30_000  # ms: a server restart plus the client's backoff


# ---- helpers ---------------------------------------------------------------------------------


class Watched:
    """A page plus the JavaScript errors it logged."""

    def __init__(self, page):
        self.page = page
        self.errors = []
        self.sent = []
        page.on("websocket", lambda ws: ws.on("framesent", lambda frame: self.sent.append(frame)))
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def sent_messages(self):
        return [json.loads(frame) for frame in self.sent if isinstance(frame, str)]

    def js_errors(self, ignore=()):
        return [e for e in self.errors if not any(pattern in e for pattern in ignore)]


def open_page(context, url, viewport=None):
    page = context.new_page()
    if viewport:
        page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    watched = Watched(page)
    response = page.goto(url)
    return watched, response


def wait_online(page):
    expect(page.locator("body")).to_have_attribute("data-connection", "online", timeout=LIVE)


def log_in(context, e2e_hall, operator_login, next_path):
    """Through the real login form, as an operator would."""
    username, password = operator_login
    watched, _ = open_page(context, f"{e2e_hall.base}/login/?next={next_path}")
    page = watched.page
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-submit")
    page.wait_for_url(f"**{next_path}")
    return watched


def console_page(context, e2e_hall, operator_login, meeting_id):
    watched = log_in(context, e2e_hall, operator_login, f"/console/{meeting_id}/")
    wait_online(watched.page)
    return watched


def meeting_row(e2e_hall, meeting_id):
    (title, state), = e2e_hall.env.query("select title, state from meeting_meeting where id = ?", (meeting_id,))
    return title, state


def agenda(e2e_hall, meeting_id):
    return e2e_hall.env.query(
        'select id, "order", title from meeting_agendaitem where meeting_id = ? order by "order"', (meeting_id,))


def seated_member(e2e_hall, meeting_id, index=0):
    rows = e2e_hall.env.query(
        "select m.id, m.name from meeting_seatassignment a join meeting_member m on m.id = a.member_id "
        "where a.meeting_id = ? order by a.id", (meeting_id,))
    return rows[index]


def seat_of(e2e_hall, meeting_id, member_id):
    return e2e_hall.env.query("select seat_id from meeting_seatassignment where meeting_id = ? and member_id = ?",
                              (meeting_id, member_id))[0][0]


def open_paired(context, e2e_hall, pairing_path, lands_on, viewport):
    """Pair a device in this browser through a demo pairing page (its Ed25519 key is made here by
    WebCrypto, and a tablet is bound to the member seated there); the page goes on to the surface
    at /<kind>/<meeting>/?device=<id>, which answers the socket's challenge with that key."""
    watched, response = open_page(context, e2e_hall.base + pairing_path, viewport=viewport)
    assert response.status == 200
    watched.page.wait_for_url(re.compile(lands_on + r"\?device=[0-9a-f-]{36}$"), timeout=LIVE)
    return watched


def open_tablet(context, e2e_hall, meeting_id, member_id, viewport=(1280, 800)):
    seat = seat_of(e2e_hall, meeting_id, member_id)
    return open_paired(context, e2e_hall, f"/demo/tablet/{meeting_id}/{seat}/", rf"/tablet/{meeting_id}/", viewport)


def open_display(context, e2e_hall, meeting_id, viewport=(1920, 1080)):
    return open_paired(context, e2e_hall, f"/demo/display/{meeting_id}/", rf"/display/{meeting_id}/", viewport)


def device_id_of(page):
    return re.search(r"[?&]device=([0-9a-f-]{36})", page.url).group(1)


def mark_no_reload(*pages):
    for page in pages:
        page.evaluate("window.__sameDocument = true")


def assert_not_reloaded(*pages):
    for page in pages:
        assert page.evaluate("window.__sameDocument === true"), f"{page.url} was reloaded"


@pytest.fixture(scope="module")
def meetings(e2e_hall):
    return e2e_hall.env.meeting_ids()


# ---- the pages load ----------------------------------------------------------------------------


def test_the_three_surfaces_load_and_show_the_meeting(context, e2e_hall, operator_login, meetings, tmp_path):
    mid = meetings["plenary"]
    title, _ = meeting_row(e2e_hall, mid)
    member_id, member_name = seated_member(e2e_hall, mid)

    console = console_page(context, e2e_hall, operator_login, mid)
    expect(console.page.locator("#meeting-title")).to_have_text(title)
    expect(console.page.locator("[data-hall-status]")).to_have_text("已连接")
    expect(console.page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(console.page.locator("#agenda .agenda__item")).to_have_count(len(agenda(e2e_hall, mid)))
    console.page.screenshot(path=str(tmp_path / "console.png"), full_page=True)

    paired = open_tablet(context, e2e_hall, mid, member_id)
    url = paired.page.url
    paired.page.close()
    for size in ((1280, 800), (800, 1280)):
        # The paired tablet's own link, in another window of the same browser: its key is found again.
        tablet, response = open_page(context, url, viewport=size)
        assert response.status == 200
        wait_online(tablet.page)
        expect(tablet.page.locator("#meeting-title")).to_have_text(title)
        expect(tablet.page.locator("#me-name")).to_have_text(member_name)
        expect(tablet.page.locator("[data-hall-status]")).to_have_text("已连接")
        # A delegate never scrolls sideways, whichever way the tablet is held.
        assert tablet.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        tablet.page.screenshot(path=str(tmp_path / f"tablet-{size[0]}x{size[1]}.png"))
        assert tablet.js_errors() == []

    display = open_display(context, e2e_hall, mid)
    wait_online(display.page)
    expect(display.page.locator("#meeting-title")).to_have_text(title)
    expect(display.page.locator("[data-panel=welcome]")).to_be_visible()
    # The big screen has no controls at all.
    assert display.page.locator("button, input, select, textarea, a").count() == 0
    assert display.page.evaluate(
        "document.documentElement.scrollWidth <= innerWidth && document.documentElement.scrollHeight <= innerHeight")
    display.page.screenshot(path=str(tmp_path / "display.png"))

    assert console.js_errors() == []
    assert display.js_errors() == []


def test_home_lists_meetings_and_login_refuses_a_wrong_password(context, e2e_hall, operator_login, meetings):
    home, response = open_page(context, f"{e2e_hall.base}/")
    assert response.status == 200
    for mid in meetings.values():
        expect(home.page.locator(".meetings__title", has_text=meeting_row(e2e_hall, mid)[0])).to_be_visible()
    expect(home.page.locator(".meetings a.btn")).to_have_count(0)  # no console links before login
    home.page.click("main a[href^='/login/']")

    page = home.page
    page.fill("#id_username", operator_login[0])
    page.fill("#id_password", "not-the-password")
    page.click("#login-submit")
    expect(page.locator(".errors")).to_contain_text("密码")
    page.fill("#id_username", operator_login[0])
    page.fill("#id_password", operator_login[1])
    page.click("#login-submit")
    page.wait_for_url(f"{e2e_hall.base}/")
    expect(page.locator(".meetings a.btn")).to_have_count(len(meetings))
    page.click(f"a[href='/console/{meetings['standing']}/']")
    wait_online(page)
    expect(page.locator("#meeting-title")).to_have_text(meeting_row(e2e_hall, meetings["standing"])[0])
    assert home.js_errors() == []


# ---- live updates ----------------------------------------------------------------------------


def test_console_moves_the_agenda_and_tablet_and_display_follow_live(context, e2e_hall, operator_login, meetings):
    mid = meetings["plenary"]
    items = agenda(e2e_hall, mid)
    member_id, _ = seated_member(e2e_hall, mid, 1)

    tablet = open_tablet(context, e2e_hall, mid, member_id)
    display = open_display(context, e2e_hall, mid)
    wait_online(tablet.page)
    wait_online(display.page)
    console = console_page(context, e2e_hall, operator_login, mid)
    mark_no_reload(tablet.page, display.page)
    c = console.page

    if meeting_row(e2e_hall, mid)[1] == "scheduled":
        c.click("#open-meeting")
    expect(c.locator("#meeting-state")).to_have_text("进行中")
    expect(c.locator("#flash")).to_have_attribute("data-kind", "ok")
    expect(c.locator("#open-meeting")).to_be_disabled()
    expect(c.locator("#close-meeting")).to_be_enabled()
    expect(tablet.page.locator("#meeting-state")).to_have_text("进行中", timeout=LIVE)

    # The displays show the agenda.
    c.check("input[name=mode][value=agenda]")
    c.click("#display-send")
    expect(display.page.locator("[data-panel=agenda]")).to_be_visible(timeout=LIVE)
    expect(display.page.locator("[data-panel=welcome]")).to_be_hidden()
    expect(c.locator("#display-now")).to_have_text("议程")

    for item_id, order, title in (items[1], items[2]):
        c.click(f".agenda__button[data-item='{item_id}']")
        expect(c.locator("#agenda .agenda__item.is-current")).to_have_attribute("data-item", str(item_id))
        expect(c.locator("#agenda .is-current")).to_have_count(1)
        expect(tablet.page.locator("#current-title")).to_have_text(title, timeout=LIVE)
        expect(tablet.page.locator("#current-order")).to_have_text(f"第{order}项")
        expect(tablet.page.locator("#agenda .agenda__item.is-current .agenda__title")).to_have_text(title)
        expect(display.page.locator("#agenda .agenda__item.is-current .agenda__title")).to_have_text(
            title, timeout=LIVE)
        expect(display.page.locator("#agenda .is-current")).to_have_count(1)

    # Clearing the current item reaches the tablet too.
    c.click("#clear-current")
    expect(tablet.page.locator("#current-none")).to_have_text("暂无进行中的议程", timeout=LIVE)
    expect(display.page.locator("#agenda .is-current")).to_have_count(0)

    assert_not_reloaded(tablet.page, display.page)
    # Every update arrived as an event on the first connection: no resync, no reconnect.
    stats = tablet.page.evaluate("hall.stats")
    assert stats["connects"] == 1 and stats["snapshots"] == 1 and stats["gaps"] == 0 and stats["events"] >= 4
    for page in (console, tablet, display):
        assert page.js_errors() == []


def test_display_shows_the_message_typed_on_the_console(context, e2e_hall, operator_login, meetings, tmp_path):
    mid = meetings["plenary"]
    display = open_display(context, e2e_hall, mid)
    wait_online(display.page)
    console = console_page(context, e2e_hall, operator_login, mid)
    c = console.page
    mark_no_reload(display.page)

    c.check("input[name=mode][value=message]")
    expect(c.locator("#display-text")).to_be_visible()
    assert c.get_attribute("#display-text", "maxlength") == "500"

    # An empty message: the server refuses and the console shows its reason.
    c.fill("#display-text", "   ")
    c.click("#display-send")
    expect(c.locator("#flash")).to_have_attribute("data-kind", "error")
    expect(c.locator("#flash")).to_have_text("请输入要显示的文字")

    text = "请各位代表就座，会议即将开始"
    c.fill("#display-text", text)
    expect(c.locator("#display-count")).to_have_text(str(len(text)))
    c.click("#display-send")
    expect(display.page.locator("#message-text")).to_have_text(text, timeout=LIVE)
    expect(display.page.locator("[data-panel=message]")).to_be_visible()
    expect(c.locator("#display-now")).to_have_text(f"文字消息：{text}")
    expect(c.locator("#flash")).to_have_attribute("data-kind", "ok")
    # Huge: the text fills a large part of a 1920-wide screen.
    size = display.page.evaluate("parseFloat(getComputedStyle(document.querySelector('#message-text')).fontSize)")
    assert size >= 90
    display.page.screenshot(path=str(tmp_path / "display-message.png"))

    # And back to the welcome screen.
    c.check("input[name=mode][value=welcome]")
    expect(c.locator("#display-text")).to_be_hidden()
    c.click("#display-send")
    expect(display.page.locator("[data-panel=welcome]")).to_be_visible(timeout=LIVE)
    expect(display.page.locator("#message-text")).to_have_text("")

    assert_not_reloaded(display.page)
    assert console.js_errors() == [] and display.js_errors() == []


def test_closing_the_meeting_asks_first(context, e2e_hall, operator_login, meetings):
    mid = meetings["standing"]
    member_id, _ = seated_member(e2e_hall, mid)
    tablet = open_tablet(context, e2e_hall, mid, member_id, viewport=(800, 1280))
    wait_online(tablet.page)
    console = console_page(context, e2e_hall, operator_login, mid)
    c = console.page

    if meeting_row(e2e_hall, mid)[1] == "scheduled":
        c.click("#open-meeting")
    expect(c.locator("#meeting-state")).to_have_text("进行中")
    expect(tablet.page.locator("#meeting-state")).to_have_text("进行中", timeout=LIVE)

    c.click("#close-meeting")
    dialog = c.locator("#confirm-close")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    c.wait_for_timeout(300)
    assert meeting_row(e2e_hall, mid)[1] == "open"
    expect(c.locator("#meeting-state")).to_have_text("进行中")

    c.click("#close-meeting")
    dialog.get_by_role("button", name="确定结束").click()
    expect(c.locator("#meeting-state")).to_have_text("已结束")
    expect(c.locator("#close-meeting")).to_be_disabled()
    expect(c.locator("#open-meeting")).to_be_disabled()
    expect(tablet.page.locator("#meeting-state")).to_have_text("已结束", timeout=LIVE)
    expect(tablet.page.locator("#current-none")).to_have_text("会议已结束")
    assert meeting_row(e2e_hall, mid)[1] == "closed"
    assert console.js_errors() == [] and tablet.js_errors() == []


# ---- language --------------------------------------------------------------------------------


def test_language_switch_turns_the_console_to_english_and_back(context, e2e_hall, operator_login, meetings):
    mid = meetings["plenary"]
    console = console_page(context, e2e_hall, operator_login, mid)
    c = console.page
    expect(c.locator("#agenda-heading")).to_have_text("会议议程")

    with c.expect_navigation():
        c.click(".lang-switch button[value=en]")
    assert c.url == f"{e2e_hall.base}/console/{mid}/"
    wait_online(c)
    expect(c.locator("html")).to_have_attribute("lang", "en")
    expect(c.locator("#agenda-heading")).to_have_text("Agenda")
    expect(c.locator("#open-meeting")).to_have_text("Open meeting")
    expect(c.locator("#close-meeting")).to_have_text("Close meeting")
    expect(c.locator("#display-heading")).to_have_text("Hall displays")
    expect(c.locator("[data-hall-status]")).to_have_text("Connected")  # a string the script shows
    expect(c.locator("#meeting-state")).to_have_text(re.compile(r"^(Not started|In progress|Closed)$"))
    expect(c.locator(".lang-switch button[value=en]")).to_have_attribute("aria-pressed", "true")

    with c.expect_navigation():
        c.click(".lang-switch button[value=zh-hans]")
    assert c.url == f"{e2e_hall.base}/console/{mid}/"
    wait_online(c)
    expect(c.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(c.locator("#agenda-heading")).to_have_text("会议议程")
    assert console.js_errors() == []


def test_language_switch_keeps_the_tablets_link(context, e2e_hall, meetings):
    mid = meetings["plenary"]
    member_id, name = seated_member(e2e_hall, mid, 2)
    tablet = open_tablet(context, e2e_hall, mid, member_id)
    url = tablet.page.url
    wait_online(tablet.page)
    with tablet.page.expect_navigation():
        tablet.page.click(".lang-switch button[value=en]")
    assert tablet.page.url == url  # the query string (the tablet's ?device=) survives the switch
    wait_online(tablet.page)
    expect(tablet.page.locator("#current-label")).to_have_text("Current item")
    expect(tablet.page.locator("#me-name")).to_have_text(name)
    assert tablet.js_errors() == []


# ---- refusals --------------------------------------------------------------------------------


FORGE = {
    # The browser still names its device, but holds another key: it cannot sign as that device.
    "another_key": """async (id) => {
        const record = await HuitangDevice.get(id);
        await HuitangDevice.save({...record, keyPair: await HuitangDevice.generate()});
        return id;
    }""",
    # A device the server never registered (another server's, or a made-up one).
    "unknown_device": """async () => {
        const id = crypto.randomUUID();
        await HuitangDevice.save({id, kind: "tablet", venue: null, seat: null, pairedAt: new Date().toISOString(),
                                  keyPair: await HuitangDevice.generate()});
        return id;
    }""",
    # A display's id and key, passed off as a tablet.
    "wrong_role": """async () => {
        const record = await HuitangDevice.load("display", null);  // the latest display paired here
        await HuitangDevice.save({...record, kind: "tablet"});
        return record.id;
    }""",
}


@pytest.mark.parametrize("case, code, reason", [
    ("another_key", "bad_signature", "设备签名无效"),
    ("unknown_device", "unknown_device", "未登记的设备，请重新配对"),
    ("wrong_role", "wrong_role", "该设备不是这种终端"),
])
def test_a_tablet_that_cannot_prove_its_device_gets_the_refused_screen(context, e2e_hall, meetings, case, code,
                                                                        reason):
    mid = meetings["plenary"]
    member_id, member_name = seated_member(e2e_hall, mid, 4)
    tablet = open_tablet(context, e2e_hall, mid, member_id)
    wait_online(tablet.page)
    if case == "wrong_role":
        open_display(context, e2e_hall, mid).page.close()
    device_id = tablet.page.evaluate(FORGE[case], device_id_of(tablet.page))
    tablet.page.close()

    refused, response = open_page(context, f"{e2e_hall.base}/tablet/{mid}/?device={device_id}", viewport=(1280, 800))
    assert response.status == 200  # the page carries no credentials: the socket's challenge decides
    page = refused.page
    expect(page.locator("#device-problem")).to_have_attribute("data-code", code, timeout=LIVE)
    expect(page.locator("#problem-title")).to_have_text("本终端的登记已不存在")
    expect(page.locator("#problem-text")).to_have_text(reason)
    expect(page.locator("#problem-help")).to_have_text("请联系会务工作人员重新配对本终端。")
    expect(page.locator("[data-hall-status]")).to_have_text("无法接入")
    expect(page.locator("#me-card")).to_be_hidden()
    expect(page.locator("#identify")).to_be_hidden()
    assert member_name not in page.locator("main").inner_text()  # nothing of the meeting's member is shown
    page.wait_for_timeout(2500)  # several backoff periods: a refused tablet never comes back
    assert page.evaluate("hall.stats.connects") == 1 and page.evaluate("hall.status") == "refused"
    assert page.evaluate("hall.state") is None
    assert refused.js_errors() == []


def test_a_socket_refused_with_4403_shows_the_reason_and_stays_closed(context, e2e_hall, meetings):
    mid = meetings["plenary"]
    display = open_display(context, e2e_hall, mid, viewport=(1280, 720))
    wait_online(display.page)
    page = display.page
    page.evaluate("""(path) => {
        window.refusedClient = new Hall.Client({url: path});
        window.refusedClient.connect();
    }""", f"/ws/tablet/{mid}/")  # no device named
    page.wait_for_function("window.refusedClient.status === 'refused'", timeout=LIVE)
    expect(page.locator("#hall-alert")).to_be_visible()
    expect(page.locator("#hall-alert")).to_have_text("缺少设备编号，请先配对")
    expect(page.locator("#hall-alert")).to_have_attribute("data-code", "no_device")
    expect(page.locator("[data-hall-status]")).to_have_text("无法接入")
    page.wait_for_timeout(2500)  # several backoff periods: a refused client never comes back
    assert page.evaluate("window.refusedClient.stats.connects") == 1
    assert page.evaluate("window.refusedClient.status") == "refused"


# ---- protocol rules in the browser -------------------------------------------------------------


def test_client_ignores_duplicates_and_resyncs_on_a_gap(context, e2e_hall, meetings):
    mid = meetings["plenary"]
    member_id, _ = seated_member(e2e_hall, mid, 3)
    tablet = open_tablet(context, e2e_hall, mid, member_id)
    page = tablet.page
    wait_online(page)
    title = page.evaluate("hall.state.meeting.title")
    assert sorted(page.evaluate("Object.keys(hall.last)")) == ["member", "tablet"]

    # A duplicate (seq not above what the tablet view holds) changes nothing.
    page.evaluate("""() => hall.receive(JSON.stringify({
        type: "event", seq: hall.last.tablet, kind: "meeting.state", prev: {tablet: 0},
        data: {meeting: {...hall.state.meeting, title: "重复的事件"}}}))""")
    assert page.evaluate("hall.state.meeting.title") == title
    assert page.evaluate("hall.stats.duplicates") == 1

    # An event for a view the tablet does not follow is not for it.
    page.evaluate("""() => hall.receive(JSON.stringify({
        type: "event", seq: hall.seq + 1, kind: "notice.sent", prev: {console: hall.seq},
        data: {meeting: {...hall.state.meeting, title: "别的视图"}}}))""")
    assert page.evaluate("hall.state.meeting.title") == title

    # A gap: not applied; the client asks for a snapshot and ignores events until it comes.
    snapshots = page.evaluate("hall.stats.snapshots")
    page.evaluate("""() => hall.receive(JSON.stringify({
        type: "event", seq: hall.seq + 100, kind: "meeting.state", prev: {tablet: hall.last.tablet + 50},
        data: {meeting: {...hall.state.meeting, title: "跳号的事件"}}}))""")
    assert page.evaluate("hall.stats.gaps") == 1
    page.wait_for_function(f"hall.stats.snapshots === {snapshots + 1}", timeout=LIVE)
    assert {"type": "resync"} in tablet.sent_messages()
    assert page.evaluate("hall.state.meeting.title") == title
    assert page.evaluate("hall.awaitingSnapshot") is False
    expect(page.locator("#meeting-title")).to_have_text(title)
    assert tablet.js_errors() == []


def test_requests_resolve_with_the_reply_of_the_same_id(context, e2e_hall, meetings):
    mid = meetings["plenary"]
    member_id, _ = seated_member(e2e_hall, mid)
    tablet = open_tablet(context, e2e_hall, mid, member_id)
    page = tablet.page
    wait_online(page)
    replies = page.evaluate("""async () => {
        const [a, b] = await Promise.all([hall.request("ping"), hall.request("meeting.open")]);
        return [a, b];
    }""")
    pong, refused = replies
    assert pong["type"] == "ok" and pong["pong"] is True
    assert refused["type"] == "error" and refused["code"] == "unknown_type" and refused["message"]
    assert pong["id"] != refused["id"]
    assert page.evaluate("hall.pending.size") == 0
    assert tablet.js_errors() == []


# ---- reconnecting ------------------------------------------------------------------------------


def test_a_tablet_whose_socket_drops_reconnects_and_shows_the_new_state(context, e2e_hall, meetings, tmp_path):
    mid = meetings["plenary"]
    items = agenda(e2e_hall, mid)
    member_id, _ = seated_member(e2e_hall, mid)
    tablet = open_tablet(context, e2e_hall, mid, member_id)
    page = tablet.page
    wait_online(page)
    mark_no_reload(page)
    item_id, order, title = items[-1]

    e2e_hall.stop()  # the server process goes away: every socket is cut
    try:
        expect(page.locator("body")).to_have_attribute("data-connection", "reconnecting", timeout=LIVE)
        expect(page.locator("[data-hall-status]")).to_have_text("正在重连…")
        expect(page.locator("#hall-alert")).to_be_visible()
        page.screenshot(path=str(tmp_path / "tablet-reconnecting.png"))
        # While it is down, the meeting moves on (as another server process would record it).
        e2e_hall.shell(
            "from meeting import services; from meeting.models import Meeting;"
            f"m = Meeting.objects.get(pk={mid});"
            f"m.state == 'scheduled' and services.open_meeting({mid}, None);"
            f"services.set_current_item({mid}, {item_id}, None); print('ok')"
        )
    finally:
        e2e_hall.start()

    expect(page.locator("body")).to_have_attribute("data-connection", "online", timeout=RECONNECT)
    expect(page.locator("#current-title")).to_have_text(title)
    expect(page.locator("#current-order")).to_have_text(f"第{order}项")
    expect(page.locator("#meeting-state")).to_have_text("进行中")
    expect(page.locator("[data-hall-status]")).to_have_text("已连接")
    expect(page.locator("#hall-alert")).to_be_hidden()
    stats = page.evaluate("hall.stats")
    assert stats["connects"] >= 2 and stats["snapshots"] >= 2
    assert_not_reloaded(page)
    # Chromium logs each failed reconnect attempt; nothing else may go wrong.
    assert tablet.js_errors(ignore=["WebSocket connection to"]) == []
    assert json.loads(page.evaluate("JSON.stringify(hall.last)"))["tablet"] > 0
