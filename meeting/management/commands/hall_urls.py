"""Print the links a person needs to try the demo hall: console, two tablets, a display, admin.
The tablet and display links are demo pairing pages (/demo/…): the browser that opens one makes
its device key and pairs, then goes on to the surface.

The output is deliberately bilingual (Chinese, English in brackets) whatever the locale, because
it is read off a terminal by whoever set the machine up, so its labels are not run through gettext.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from meeting.models import Meeting, SeatAssignment, Zone

from .seed_demo import CONGRESS_NAME, STANDING_NAME, TERM, credentials_path, read_credentials

LOCAL_ALIASES = {"", "0.0.0.0", "::", "[::]"}


class Command(BaseCommand):
    help = "打印演示会场的访问链接（Print the demo hall's links）"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host, port, **options):
        self.base = _base_url(host, port)
        out = self.stdout.write
        out("会堂 · 人大会议与电子表决系统（Huitang: congress meetings and e-voting）")
        out(f"首页（Home）：{self.base}/")
        if host in LOCAL_ALIASES:
            out("  服务监听所有网卡；其他设备请改用本机的局域网地址（listening on all interfaces; "
                "other devices use this machine's LAN address）")
        if not settings.DEMO:
            out("演示链接已关闭：生产环境不开放演示入口（Demo links are disabled in production）")
            out(f"管理后台（Admin site）：{self.base}/admin/")
            return
        credentials = read_credentials()
        if not credentials:
            out(f"找不到演示账号文件 {credentials_path()}，请先运行 manage.py seed_demo"
                "（No demo credentials: run manage.py seed_demo first）")
        self.admin_site(credentials)
        if self.base.split("://", 1)[1].split(":")[0] not in ("127.0.0.1", "localhost", "[::1]"):
            out("  注意：代表终端签名需要安全上下文，请用 HTTPS 或在本机用 localhost 访问"
                "（tablets sign ballots with WebCrypto: use HTTPS, or localhost on this machine）")
        meetings = [
            ("plenary", CONGRESS_NAME, Meeting.Kind.PLENARY),
            ("standing", STANDING_NAME, Meeting.Kind.STANDING),
        ]
        found = False
        for _key, body_name, kind in meetings:
            meeting = Meeting.objects.filter(body__name=body_name, body__term=TERM, kind=kind).first()
            if meeting is not None:
                found = True
                self.meeting_links(meeting, credentials)
        if not found:
            out("还没有演示会议，请先运行 manage.py seed_demo（No demo meetings: run manage.py seed_demo）")

    def admin_site(self, credentials):
        out = self.stdout.write
        out(f"管理后台（Admin site）：{self.base}/admin/    （页面右上角可切换英文 / switch to English at the top right）")
        if "admin" in credentials:
            out(f"  账号（user）admin    密码（password）{credentials['admin']}")

    def meeting_links(self, meeting, credentials):
        out = self.stdout.write
        out("")
        out(f"== {meeting.title} ==")
        out(f"主控台（Operator console）：{self.base}/console/{meeting.id}/")
        if "operator" in credentials:
            out(f"  账号（user）operator    密码（password）{credentials['operator']}")
        out("  以下为演示配对链接：打开后在该浏览器中生成设备密钥并配对，再进入终端"
            "（demo pairing links: each makes a device key in that browser, pairs it, then opens the surface）")
        labels = ["代表终端（Delegate tablet）", "第二台代表终端（Second delegate tablet）"]
        for label, assignment in zip(labels, _first_seats(meeting)):
            out(f"{label}：{assignment.member.name} · {assignment.seat.label}")
            out(f"  {self.base}/demo/tablet/{meeting.id}/{assignment.seat_id}/")
        out(f"大屏（Hall display）：{self.base}/demo/display/{meeting.id}/")


def _first_seats(meeting):
    """The members in the first two seats of the floor (池座), front row first."""
    assignments = SeatAssignment.objects.filter(meeting=meeting).select_related("member", "seat", "seat__zone")
    floor = list(assignments.filter(seat__zone__kind=Zone.Kind.FLOOR).order_by("seat__row", "seat__number")[:2])
    if len(floor) < 2:
        floor += list(assignments.exclude(id__in=[a.id for a in floor])
                      .order_by("seat__zone__order", "seat__row", "seat__number")[: 2 - len(floor)])
    return floor


def _base_url(host, port):
    if host in LOCAL_ALIASES:
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"
