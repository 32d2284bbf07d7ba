"""The console's devices panel in real Chromium: live presence of Python tablets, the dropped-tablet
flag, revoking (the tablet's socket is cut with device_revoked), moving a member to a tablet, and
the pairing QR for a seat."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import voting_seats

LIVE = 15_000  # ms; presence reaches the console within about two seconds


def row(c, device_id):
    return c.locator(f"#dev-rows tr[data-device='{device_id}']")


def member(hall, member_id):
    return hall.env.query("select name, member_number from meeting_member where id = ?", (member_id,))[0]


def test_presence_dropped_revoke_and_transfer(hall_pages, e2e_hall, fleet, shots):
    mid = e2e_hall.env.meeting_ids()["plenary"]
    seats = voting_seats(e2e_hall, mid)
    console = hall_pages.console(mid)
    c = console.page
    if c.locator("#meeting-state").get_attribute("data-state") == "scheduled":
        c.click("#open-meeting")
    expect(c.locator("#meeting-state")).to_have_attribute("data-state", "open")
    c.click("#tab-btn-devices")
    expect(c.locator("#dev-waiting")).to_be_hidden()

    # A tablet connects (it reports 87 % battery): online, bound to the seat's member.
    (seat_a, member_a), (seat_b, member_b), (seat_c, member_c), (_, member_d) = seats[:4]
    first = fleet.tablet(mid, seat_a, member_a)
    tr = row(c, first.key.device_id)
    expect(tr).to_have_attribute("data-online", "yes", timeout=LIVE)
    expect(tr.locator(".battery__value")).to_have_text("87%")
    expect(tr.locator(".dev-member")).to_have_text(member(e2e_hall, member_a)[0])
    expect(tr.locator(".dev-status")).to_have_text("在线")
    expect(c.locator("#dev-count-online")).to_have_text("1")

    # It drops off while the meeting sits: offline, flagged red, and the strip says so.
    fleet.disconnect(first)
    expect(tr).to_have_attribute("data-online", "no", timeout=LIVE)
    expect(tr).to_have_attribute("data-dropped", "yes")
    expect(tr.locator(".dev-flag")).to_have_text("掉线")
    expect(c.locator("#dev-alert")).to_be_visible()
    expect(c.locator("#dev-alert-text")).to_contain_text("1台代表终端掉线")
    expect(c.locator("#strip-devices")).to_have_attribute("data-alert", "yes")
    assert c.evaluate("getComputedStyle(document.querySelector(\"#dev-rows tr.is-dropped\")).backgroundColor") \
        != "rgba(0, 0, 0, 0)"

    # Two more tablets; the screenshot shows one dropped and two online.
    second = fleet.tablet(mid, seat_b, member_b)
    third = fleet.tablet(mid, seat_c, member_c)
    expect(row(c, second.key.device_id)).to_have_attribute("data-online", "yes", timeout=LIVE)
    expect(row(c, third.key.device_id)).to_have_attribute("data-online", "yes", timeout=LIVE)
    c.screenshot(path=str(shots / "console-devices.png"), full_page=True)

    # Revoke the second one: asked first; its socket gets device_revoked and is closed.
    row(c, second.key.device_id).get_by_role("button", name="停用").click()
    dialog = c.locator("#confirm-action")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(member(e2e_hall, member_b)[0])
    c.click("#confirm-action-yes")
    refusal, close_code = fleet.wait_refusal(second)
    assert refusal and refusal["code"] == "device_revoked", refusal
    assert close_code == 4403
    expect(row(c, second.key.device_id)).to_have_count(0, timeout=LIVE)
    expect(c.locator("#flash")).to_have_attribute("data-kind", "ok")

    # Move member D (who has no tablet) to the third tablet.
    name_d, number_d = member(e2e_hall, member_d)
    row(c, third.key.device_id).get_by_role("button", name="转移").click()
    transfer = c.locator("#transfer-dialog")
    expect(transfer).to_be_visible()
    expect(c.locator("#transfer-confirm")).to_be_disabled()
    c.fill("#transfer-query", number_d)
    c.click(f"#transfer-results .member-pick[data-member='{member_d}']")
    expect(c.locator("#transfer-confirm")).to_have_text(f"把{name_d}转到此终端")
    c.click("#transfer-confirm")
    expect(transfer).to_be_hidden()
    expect(row(c, third.key.device_id).locator(".dev-member")).to_have_text(name_d, timeout=LIVE)
    bound = e2e_hall.env.query(  # SQLite keeps a UUID as 32 hex digits
        "select member_id from devices_binding where device_id = ? and ended_at is null",
        (third.key.device_id.replace("-", ""),))
    assert bound == [(member_d,)]
    assert console.js_errors() == []


def test_pairing_qr_for_a_seat(hall_pages, e2e_hall, shots):
    mid = e2e_hall.env.meeting_ids()["plenary"]
    seat_id, member_id = voting_seats(e2e_hall, mid)[5]
    label = e2e_hall.env.query("select label from meeting_seat where id = ?", (seat_id,))[0][0]
    console = hall_pages.console(mid)
    c = console.page
    c.click("#tab-btn-devices")
    c.click("#pair-new")
    pair = c.locator("#pair-dialog")
    expect(pair).to_be_visible()

    # A seat that does not exist is caught before asking the server.
    c.fill("#pair-seat", "没有这个座位")
    c.click("#pair-generate")
    expect(c.locator("#pair-error")).to_have_text("没有这个座位，请从列表中选择")

    c.fill("#pair-seat", label)
    expect(c.locator("#pair-seat-member")).to_contain_text(
        e2e_hall.env.query("select name from meeting_member where id = ?", (member_id,))[0][0])
    c.click("#pair-generate")
    expect(c.locator("#pair-step-code")).to_be_visible()
    expect(c.locator("#pair-qr svg")).to_have_count(1)
    box = c.locator("#pair-qr svg").bounding_box()
    assert box["width"] >= 200 and box["height"] >= 200
    expect(c.locator("#pair-for")).to_contain_text(label)
    expect(c.locator("#pair-expiry")).to_have_text(re.compile(r"^0[45]:\d\d 后过期$"))
    url = c.locator("#pair-url").get_attribute("href")
    assert re.search(r"/pair/[^/]+/$", url), url
    # The code is stored (hashed) for that seat, once.
    assert e2e_hall.env.query("select count(*) from devices_pairingcode where seat_id = ?", (seat_id,))[0][0] == 1
    c.screenshot(path=str(shots / "console-pairing.png"))
    c.click("#pair-done")
    expect(pair).to_be_hidden()

    # A display's code needs no seat.
    c.click("#pair-new")
    c.check("input[name=pair-kind][value=display]")
    expect(c.locator("#pair-seat-field")).to_be_hidden()
    c.click("#pair-generate")
    expect(c.locator("#pair-qr svg")).to_have_count(1)
    expect(c.locator("#pair-for")).to_have_text("大屏")
    assert console.js_errors() == []
