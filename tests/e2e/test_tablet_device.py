"""The delegate's tablet as a paired device, in real Chromium: the key is made by WebCrypto in the
browser (non-extractable, kept in IndexedDB), pairing (demo and with a console code), the challenge
answered on every connection, revocation, and a member identifying on an unbound tablet.

The module has its own server (conftest.e2e_hall); each test uses seats no other test touches.
"""

import base64
import json
import re
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

LIVE = 15_000  # ms: how long a live update may take to show (it normally takes milliseconds)


# ---- helpers (test_tablet_voting.py uses them too) -------------------------------------------


class Tablet:
    """A browser page playing a seat tablet, with its JavaScript errors and the frames it sent."""

    def __init__(self, context, viewport=(1280, 800)):
        self.page = context.new_page()
        self.page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
        self.errors = []
        self.sent = []
        self.page.on("websocket", lambda ws: ws.on("framesent", lambda frame: self.sent.append(frame)))
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def sent_messages(self, type_=None):
        messages = [json.loads(f) for f in self.sent if isinstance(f, str)]
        return [m for m in messages if type_ is None or m.get("type") == type_]

    def js_errors(self, ignore=()):
        return [e for e in self.errors if not any(pattern in e for pattern in ignore)]

    def wait_online(self):
        expect(self.page.locator("body")).to_have_attribute("data-connection", "online", timeout=LIVE)

    def demo_pair(self, hall, meeting_id, seat_id):
        """Open the demo pairing page; it makes the key, pairs, and goes on to the tablet page."""
        self.page.goto(f"{hall.base}/demo/tablet/{meeting_id}/{seat_id}/")
        self.page.wait_for_url(re.compile(rf"/tablet/{meeting_id}/\?device=[0-9a-f-]{{36}}$"), timeout=LIVE)
        self.wait_online()
        return self.stored_device()

    def stored_device(self):
        return self.page.evaluate("""async () => {
            const r = await HuitangDevice.load("tablet");
            return r && {id: r.id, kind: r.kind, seat: r.seat, venue: r.venue,
                         extractable: r.keyPair.privateKey.extractable, type: r.keyPair.privateKey.type,
                         algorithm: r.keyPair.privateKey.algorithm.name,
                         publicKey: await HuitangDevice.publicKeyText(r.keyPair)};
        }""")


def b64url(raw):
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def seats(hall, meeting_id, role="voting"):
    """[(seat id, member id, name, number)] of the meeting's seated members of that role, in seat order."""
    return hall.env.query(
        "select a.seat_id, m.id, m.name, m.member_number from meeting_seatassignment a"
        " join meeting_member m on m.id = a.member_id"
        " join meeting_participant p on p.meeting_id = a.meeting_id and p.member_id = a.member_id"
        " where a.meeting_id = ? and p.role = ? order by a.seat_id", (meeting_id, role))


def device_rows(hall, seat_id):
    rows = hall.env.query(
        "select id, public_key, revoked_at, demo from devices_device where seat_id = ? order by registered_at", (seat_id,))
    return [(uuid.UUID(r[0]).hex if isinstance(r[0], str) else r[0], bytes(r[1]), r[2], r[3]) for r in rows]


def set_pin(hall, member_id, pin):
    hall.shell(
        "from meeting.models import Member; from devices.services import set_member_pin;"
        f"set_member_pin(Member.objects.get(pk={member_id}), {pin!r}); print('ok')")


def pairing_code(hall, meeting_id, seat_id):
    return hall.shell(
        "from devices.services import create_pairing_code; from meeting.models import Meeting;"
        f"m = Meeting.objects.get(pk={meeting_id}); print(create_pairing_code('tablet', m.venue_id, {seat_id}, None))")


@pytest.fixture(scope="module")
def plenary(e2e_hall):
    return e2e_hall.env.meeting_ids()["plenary"]


@pytest.fixture(scope="module")
def plenary_seats(e2e_hall, plenary):
    return seats(e2e_hall, plenary)


# ---- pairing ---------------------------------------------------------------------------------


def test_a_tablet_demo_pairs_with_a_browser_key_and_a_reload_answers_a_new_challenge(
        context, e2e_hall, plenary, plenary_seats, shots):
    seat_id, member_id, name, _ = plenary_seats[0]
    with urllib.request.urlopen(f"{e2e_hall.base}/demo/tablet/{plenary}/{seat_id}/") as response:
        assert "演示" in response.read().decode()  # the demo page says what it is

    tablet = Tablet(context)
    page = tablet.page
    stored = tablet.demo_pair(e2e_hall, plenary, seat_id)
    expect(page.locator("#me-name")).to_have_text(name)
    expect(page.locator("[data-hall-status]")).to_have_text("已连接")
    page.screenshot(path=str(shots / "tablet-paired-1280x800.png"))

    # The key was made here, as Ed25519, and its private half can never be read out.
    assert stored["kind"] == "tablet" and stored["algorithm"] == "Ed25519" and stored["type"] == "private"
    assert page.evaluate("HuitangDevice.load('tablet').then(r => r.keyPair.privateKey.extractable === false)") is True
    assert page.evaluate("""HuitangDevice.load("tablet").then(r => crypto.subtle.exportKey("pkcs8", r.keyPair.privateKey)
        .then(() => "exported", (e) => e.name))""") == "InvalidAccessError"
    # The server holds this device with exactly the browser's public key, and the snapshot names it.
    (device_hex, public_key, revoked, demo), = device_rows(e2e_hall, seat_id)
    assert device_hex == uuid.UUID(stored["id"]).hex and revoked is None and demo
    assert b64url(public_key) == stored["publicKey"]
    assert page.evaluate("hall.device") == {"id": stored["id"], "seat": stored["seat"], "bound": member_id}

    # The connection answered the challenge with a signature (and the battery where the browser has it).
    first = tablet.sent_messages("auth")
    assert len(first) == 1 and re.fullmatch(r"[A-Za-z0-9_-]{86}", first[0]["signature"])
    if page.evaluate("'getBattery' in navigator"):
        assert 0 <= first[0]["battery"] <= 100 and isinstance(first[0]["charging"], bool)
    # The battery report (every minute; sped up here) goes out as `presence` and is acknowledged.
    page.evaluate("window.__presence = HuitangDevice.keepPresence(hall, 200)")
    page.wait_for_timeout(700)
    page.evaluate("clearInterval(window.__presence)")
    assert tablet.sent_messages("presence")
    assert page.evaluate("hall.pending.size") == 0

    # A reload: same device, a fresh challenge answered, no second pairing.
    page.reload()
    tablet.wait_online()
    expect(page.locator("#me-name")).to_have_text(name)
    answers = tablet.sent_messages("auth")
    assert len(answers) == 2 and answers[0]["signature"] != answers[1]["signature"]
    assert tablet.stored_device()["id"] == stored["id"]
    assert len(device_rows(e2e_hall, seat_id)) == 1
    assert page.evaluate("hall.stats.connects") == 1 and page.evaluate("hall.device.id") == stored["id"]
    assert tablet.js_errors() == []


def test_a_console_code_pairs_once_and_the_tablet_finds_its_meeting(browser, context, e2e_hall, plenary, plenary_seats):
    seat_id, member_id, name, _ = plenary_seats[1]
    seat_label = e2e_hall.env.query("select label from meeting_seat where id = ?", (seat_id,))[0][0]
    code = pairing_code(e2e_hall, plenary, seat_id)

    tablet = Tablet(context)
    page = tablet.page
    page.goto(f"{e2e_hall.base}/pair/{code}/")
    expect(page.locator("#pair-done")).to_be_visible(timeout=LIVE)
    expect(page.locator("#pair-result")).to_have_text("配对成功")
    expect(page.locator("#pair-seat")).to_have_text(seat_label)
    expect(page.locator("#pair-kind")).to_have_text("代表终端")
    stored = tablet.stored_device()
    assert stored["extractable"] is False and stored["seat"] == seat_label
    # The server holds one live tablet on the seat: this one.
    rows = device_rows(e2e_hall, seat_id)
    assert [r[0] for r in rows if r[2] is None] == [uuid.UUID(stored["id"]).hex]

    # A reload of the pairing page does not spend anything: the device is already here.
    page.reload()
    expect(page.locator("#pair-result")).to_have_text("本设备已用这个配对码配对过", timeout=LIVE)
    assert len(device_rows(e2e_hall, seat_id)) == 1

    # On to the tablet: /tablet/ finds the venue's meeting; a code-paired tablet serves nobody yet.
    page.click("#pair-next")
    page.wait_for_url(re.compile(rf"/tablet/{plenary}/\?device={stored['id']}$"), timeout=LIVE)
    tablet.wait_online()
    expect(page.locator("#identify")).to_be_visible()
    expect(page.locator("#me-card")).to_be_hidden()
    assert page.evaluate("hall.device.bound") is None

    # The same code in another browser: refused, and said so.
    other_context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    try:
        other = Tablet(other_context)
        other.page.goto(f"{e2e_hall.base}/pair/{code}/")
        expect(other.page.locator("#pair-failed")).to_be_visible(timeout=LIVE)
        expect(other.page.locator("#pair-error")).to_contain_text("已使用")
        expect(other.page.locator("#pair-error")).to_have_attribute("data-code", "code_used")
        assert other.stored_device() is None  # nothing kept from a failed pairing
        assert other.js_errors(ignore=["400"]) == []
    finally:
        other_context.close()
    assert len(device_rows(e2e_hall, seat_id)) == 1
    assert tablet.js_errors() == []


def test_a_browser_without_a_device_is_told_to_pair_and_opens_no_socket(context, e2e_hall, plenary):
    tablet = Tablet(context)
    page = tablet.page
    response = page.goto(f"{e2e_hall.base}/tablet/{plenary}/")
    assert response.status == 200
    expect(page.locator("#problem-title")).to_have_text("本终端尚未配对")
    expect(page.locator("#problem-help")).to_contain_text("配对二维码")
    expect(page.locator("#me-card")).to_be_hidden()
    expect(page.locator("#vote-card")).to_be_hidden()
    page.wait_for_timeout(500)
    assert tablet.sent == [] and page.evaluate("window.hall === undefined")

    page.goto(f"{e2e_hall.base}/tablet/")
    expect(page.locator("#pair-error")).to_have_text("本终端尚未配对", timeout=LIVE)
    assert tablet.js_errors() == []


def test_a_page_that_is_not_a_secure_context_says_why_it_cannot_pair(context, e2e_hall, plenary):
    tablet = Tablet(context)
    page = tablet.page
    # As on plain http:// from another machine: the browser withholds crypto.subtle.
    page.add_init_script("Object.defineProperty(window, 'isSecureContext', {value: false})")
    page.goto(f"{e2e_hall.base}/pair/some-code/")
    expect(page.locator("#pair-error")).to_contain_text("HTTPS", timeout=LIVE)
    expect(page.locator("#pair-error")).to_contain_text("localhost")
    expect(page.locator("#pair-error")).to_have_attribute("data-code", "insecure")
    page.goto(f"{e2e_hall.base}/tablet/{plenary}/")
    expect(page.locator("#problem-title")).to_have_text("本设备不能作为会议终端")
    expect(page.locator("#problem-text")).to_contain_text("安全连接")
    assert tablet.js_errors() == []


# ---- revocation ------------------------------------------------------------------------------


def test_a_tablet_revoked_mid_session_says_so_and_stops_reconnecting(context, e2e_hall, plenary, plenary_seats, fleet,
                                                                     shots):
    seat_id, _, name, _ = plenary_seats[2]
    tablet = Tablet(context, viewport=(800, 1280))
    page = tablet.page
    stored = tablet.demo_pair(e2e_hall, plenary, seat_id)
    expect(page.locator("#me-name")).to_have_text(name)

    assert fleet.request(plenary, "device.revoke", device=stored["id"])["type"] == "ok"
    expect(page.locator("#problem-title")).to_have_text("该设备已停用", timeout=LIVE)
    expect(page.locator("#device-problem")).to_have_attribute("data-code", "device_revoked")
    expect(page.locator("#hall-alert")).to_contain_text("该设备已停用")
    expect(page.locator("[data-hall-status]")).to_have_text("无法接入")
    expect(page.locator("#me-card")).to_be_hidden()
    page.screenshot(path=str(shots / "tablet-revoked-800x1280.png"))
    page.wait_for_timeout(2500)  # several backoff periods: a refused tablet does not come back
    assert page.evaluate("hall.stats.connects") == 1 and page.evaluate("hall.status") == "refused"

    # Reloaded, it tries once, is refused again, and still says why.
    page.reload()
    expect(page.locator("#problem-title")).to_have_text("该设备已停用", timeout=LIVE)
    page.wait_for_timeout(1500)
    assert page.evaluate("hall.stats.connects") == 1
    assert tablet.js_errors() == []


# ---- identify on an unbound tablet -----------------------------------------------------------


def released_tablet(context, hall, meeting_id, seat_id, fleet, name=None, init_script=None):
    """A tablet demo-paired on ``seat_id`` (showing ``name``, its member, if given) whose member the
    console then released: it has turned, live, to the screen that asks who is there. Returns the
    tablet and its stored device record."""
    tablet = Tablet(context)
    if init_script:
        tablet.page.add_init_script(init_script)
    stored = tablet.demo_pair(hall, meeting_id, seat_id)
    if name is not None:
        expect(tablet.page.locator("#me-name")).to_have_text(name)
    assert fleet.request(meeting_id, "device.release", device=stored["id"])["type"] == "ok"
    expect(tablet.page.locator("#identify")).to_be_visible(timeout=LIVE)
    return tablet, stored


def press(page, selector, text):
    """Type with the on-screen keypad (digits) into the field at selector."""
    page.click(selector)
    for char in text:
        page.click(f".keypad__key[data-key='{char}']")


def test_a_member_identifies_on_an_unbound_tablet_with_number_and_pin(context, e2e_hall, plenary, plenary_seats,
                                                                      fleet, shots):
    seat_id, member_id, name, number = plenary_seats[3]
    _, other_id, _, other_number = plenary_seats[4]
    set_pin(e2e_hall, member_id, "246810")
    set_pin(e2e_hall, other_id, "135790")
    fleet.tablet(plenary, plenary_seats[4][0], other_id)  # the other member is on their own tablet

    tablet, stored = released_tablet(context, e2e_hall, plenary, seat_id, fleet, name=name)
    page = tablet.page
    expect(page.locator("#me-card")).to_be_hidden()
    expect(page.locator("#vote-card")).to_be_visible()
    page.screenshot(path=str(shots / "tablet-identify-1280x800.png"))
    # Big, keypad-friendly fields.
    assert page.evaluate("parseFloat(getComputedStyle(document.querySelector('#identify-pin')).fontSize)") >= 30
    assert page.get_attribute("#identify-pin", "inputmode") == "numeric"
    assert page.locator(".keypad__key").first.bounding_box()["height"] >= 60

    # Nothing typed: said at once, nothing sent.
    page.click("#identify-submit")
    expect(page.locator("#identify-error")).to_have_text("请输入代表证号和PIN码")
    assert tablet.sent_messages("identify") == []

    # Someone on another tablet: the staff must move them.
    page.fill("#identify-number", other_number)
    press(page, "#identify-pin", "135790")
    page.click("#identify-submit")
    expect(page.locator("#identify-error")).to_contain_text("请联系工作人员")
    expect(page.locator("#identify-error")).to_have_attribute("data-code", "bound_elsewhere")
    page.screenshot(path=str(shots / "tablet-identify-error-1280x800.png"))

    # A wrong PIN.
    page.fill("#identify-number", number)
    press(page, "#identify-pin", "999999")
    page.click("#identify-submit")
    expect(page.locator("#identify-error")).to_have_text("代表证号或PIN码不正确，请重新输入")
    expect(page.locator("#identify-pin")).to_have_value("")

    # The right one: the tablet now serves the member.
    page.fill("#identify-number", number)
    press(page, "#identify-pin", "2468")
    page.click(".keypad__key[data-key='back']")
    page.click(".keypad__key[data-key='4']")
    expect(page.locator("#identify-pin")).to_have_value("2464")
    page.click(".keypad__key[data-key='clear']")
    press(page, "#identify-pin", "246810")
    page.click("#identify-submit")
    expect(page.locator("#me-name")).to_have_text(name, timeout=LIVE)
    expect(page.locator("#identify")).to_be_hidden()
    expect(page.locator("#me-number")).to_have_text(number)
    sent = tablet.sent_messages("identify")
    assert [m["number"] for m in sent] == [other_number, number, number]
    assert page.evaluate("hall.device.bound") == member_id
    bound = e2e_hall.env.query(
        "select member_id, method from devices_binding where device_id = ? and ended_at is null",
        (uuid.UUID(stored["id"]).hex,))
    assert bound == [(member_id, "pin")]
    assert tablet.js_errors() == []


def badge_code(hall, member_id, version=1):
    """A member's personal code (代表码) as the server's badge sheet prints it."""
    from signin import codes

    return codes.badge_code(member_id, version, key=hall.env.secret_key)


def test_a_member_identifies_by_scanning_their_badge_with_a_hand_scanner(context, e2e_hall, plenary, plenary_seats,
                                                                         fleet, shots):
    seat_id, member_id, name, number = plenary_seats[8]
    tablet, stored = released_tablet(context, e2e_hall, plenary, seat_id, fleet, name=name)
    page = tablet.page
    expect(page.locator("#identify-code-form h2")).to_have_text("扫描代表证")
    # The camera button only where the browser reads QR codes itself; the field is always there.
    page.wait_for_timeout(300)
    has_detector = page.evaluate("'BarcodeDetector' in window && !!navigator.mediaDevices")
    if not has_detector:
        expect(page.locator("#identify-camera")).to_be_hidden()
    expect(page.locator("#identify-code")).to_be_visible()
    page.screenshot(path=str(shots / "tablet-identify-scan-1280x800.png"))

    # Submitted empty: said at once, nothing sent.
    page.click("#identify-code-submit")
    expect(page.locator("#identify-code-error")).to_have_text("请扫描代表证上的二维码")
    assert tablet.sent_messages("identify") == []

    # A forged badge, typed by a USB scanner while no field has focus: the keys land in the code field.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    good = badge_code(e2e_hall, member_id)
    page.keyboard.type(good[:-4] + "AAAA", delay=2)
    page.keyboard.press("Enter")
    expect(page.locator("#identify-code-error")).to_have_attribute("data-code", "bad_code", timeout=LIVE)
    expect(page.locator("#identify-code-error")).to_contain_text("无法识别这个代表码")
    expect(page.locator("#identify-code")).to_have_value("")  # a code is never kept on the page

    # The genuine badge: the tablet now serves the member.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.type(good, delay=2)
    page.keyboard.press("Enter")
    expect(page.locator("#me-name")).to_have_text(name, timeout=LIVE)
    expect(page.locator("#identify")).to_be_hidden()
    expect(page.locator("#me-number")).to_have_text(number)
    assert [m.get("code") for m in tablet.sent_messages("identify")] == [good[:-4] + "AAAA", good]
    bound = e2e_hall.env.query(
        "select member_id, method from devices_binding where device_id = ? and ended_at is null",
        (uuid.UUID(stored["id"]).hex,))
    assert bound == [(member_id, "code")]
    assert tablet.js_errors() == []


# Where the browser reads QR codes itself: a camera (a canvas stream) and a BarcodeDetector that
# "sees" the code the test puts in window.__badge (Chromium on Linux has no BarcodeDetector).
FAKE_CAMERA = """
window.__badge = null;
window.__detections = 0;
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["qr_code", "ean_13"]; }
  constructor(options) { this.formats = options.formats; }
  async detect() {
    window.__detections += 1;
    return window.__badge ? [{rawValue: window.__badge, format: "qr_code"}] : [];
  }
};
navigator.mediaDevices.getUserMedia = async () => {
  const canvas = document.createElement("canvas");
  canvas.width = 64; canvas.height = 48;
  canvas.getContext("2d").fillRect(0, 0, 64, 48);
  return canvas.captureStream(5);
};
"""


def test_a_member_identifies_by_showing_their_badge_to_the_camera(context, e2e_hall, plenary, plenary_seats, fleet):
    seat_id, member_id, name, _ = plenary_seats[10]
    tablet, _ = released_tablet(context, e2e_hall, plenary, seat_id, fleet, init_script=FAKE_CAMERA)
    page = tablet.page
    camera = page.locator("#identify-camera")
    expect(camera).to_be_visible()
    expect(camera).to_have_text("扫描代表证")

    camera.click()
    expect(page.locator("#identify-video")).to_be_visible()
    expect(camera).to_have_text("停止扫描")
    page.wait_for_function("window.__detections >= 2")  # looking, nothing in view yet
    assert tablet.sent_messages("identify") == []

    # A revoked badge: one try, then the camera stops (a refused code is not sent again and again).
    version = int(e2e_hall.shell(
        "from signin import services;"
        f"print(services.revoke_badge({plenary}, {member_id}, None))"))
    page.evaluate("(code) => { window.__badge = code; }", badge_code(e2e_hall, member_id, version - 1))
    expect(page.locator("#identify-code-error")).to_have_attribute("data-code", "code_revoked", timeout=LIVE)
    expect(page.locator("#identify-code-error")).to_contain_text("已作废")
    expect(page.locator("#identify-video")).to_be_hidden()
    expect(camera).to_have_text("扫描代表证")
    page.wait_for_timeout(600)
    assert len(tablet.sent_messages("identify")) == 1

    # The reissued badge.
    page.evaluate("(code) => { window.__badge = code; }", badge_code(e2e_hall, member_id, version))
    camera.click()
    expect(page.locator("#me-name")).to_have_text(name, timeout=LIVE)
    expect(page.locator("#identify")).to_be_hidden()
    assert [m["code"] for m in tablet.sent_messages("identify")] == [
        badge_code(e2e_hall, member_id, version - 1), badge_code(e2e_hall, member_id, version)]
    assert page.evaluate("document.querySelector('#identify-video').srcObject === null"
                         " || document.querySelector('#identify-video').hidden")
    assert tablet.js_errors() == []


def test_the_identify_screen_reads_in_english(context, e2e_hall, plenary, plenary_seats, fleet):
    seat_id, _, _, _ = plenary_seats[9]
    tablet, _ = released_tablet(context, e2e_hall, plenary, seat_id, fleet)
    page = tablet.page
    with page.expect_navigation():
        page.click(".lang-switch button[value=en]")
    tablet.wait_online()
    expect(page.locator("#identify-code-form h2")).to_have_text("Scan your badge")
    page.click("#identify-code-submit")
    expect(page.locator("#identify-code-error")).to_have_text("Please scan the QR code on your badge")
    assert tablet.js_errors() == []


def test_a_tablet_released_by_the_console_turns_to_the_identify_screen_live(context, e2e_hall, plenary,
                                                                               plenary_seats, fleet):
    seat_id, _, name, _ = plenary_seats[5]
    tablet = Tablet(context)
    page = tablet.page
    stored = tablet.demo_pair(e2e_hall, plenary, seat_id)
    expect(page.locator("#me-name")).to_have_text(name)
    assert fleet.request(plenary, "device.release", device=stored["id"])["type"] == "ok"
    expect(page.locator("#identify")).to_be_visible(timeout=5_000)
    expect(page.locator("#me-card")).to_be_hidden()
