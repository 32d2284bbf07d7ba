"""The hall display in real Chromium at 1920×1080: sign-in figures, quorum and the seat map; a vote
in progress (named or not, the display shows counts only), paused and cancelled."""

from playwright.sync_api import expect

from tests.e2e.conftest import voting_seats

LIVE = 15_000


def fits(page):
    return page.evaluate(
        "document.documentElement.scrollWidth <= innerWidth && document.documentElement.scrollHeight <= innerHeight")


def test_signin_mode_shows_attendance_quorum_and_the_seat_map(hall_pages, e2e_hall, fleet, shots):
    mid = e2e_hall.env.meeting_ids()["plenary"]
    seats = voting_seats(e2e_hall, mid)
    display = hall_pages.display(mid)
    d = display.page
    console = hall_pages.console(mid)
    c = console.page

    c.check("input[name=mode][value=signin]")
    c.click("#display-send")
    expect(d.locator("[data-panel=signin]")).to_be_visible(timeout=LIVE)
    figures = d.locator("#signin-figures")
    expect(figures.locator("[data-signin-figure=entitled]")).to_have_text("40")
    expect(figures.locator("[data-signin-figure=present]")).to_have_text("0")
    expect(figures.locator("[data-signin-quorum]")).to_have_attribute("data-reached", "no")
    expect(figures.locator(".hs-quorum__state")).to_have_text("未达到法定人数（还差27人）")
    (total_seats,), = e2e_hall.env.query(
        "select count(*) from meeting_seat s join meeting_meeting m on m.venue_id = s.venue_id where m.id = ?",
        (mid,))
    expect(d.locator("#display-seatmap [data-seat-id]")).to_have_count(total_seats)
    expect(d.locator("#display-seatmap .is-signed-in")).to_have_count(0)

    # 27 deputies sign in (two-thirds of 40): quorum is reached, live, and their seats light up.
    fleet.sign_in(mid, [member for _, member in seats[:27]])
    expect(figures.locator("[data-signin-figure=present]")).to_have_text("27", timeout=LIVE)
    expect(figures.locator("[data-signin-quorum]")).to_have_attribute("data-reached", "yes")
    expect(figures.locator(".hs-quorum__state")).to_have_text("已达到法定人数")
    expect(figures.locator(".hs-quorum__rule")).to_contain_text("三分之二")
    expect(d.locator("#display-seatmap .is-signed-in")).to_have_count(27, timeout=LIVE)
    lit = sorted(int(v) for v in d.eval_on_selector_all(
        "#display-seatmap .is-signed-in", "nodes => nodes.map(n => n.dataset.seatId)"))
    assert lit == sorted(seat for seat, _ in seats[:27])

    # One more is on leave: 请假 1, 缺席 12.
    assert fleet.request(mid, "signin.leave", member=seats[30][1], reason="因病请假")["type"] == "ok"
    expect(figures.locator("[data-signin-figure=leave]")).to_have_text("1", timeout=LIVE)
    expect(figures.locator("[data-signin-figure=absent]")).to_have_text("12")

    # The console's sign-in tab shows the same, with the seat map and the files.
    c.click("#tab-btn-signin")
    expect(c.locator("#signin-panel [data-signin-figure=present]")).to_have_text("27")
    expect(c.locator("#console-seatmap .is-signed-in")).to_have_count(27)
    for href in ("scanner/", "badges.pdf", "signin.pdf", "signin.xlsx"):
        expect(c.locator(f"#signin-panel a[href='/console/{mid}/{href}']")).to_have_count(1)
    expect(c.locator("#strip-quorum")).to_have_attribute("data-reached", "yes")

    assert fits(d)
    d.screenshot(path=str(shots / "display-signin.png"))
    c.screenshot(path=str(shots / "console-signin.png"), full_page=True)
    assert display.js_errors() == [] and console.js_errors() == []


def test_a_named_vote_shows_names_on_the_console_and_only_counts_on_the_display(hall_pages, e2e_hall, fleet, shots):
    mid = e2e_hall.env.meeting_ids()["plenary"]
    seats = voting_seats(e2e_hall, mid)
    fleet.sign_in(mid, [member for _, member in seats[:27]])  # harmless if already signed in
    names = dict(e2e_hall.env.query(
        "select m.id, m.name from meeting_participant p join meeting_member m on m.id = p.member_id "
        "where p.meeting_id = ?", (mid,)))
    display = hall_pages.display(mid)
    d = display.page
    console = hall_pages.console(mid)
    c = console.page
    if c.locator("#meeting-state").get_attribute("data-state") == "scheduled":
        c.click("#open-meeting")
    expect(c.locator("#meeting-state")).to_have_attribute("data-state", "open")

    # A named poll with no countdown.
    c.click("#tab-btn-polls")
    (item,), = e2e_hall.env.query(
        "select id from meeting_agendaitem where meeting_id = ? and kind = 'resolution'", (mid,))
    c.select_option("#prep-item", str(item))
    c.uncheck("#prep-anonymous")
    c.fill("#prep-countdown", "")
    c.click("#prep-submit")
    expect(c.locator("#poll-state")).to_have_text("已准备")
    poll = int(c.locator("#poll-detail").get_attribute("data-poll"))
    c.click("#poll-open")
    c.click("#confirm-action-yes")
    expect(c.locator("#poll-state")).to_have_text("表决中")
    expect(c.locator("#poll-not-voted-list li")).to_have_count(27, timeout=LIVE)
    expect(d.locator("#vote-clock")).to_have_text("请按键表决", timeout=LIVE)

    voter_seat, voter = seats[0]
    tablet = fleet.tablet(mid, voter_seat, voter)
    assert fleet.vote(tablet, poll, "against")["type"] == "ok"
    expect(c.locator("#poll-not-voted-list li")).to_have_count(26, timeout=LIVE)
    expect(c.locator("#poll-not-voted-list")).not_to_contain_text(names[voter])
    expect(d.locator("#vote-voted")).to_have_text("1", timeout=LIVE)
    text = d.locator("body").inner_text()
    assert not [name for name in names.values() if name in text], "a name on the hall display"
    assert "反对" not in text

    # Paused: the display says so, and the count stays.
    c.click("#poll-pause")
    expect(d.locator("#vote-kicker")).to_have_text("表决暂停", timeout=LIVE)
    expect(d.locator("[data-panel=vote]")).to_have_attribute("data-state", "paused")
    assert fits(d)
    d.screenshot(path=str(shots / "display-vote-paused.png"))
    c.click("#poll-resume")
    expect(d.locator("#vote-kicker")).to_have_text("正在表决", timeout=LIVE)

    # Cancelled with a reason: the display leaves the vote and says it was cancelled.
    c.click("#poll-cancel")
    c.fill("#confirm-action-input", "表决事项有误")
    c.click("#confirm-action-yes")
    expect(c.locator("#poll-state")).to_have_text("已取消")
    expect(d.locator("[data-panel=results]")).to_be_visible(timeout=LIVE)
    expect(d.locator(".dresult__waiting")).to_have_text("本项表决已取消")
    assert display.js_errors() == [] and console.js_errors() == []
