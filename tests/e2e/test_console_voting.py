"""The console's poll panel and the hall display during a vote, in real Chromium against a real
server, with Python tablets casting signed ballots beside the browser.

The tests of this module share one server and run in file order: the standing committee's tests
rely on nobody there being signed in yet when the no-quorum test runs.
"""

import json
import re

from playwright.sync_api import expect

from tests.e2e.conftest import voting_seats

LIVE = 15_000  # ms: how long a live update may take to show


def open_meeting(console):
    c = console.page
    if c.locator("#meeting-state").get_attribute("data-state") == "scheduled":
        c.click("#open-meeting")
    expect(c.locator("#meeting-state")).to_have_attribute("data-state", "open")


def agenda_items(hall, meeting_id):
    return hall.env.query(
        'select id, title, kind from meeting_agendaitem where meeting_id = ? order by "order"', (meeting_id,))


def prepare(c, item_id, title=None, threshold=None, countdown=None, anonymous=True):
    c.click("#tab-btn-polls")
    c.select_option("#prep-item", str(item_id))
    if title is not None:
        expect(c.locator("#prep-title")).to_have_value(title)
    if threshold:
        c.select_option("#prep-threshold", threshold)
    if countdown is not None:
        c.fill("#prep-countdown", str(countdown))
    if not anonymous:
        c.uncheck("#prep-anonymous")
    c.click("#prep-submit")
    expect(c.locator("#poll-state")).to_have_text("已准备")
    return int(c.locator("#poll-detail").get_attribute("data-poll"))


def member_names(hall, meeting_id):
    return [name for (name,) in hall.env.query(
        "select m.name from meeting_participant p join meeting_member m on m.id = p.member_id where p.meeting_id = ?",
        (meeting_id,))]


def test_a_motion_poll_from_prepare_to_announced_result(hall_pages, e2e_hall, fleet, shots):
    mid = e2e_hall.env.meeting_ids()["plenary"]
    seats = voting_seats(e2e_hall, mid)
    assert len(seats) == 40
    item_id, item_title, _ = agenda_items(e2e_hall, mid)[1]

    console = hall_pages.console(mid)
    c = console.page
    display = hall_pages.display(mid)
    d = display.page
    open_meeting(console)

    # 30 of the 40 deputies are signed in (at the door, here by a second operator): quorum is 27.
    fleet.sign_in(mid, [member for _, member in seats[:30]])
    expect(c.locator("#strip-quorum")).to_have_attribute("data-reached", "yes", timeout=LIVE)
    tablets = [fleet.tablet(mid, seat, member) for seat, member in seats[:10]]

    # Prepare: a motion from agenda item 2, passing by more than half of the votes cast.
    poll = prepare(c, item_id, title=item_title, threshold="cast:more_than:1:2", countdown=300)
    expect(c.locator("#poll-list .poll-row[data-poll='%d']" % poll)).to_have_attribute("data-state", "prepared")
    expect(c.locator("#poll-facts")).to_contain_text("无记名")

    # Open: the console asks first, then the displays switch to the vote.
    c.click("#poll-open")
    dialog = c.locator("#confirm-action")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(item_title)
    c.click("#confirm-action-yes")
    expect(c.locator("#poll-state")).to_have_text("表决中")
    expect(d.locator("[data-panel=vote]")).to_be_visible(timeout=LIVE)
    expect(d.locator("#vote-title")).to_have_text(item_title)
    expect(d.locator("#vote-rule")).to_have_text("以参加表决的代表的过半数通过")
    expect(d.locator("#vote-voted")).to_have_text("0")
    expect(d.locator("#vote-signed")).to_have_text("30")
    expect(d.locator("#vote-entitled")).to_have_text("40")
    expect(d.locator("#vote-clock")).to_have_text(re.compile(r"^0[45]:\d\d$"))
    expect(c.locator("#poll-countdown")).to_have_text(re.compile(r"^0[45]:\d\d$"))
    expect(c.locator("#poll-signed")).to_have_text("30")

    # Ten tablets vote; the count rises on the console and on the display.
    choices = ["for"] * 7 + ["against"] * 2 + ["abstain"]
    for tablet, choice in zip(tablets[:5], choices[:5]):
        assert fleet.vote(tablet, poll, choice)["type"] == "ok"
    expect(d.locator("#vote-voted")).to_have_text("5", timeout=LIVE)
    expect(c.locator("#poll-voted")).to_have_text("5", timeout=LIVE)
    expect(c.locator("#poll-missing")).to_have_text("25")
    d.screenshot(path=str(shots / "display-vote.png"))
    c.screenshot(path=str(shots / "console-poll-open.png"), full_page=True)
    for tablet, choice in zip(tablets[5:], choices[5:]):
        assert fleet.vote(tablet, poll, choice)["type"] == "ok"
    expect(d.locator("#vote-voted")).to_have_text("10", timeout=LIVE)
    expect(c.locator("#poll-voted")).to_have_text("10", timeout=LIVE)
    expect(c.locator("#strip-poll")).to_contain_text("已投票10/已签到30")

    # The display never says who voted (nor how): no member's name is on it.
    text = d.locator("body").inner_text()
    assert not [name for name in member_names(e2e_hall, mid) if name in text]

    # Close: the dialog first says how many signed-in members have not voted.
    c.click("#poll-close")
    expect(dialog).to_be_visible()
    expect(c.locator("#close-not-voted")).to_have_attribute("data-missing", "20")
    expect(c.locator("#close-not-voted")).to_contain_text("还有20人未投票")
    c.locator("#confirm-action-no").click()
    expect(dialog).to_be_hidden()
    c.wait_for_timeout(300)
    assert e2e_hall.env.query("select state from voting_poll where id = ?", (poll,))[0][0] == "open"
    c.click("#poll-close")
    c.click("#confirm-action-yes")
    expect(c.locator("#poll-state")).to_have_text("已结束")
    expect(c.locator("#poll-verdict")).to_have_text("通过")
    expect(c.locator("#poll-result [data-count=for]")).to_have_text("7")
    expect(c.locator("#poll-result [data-count=not_voted]")).to_have_text("20")
    # Until announced, the hall sees that the vote is over, not its result.
    expect(d.locator("[data-panel=results]")).to_be_visible(timeout=LIVE)
    expect(d.locator(".dresult__waiting")).to_have_text("表决已结束，请等待宣布结果")
    expect(d.locator("#result-verdict")).to_have_count(0)

    # Announce (asked first): the display shows 通过 and the counts in very large type.
    c.click("#poll-announce")
    expect(dialog).to_contain_text("赞成7，反对2，弃权1，未按20：通过")
    c.click("#confirm-action-yes")
    expect(c.locator("#poll-state")).to_have_text("已宣布")
    expect(d.locator("#result-verdict")).to_have_text("通过", timeout=LIVE)
    expect(d.locator("#result-verdict")).to_have_attribute("data-passed", "yes")
    for key, value in (("for", "7"), ("against", "2"), ("abstain", "1"), ("not_voted", "20")):
        expect(d.locator(f"#result-body [data-count={key}]")).to_have_text(value)
    expect(d.locator(".dresult__rule")).to_contain_text("以参加表决的代表的过半数通过")
    size = d.evaluate("parseFloat(getComputedStyle(document.querySelector('#result-verdict')).fontSize)")
    assert size >= 150
    assert d.evaluate("document.documentElement.scrollHeight <= innerHeight")
    d.screenshot(path=str(shots / "display-result.png"))
    c.screenshot(path=str(shots / "console-poll-result.png"), full_page=True)
    expect(c.locator(f"#poll-list .poll-row[data-poll='{poll}'] .poll-row__verdict")).to_have_text("通过")

    # The result sheet and the ballot log download from the links on the console.
    pdf = c.request.get(e2e_hall.base + c.get_attribute("#poll-pdf", "href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body()[:5] == b"%PDF-"
    log = c.request.get(e2e_hall.base + c.get_attribute("#poll-log", "href"))
    assert log.status == 200
    assert json.loads(log.body())

    assert console.js_errors() == [] and display.js_errors() == []


def test_opening_without_quorum_shows_the_servers_refusal(hall_pages, e2e_hall):
    mid = e2e_hall.env.meeting_ids()["standing"]
    item_id, item_title, _ = agenda_items(e2e_hall, mid)[1]
    console = hall_pages.console(mid)
    c = console.page
    open_meeting(console)
    expect(c.locator("#strip-quorum")).to_have_attribute("data-reached", "no")

    poll = prepare(c, item_id, title=item_title)
    c.click("#poll-open")
    # The console warns, but it is the server that decides.
    expect(c.locator("#confirm-action")).to_contain_text("未达到法定人数")
    c.click("#confirm-action-yes")
    refusal = "实到0人，未达到法定人数（需8人），不能开始表决"
    expect(c.locator("#poll-error")).to_have_text(refusal)
    expect(c.locator("#poll-error")).to_have_attribute("data-code", "no_quorum")
    expect(c.locator("#flash")).to_have_text(refusal)
    expect(c.locator("#poll-state")).to_have_text("已准备")
    assert e2e_hall.env.query("select state from voting_poll where id = ?", (poll,))[0][0] == "prepared"

    # A cancel needs a reason.
    c.click("#poll-cancel")
    c.click("#confirm-action-yes")
    expect(c.locator("#confirm-action-error")).to_be_visible()
    c.fill("#confirm-action-input", "未达到法定人数，改日表决")
    c.click("#confirm-action-yes")
    expect(c.locator("#poll-state")).to_have_text("已取消")
    assert e2e_hall.env.query("select state, cancelled_reason from voting_poll where id = ?", (poll,))[0] == (
        "cancelled", "未达到法定人数，改日表决")
    assert console.js_errors() == []


def test_a_hand_count_is_recorded_and_shown_as_such(hall_pages, e2e_hall, fleet, shots):
    mid = e2e_hall.env.meeting_ids()["standing"]
    seats = voting_seats(e2e_hall, mid)
    item_id, item_title, kind = agenda_items(e2e_hall, mid)[2]
    assert kind == "appointment"
    nominees = json.loads(e2e_hall.env.query(
        "select details from meeting_agendaitem where id = ?", (item_id,))[0][0])["nominees"]

    console = hall_pages.console(mid)
    c = console.page
    display = hall_pages.display(mid)
    d = display.page
    open_meeting(console)
    fleet.sign_in(mid, [member for _, member in seats[:10]])  # 10 of 15: more than half
    expect(c.locator("#strip-quorum")).to_have_attribute("data-reached", "yes", timeout=LIVE)

    # An appointment poll: the nominees come from the agenda item.
    c.click("#tab-btn-polls")
    c.select_option("#prep-item", str(item_id))
    expect(c.locator("input[name=prep-kind][value=appointment]")).to_be_checked()
    expect(c.locator("#prep-nominee-rows [data-field=name]")).to_have_count(len(nominees))
    assert [c.locator("#prep-nominee-rows [data-field=name]").nth(i).input_value()
            for i in range(len(nominees))] == [n["name"] for n in nominees]
    c.click("#prep-submit")
    expect(c.locator("#poll-state")).to_have_text("已准备")
    poll = int(c.locator("#poll-detail").get_attribute("data-poll"))

    # The devices failed: the chair takes the vote by show of hands and the console records it.
    c.click("#poll-hand")
    hand = c.locator("#hand-dialog")
    expect(hand).to_be_visible()
    expect(hand.locator(".hand-nominee")).to_have_count(len(nominees))
    counts = [(8, 1, 1), (6, 3, 0), (4, 5, 1)][:len(nominees)] + [(9, 0, 0)] * max(0, len(nominees) - 3)
    for box, (yes, no, abstain) in zip(hand.locator(".hand-nominee").all(), counts):
        box.locator("[data-key=for]").fill(str(yes))
        box.locator("[data-key=against]").fill(str(no))
        box.locator("[data-key=abstain]").fill(str(abstain))
    # More hands than members present is refused by the server, and said plainly.
    hand.locator(".hand-nominee").first.locator("[data-key=for]").fill("30")
    c.click("#hand-submit")
    expect(c.locator("#hand-error")).to_contain_text("多于实到人数")
    hand.locator(".hand-nominee").first.locator("[data-key=for]").fill(str(counts[0][0]))
    c.fill("#hand-note", "表决器故障，改为举手表决")
    c.click("#hand-submit")
    expect(hand).to_be_hidden()

    expect(c.locator("#poll-state")).to_have_text("已结束")
    expect(c.locator("#poll-result [data-hand-counted=yes]")).to_contain_text("人工计票")
    expect(c.locator("#poll-result [data-hand-counted=yes]")).to_contain_text("op-e2e")
    rows = c.locator("#poll-result .pres-table tbody tr")
    expect(rows).to_have_count(len(nominees))
    # More than half of all 15 component members: 8 or more for-votes.
    for i, (yes, _no, _ab) in enumerate(counts):
        expect(rows.nth(i).locator(".verdict-word")).to_have_text("通过" if yes >= 8 else "未通过")
    stored = e2e_hall.env.query("select note from voting_handcount where poll_id = ?", (poll,))
    assert stored == [("表决器故障，改为举手表决",)]

    c.click("#poll-announce")
    c.click("#confirm-action-yes")
    expect(d.locator("[data-panel=results]")).to_be_visible(timeout=LIVE)
    expect(d.locator(".dresult__hand")).to_have_text("人工计票", timeout=LIVE)
    table = d.locator(".dresult__table tbody tr")
    expect(table).to_have_count(len(nominees))
    expect(table.first.locator("th")).to_have_text(nominees[0]["name"])
    expect(table.first.locator(".dresult__word")).to_have_text("通过")
    d.screenshot(path=str(shots / "display-result-appointment.png"))
    c.screenshot(path=str(shots / "console-hand-count.png"), full_page=True)
    assert console.js_errors() == [] and display.js_errors() == []
