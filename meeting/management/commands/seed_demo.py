"""Build the demo congress: 某市第十七届人民代表大会, its standing committee, the halls and two meetings.

Idempotent: when the demo congress exists the command says so and changes nothing; --reset
deletes the demo data (and everything recorded against it) and builds it again. Names and
organisations come from a fixed random seed, so every machine gets the same congress.
"""

import math
import os
import random
import secrets
from collections import defaultdict
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from meeting.models import (
    AgendaItem, Body, BodyMembership, Delegation, Meeting, Member, Participant, Seat, SeatAssignment,
    SubVenue, Venue, Zone,
)
from meeting.roles import ADMINISTRATOR, OPERATOR, sync_role_groups

CITY = "某市"
TERM = 17
CONGRESS_NAME = f"{CITY}第十七届人民代表大会"
STANDING_NAME = f"{CONGRESS_NAME}常务委员会"
MAIN_HALL = "市人民会堂"
SUB_VENUE = "青山县分会场"
STANDING_ROOM = "市人大常委会会议室"
HALL_TZ = ZoneInfo("Asia/Shanghai")
SEED = 17
CREDENTIALS_FILE = "demo-credentials.txt"
STAFF_USERS = (("operator", OPERATOR), ("admin", ADMINISTRATOR))

# (area, kind, weight): a delegation's share of the deputies follows its weight.
DELEGATIONS = [
    ("城关区", "district", 11), ("东湖区", "district", 10), ("西山区", "district", 9),
    ("南河区", "district", 9), ("北塘区", "district", 8), ("高新区", "zone", 7),
    ("经济技术开发区", "zone", 6), ("临江市", "county", 9), ("青山县", "county", 8),
    ("清河县", "county", 8), ("白云县", "county", 7), ("解放军", "army", 3),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_FIRST_MALE = "建国志文晓春海明振宏德永学忠立新俊子家嘉宇天云"
GIVEN_FIRST_FEMALE = "晓春海思文丽秀玉雪佳雨欣美静慧金"
GIVEN_MALE = "伟强军勇杰涛斌明超刚平辉鹏华飞鑫波宁林峰磊浩亮凯健俊东晨宇博成兴庆毅旭翔松"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲燕红梅琳颖婷雪慧倩洁莉晶萍佳云璐蕾欣悦瑶岚琴薇兰凤英"

STREETS = ["东关", "西关", "南门", "北街", "新华", "人民路", "解放路", "和平", "建设路", "长江路", "文化路", "朝阳"]
TOWNS = ["柳林", "石桥", "河口", "枣园", "双庙", "新集", "马坊", "杨庄", "龙泉", "白沙"]
VILLAGES = ["前进", "红星", "胜利", "王庄", "李家湾", "张营", "大柳树", "后坡", "东岗", "河西"]
BRANDS = ["华信", "恒通", "鑫达", "宏远", "瑞丰", "金桥", "天润", "长兴", "嘉禾", "中科", "新元", "远航"]

_DISTRICT_JOBS = [
    "{d}人民政府{head}", "{d}{street}街道党工委书记", "{d}{street}社区居委会主任",
    "{d}第{n}中学校长", "{d}人民医院院长", "市第{n}人民医院主任医师", "{brand}集团有限公司董事长",
    "{brand}机械制造有限公司高级技师", "{brand}商贸有限公司总经理", "市第{n}中学教师",
    "{brand}律师事务所主任", "{d}{street}街道环卫工人", "{brand}物流有限公司快递员",
]
ORGANISATIONS = {
    "district": _DISTRICT_JOBS,
    "zone": [
        "{d}管委会副主任", "{brand}科技股份有限公司总经理", "{brand}电子有限公司研发工程师",
        "{brand}新材料有限公司董事长", "{brand}智能装备有限公司车间主任", "{d}{street}社区党委书记",
        "{brand}生物医药有限公司首席科学家", "{brand}软件有限公司一线职工",
    ],
    "county": _DISTRICT_JOBS + [
        "{d}{town}镇党委书记", "{d}{town}镇{village}村党支部书记、村委会主任", "{d}{town}镇农民",
        "{d}{brand}种植专业合作社理事长", "{d}{town}镇中心卫生院院长", "{d}农业农村局局长",
    ],
    "army": [
        "解放军驻{city}部队某部政治委员", "解放军驻{city}部队某部部队长", "{city}警备区副司令员",
        "解放军驻{city}部队某部营长", "解放军驻{city}部队某部连指导员", "武警{city}支队支队长",
    ],
}
DELEGATION_HEADS = {
    "district": "中共{d}委员会书记", "zone": "{d}党工委书记、管委会主任",
    "county": "中共{d}委员会书记", "army": "{city}警备区政治委员",
}
GOVERNMENT_HEAD = {"district": "区长", "county": "县长", "zone": "管委会主任", "army": ""}

ATTENDEE_POSTS = [
    "市人民政府秘书长", "市发展和改革委员会主任", "市教育局局长", "市科学技术局局长", "市公安局局长",
    "市民政局局长", "市司法局局长", "市财政局局长", "市人力资源和社会保障局局长", "市自然资源和规划局局长",
    "市生态环境局局长", "市住房和城乡建设局局长", "市交通运输局局长", "市农业农村局局长", "市商务局局长",
    "市卫生健康委员会主任", "市应急管理局局长", "市审计局局长", "市中级人民法院院长", "市人民检察院检察长",
]
# Attendees called to the standing-committee meeting (indexes into ATTENDEE_POSTS).
STANDING_ATTENDEES = [0, 1, 7, 18, 19]

PLENARY_NOMINEE_POSTS = ["副市长", "副市长", "市中级人民法院副院长", "市人民检察院副检察长", "市监察委员会副主任"]
STANDING_NOMINEE_POSTS = ["市教育局局长", "市中级人民法院审判委员会委员、审判员", "市人民检察院检察委员会委员"]
LIVELIHOOD_PROJECTS = [
    "新建改扩建中小学10所，新增学位1.2万个", "新增普惠性幼儿园学位3000个",
    "改造老旧小区120个，加装电梯300部", "建设社区嵌入式养老服务中心20个", "新建改建城市公厕100座",
    "实施农村供水保障工程，惠及农村人口15万人", "新增公共停车泊位1万个", "新建公共充电桩2000个",
    "新建社区健身场地50处，打造“15分钟健身圈”", "为适龄妇女免费开展“两癌”筛查5万人次",
    "新建改造城市道路30条，打通断头路10条", "建设口袋公园40个", "新开和优化公交线路20条",
    "新建改造标准化菜市场15个", "为65岁及以上老年人提供免费健康体检",
]
LIVELIHOOD_CHOOSE = 10


class Command(BaseCommand):
    help = _("生成演示用的人民代表大会、常务委员会、会场座位和会议；已存在时不做改动")

    def add_arguments(self, parser):
        parser.add_argument("--deputies", type=int, default=600, help=_("代表人数"))
        parser.add_argument("--standing", type=int, default=45, help=_("常务委员会组成人员人数"))
        parser.add_argument("--reset", action="store_true", help=_("删除演示数据并重新生成"))

    def handle(self, *args, deputies, standing, reset, **options):
        if not settings.DEMO:
            raise CommandError(_("演示数据只能在演示模式下生成（HUITANG_DEMO=1）"))
        if deputies < 1 or standing < 1 or standing > deputies:
            raise CommandError(_("代表人数须至少为1，常务委员会组成人员人数须在1到代表人数之间"))
        sync_role_groups()
        exists = Body.objects.filter(name=CONGRESS_NAME, term=TERM).exists()
        if exists and not reset:
            self.stdout.write(_("演示数据已存在（%(name)s），未做改动；如需重建请加 --reset") % {"name": CONGRESS_NAME})
            if not credentials_path().exists():
                self.stdout.write(_("找不到演示账号文件 %(path)s，请运行 seed_demo --reset") % {"path": credentials_path()})
            return
        with transaction.atomic():
            if reset:
                delete_demo()
            summary = DemoBuilder(deputies, standing).build()
            passwords = ensure_staff_users(regenerate=reset)
        write_credentials(passwords)
        self.stdout.write(_(
            "已生成演示数据：%(body)s，代表 %(deputies)d 人（%(delegations)d 个代表团），"
            "常务委员会组成人员 %(standing)d 人，列席人员 %(attendees)d 人，会议 %(meetings)d 个"
        ) % summary)
        self.stdout.write(_("演示账号（已写入 %(path)s）：") % {"path": credentials_path()})
        for username, password in passwords.items():
            self.stdout.write(f"  {username}  {password}")


# --- staff accounts -------------------------------------------------------------------------

def credentials_path():
    return Path(settings.VAR_DIR) / CREDENTIALS_FILE


def read_credentials():
    """{username: password} from the credentials file, or {} when there is none."""
    path = credentials_path()
    if not path.exists():
        return {}
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if line.startswith("#") or len(parts) < 2:
            continue
        found[parts[0]] = parts[1]
    return found


def write_credentials(passwords):
    path = credentials_path()
    lines = ["# 会堂演示账号（Huitang demo accounts）：用户名<TAB>密码<TAB>角色；seed_demo --reset 重新生成"]
    groups = dict(STAFF_USERS)
    lines += [f"{username}\t{password}\t{groups[username]}" for username, password in passwords.items()]
    # Created 0600 from the start so the passwords are never readable by others, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    path.chmod(0o600)


def ensure_staff_users(regenerate):
    """Create the demo staff users; keep the passwords already on file unless regenerating."""
    stored = read_credentials()
    passwords = {}
    for username, group_name in STAFF_USERS:
        user, _created = get_user_model().objects.get_or_create(username=username)
        password = stored.get(username)
        if regenerate or not password or not user.check_password(password):
            password = secrets.token_urlsafe(9)
            user.set_password(password)
        user.is_staff, user.is_superuser, user.is_active = True, False, True
        user.save()
        user.groups.add(Group.objects.get(name=group_name))
        passwords[username] = password
    return passwords


# --- removing the demo ----------------------------------------------------------------------

def _purge(queryset):
    """Delete, first removing whatever other apps recorded against these rows (sign-ins, ballots,
    audit entries…): a reset throws the whole demo away."""
    for _attempt in range(20):
        try:
            queryset.delete()
            return
        except (ProtectedError, RestrictedError) as blocked:
            found = getattr(blocked, "protected_objects", None) or blocked.restricted_objects
            by_model = defaultdict(set)
            for obj in found:
                by_model[type(obj)].add(obj.pk)
            for model, pks in by_model.items():
                _purge(model._base_manager.filter(pk__in=pks))
    raise CommandError(_("无法删除演示数据：仍被其他记录引用"))


def delete_demo():
    bodies = Body.objects.filter(name__in=[CONGRESS_NAME, STANDING_NAME], term=TERM)
    meetings = Meeting.objects.filter(body__in=bodies)
    member_ids = set(Member.objects.filter(delegation__body__in=bodies).values_list("id", flat=True))
    member_ids |= set(BodyMembership.objects.filter(body__in=bodies).values_list("member_id", flat=True))
    member_ids |= set(Participant.objects.filter(meeting__in=meetings).values_list("member_id", flat=True))
    _purge(meetings)
    _purge(Member.objects.filter(id__in=member_ids))
    _purge(Body.objects.filter(name=STANDING_NAME, term=TERM))
    _purge(bodies)
    for name in (SUB_VENUE, STANDING_ROOM, MAIN_HALL):
        try:
            Venue.objects.filter(name=name).delete()
        except ProtectedError:
            raise CommandError(_("会场“%(name)s”还被其他会议使用，不能删除") % {"name": name}) from None


# --- seat maps ------------------------------------------------------------------------------

PITCH_X, PITCH_Y, MARGIN, STAGE_GAP, AISLE = 22, 26, 40, 60, 2 * 22


def plan_hall(presidium, floor, observers):
    """Seat coordinates for a hall whose stage is at the top of the drawing.

    Returns (width, height, {zone kind: [(row, number, x, y), …]}) with row 1 the row nearest
    the stage. Floor rows bow away from the stage, split into three blocks by two aisles.
    """
    cols = max(8, math.ceil(math.sqrt(max(floor, 1) * 1.8)))
    side = cols // 4
    blocks = [side, cols - 2 * side, side]
    floor_width = cols * PITCH_X + 2 * AISLE
    stage_cols = min(max(presidium, 1), max(8, cols // 2))
    stage_rows = math.ceil(presidium / stage_cols) if presidium else 0
    obs_cols = min(cols, max(observers, 1))
    width = floor_width + 2 * MARGIN
    cx = width / 2
    sag = min(60, PITCH_Y * 2) if cols > 12 else 0
    plan = {}

    stage = []
    for r in range(stage_rows):
        for c in range(stage_cols):
            x = cx + (c - (stage_cols - 1) / 2) * PITCH_X * 1.4
            stage.append((r + 1, c + 1, x, MARGIN + (stage_rows - 1 - r) * PITCH_Y))
    plan[Zone.Kind.PRESIDIUM] = stage

    top = MARGIN + stage_rows * PITCH_Y + (STAGE_GAP if stage_rows else 0)
    floor_rows = math.ceil(floor / cols) if floor else 0
    seats = []
    for r in range(floor_rows):
        c = 0
        for b, size in enumerate(blocks):
            for _i in range(size):
                x = MARGIN + c * PITCH_X + b * AISLE + PITCH_X / 2
                dx = (x - cx) / (floor_width / 2)
                seats.append((r + 1, c + 1, x, top + r * PITCH_Y + sag * (1 - dx * dx)))
                c += 1
    plan[Zone.Kind.FLOOR] = seats

    top += floor_rows * PITCH_Y + sag + (PITCH_Y if floor_rows else 0)
    obs_rows = math.ceil(observers / obs_cols) if observers else 0
    plan[Zone.Kind.OBSERVERS] = [
        (r + 1, c + 1, cx + (c - (obs_cols - 1) / 2) * PITCH_X, top + r * PITCH_Y)
        for r in range(obs_rows) for c in range(obs_cols)
    ]
    height = top + obs_rows * PITCH_Y + MARGIN
    return math.ceil(width / 10) * 10, math.ceil(height / 10) * 10, plan


ZONE_NAMES = {Zone.Kind.PRESIDIUM: "主席台", Zone.Kind.FLOOR: "池座", Zone.Kind.OBSERVERS: "列席席"}


def build_venue(name, presidium, floor, observers, parent=None, address=""):
    """A venue with its zones and seats; returns (venue, {zone kind: [Seat, …] in seat order})."""
    width, height, plan = plan_hall(presidium, floor, observers)
    venue = Venue.objects.create(name=name, parent=parent, address=address, width=width, height=height)
    seats_by_kind = {}
    for order, (kind, positions) in enumerate(plan.items(), start=1):
        if not positions:
            continue
        zone = Zone.objects.create(venue=venue, name=ZONE_NAMES[kind], kind=kind, order=order)
        seats_by_kind[kind] = Seat.objects.bulk_create(
            Seat(venue=venue, zone=zone, row=row, number=number, x=round(x, 1), y=round(y, 1),
                 label=f"{zone.name}{row}排{number}号")
            for row, number, x, y in positions
        )
    return venue, seats_by_kind


def stage_order(seats):
    """Presidium seats in order of precedence: front row first, centre outwards."""
    cx = sum(s.x for s in seats) / len(seats)
    return sorted(seats, key=lambda s: (s.row, abs(s.x - cx), s.x))


# --- the congress ---------------------------------------------------------------------------

class DemoBuilder:
    def __init__(self, deputies, standing):
        self.n_deputies, self.n_standing = deputies, standing
        self.rng = random.Random(SEED)

    def person(self):
        gender = "F" if self.rng.random() < 0.32 else "M"
        first, last = (GIVEN_FIRST_FEMALE, GIVEN_FEMALE) if gender == "F" else (GIVEN_FIRST_MALE, GIVEN_MALE)
        name = self.rng.choice(SURNAMES)
        if self.rng.random() < 0.7:
            name += self.rng.choice(first)
        name += self.rng.choice(last)
        phone = f"1{self.rng.choice('3589')}{self.rng.randint(0, 9)}****{self.rng.randint(0, 9999):04d}"
        return name, gender, phone

    def organisation(self, area, kind, template=None):
        template = template or self.rng.choice(ORGANISATIONS[kind])
        return template.format(
            d=area, city=CITY, head=GOVERNMENT_HEAD[kind], n=self.rng.choice("一二三四五六七八"),
            street=self.rng.choice(STREETS), town=self.rng.choice(TOWNS),
            village=self.rng.choice(VILLAGES), brand=self.rng.choice(BRANDS),
        )

    def build(self):
        congress = Body.objects.create(name=CONGRESS_NAME, kind=Body.Kind.CONGRESS, term=TERM)
        standing_body = Body.objects.create(
            name=STANDING_NAME, kind=Body.Kind.STANDING_COMMITTEE, term=TERM, parent=congress
        )
        deputies, heads = self.make_deputies(congress)
        attendees = self.make_attendees()
        leaders, standing_members = self.make_standing_committee(standing_body, deputies, heads)

        # The presidium (主席团) on the rostrum: the committee's leaders and each delegation's head.
        leader_ids = {id(m) for m in leaders}
        presidium = leaders + [h for h in heads if id(h) not in leader_ids]
        hall, hall_seats = build_venue(
            MAIN_HALL, presidium=len(presidium), floor=len(deputies), observers=len(attendees),
            address=f"{CITY}人民广场1号",
        )
        sub, _sub_seats = build_venue(SUB_VENUE, 0, 12, 0, parent=hall, address="青山县人民会堂")
        self.make_plenary(congress, hall, sub, deputies, attendees, presidium, hall_seats)

        guests = [attendees[i] for i in STANDING_ATTENDEES if i < len(attendees)]
        room, room_seats = build_venue(
            STANDING_ROOM, presidium=len(leaders), floor=len(standing_members) - len(leaders),
            observers=len(guests), address=f"{CITY}人大常委会机关",
        )
        self.make_standing_meeting(standing_body, room, standing_members, leaders, guests, room_seats)
        return {
            "body": CONGRESS_NAME, "deputies": len(deputies), "delegations": len(DELEGATIONS),
            "standing": len(standing_members), "attendees": len(attendees), "meetings": 2,
        }

    def make_deputies(self, congress):
        """Deputies grouped by delegation; the first of each delegation is its head (团长)."""
        weights = [w for _a, _k, w in DELEGATIONS]
        sizes = _apportion(self.n_deputies, weights)
        width = max(4, len(str(self.n_deputies)))
        members, heads, number = [], [], 0
        for order, ((area, kind, _w), size) in enumerate(zip(DELEGATIONS, sizes), start=1):
            delegation = Delegation.objects.create(body=congress, name=f"{area}代表团", order=order)
            for i in range(size):
                number += 1
                name, gender, phone = self.person()
                template = DELEGATION_HEADS[kind] if i == 0 else None
                member = Member(
                    member_number=f"D{number:0{width}d}", name=name, kind=Member.Kind.DEPUTY, gender=gender,
                    delegation=delegation, organisation=self.organisation(area, kind, template), phone=phone,
                )
                members.append(member)
                if i == 0:
                    heads.append(member)
        Member.objects.bulk_create(members)
        BodyMembership.objects.bulk_create(BodyMembership(body=congress, member=m, title="代表") for m in members)
        return members, heads

    def make_attendees(self):
        attendees = []
        for i, post in enumerate(ATTENDEE_POSTS, start=1):
            name, gender, phone = self.person()
            attendees.append(Member(
                member_number=f"L{i:03d}", name=name, kind=Member.Kind.ATTENDEE, gender=gender,
                organisation=post, phone=phone,
            ))
        return Member.objects.bulk_create(attendees)

    def make_standing_committee(self, body, deputies, heads):
        """Component members drawn from the deputies; returns (leaders on the rostrum, all members)."""
        head_ids = {id(h) for h in heads}
        pool = [d for d in deputies if id(d) not in head_ids]
        chosen = self.rng.sample(pool, min(self.n_standing, len(pool)))
        chosen += heads[: self.n_standing - len(chosen)]
        vice = max(1, min(8, self.n_standing // 7))
        titles = ["主任"] + ["副主任"] * vice + ["秘书长"]
        titles = (titles + ["委员"] * self.n_standing)[: self.n_standing]
        committees = ["法制委员会", "财政经济委员会", "教育科学文化卫生委员会", "城乡建设环境保护委员会",
                      "农业与农村委员会", "社会建设委员会", "监察和司法委员会"]
        memberships = []
        for i, (member, title) in enumerate(zip(chosen, titles)):
            if title != "委员":
                member.organisation = f"{CITY}人大常委会{title}"
            elif i % 3 == 0:
                member.organisation = f"{CITY}人大常委会委员、{committees[i % len(committees)]}副主任委员"
            memberships.append(BodyMembership(body=body, member=member, title=title))
        Member.objects.bulk_update(chosen, ["organisation"])
        BodyMembership.objects.bulk_create(memberships)
        leaders = [m for m, t in zip(chosen, titles) if t != "委员"]
        return leaders, chosen

    def nominees(self, posts):
        return [{"name": self.person()[0], "post": post} for post in posts]

    def make_plenary(self, congress, hall, sub, deputies, attendees, presidium, seats):
        starts = _local_datetime(days=1, hour=9)
        meeting = Meeting.objects.create(
            body=congress, kind=Meeting.Kind.PLENARY, session_number=3, sitting_number=1, venue=hall,
            title=f"{CONGRESS_NAME}第三次会议第一次全体会议", starts_at=starts,
            display={"mode": "welcome", "text": f"{CONGRESS_NAME}第三次会议"},
        )
        _agenda(meeting, [
            ("听取和审议政府工作报告", AgendaItem.Kind.REPORT, "市人民政府市长作政府工作报告", {}),
            ("关于2027年市级预算的决议草案", AgendaItem.Kind.RESOLUTION,
             "审议并表决关于2027年市级预算的决议草案", {}),
            ("人事任免", AgendaItem.Kind.APPOINTMENT, "逐人表决，每位被提名人单独计票",
             {"nominees": self.nominees(PLENARY_NOMINEE_POSTS)}),
            ("民生实事项目票决", AgendaItem.Kind.LIVELIHOOD,
             f"从{len(LIVELIHOOD_PROJECTS)}个候选项目中票决产生{LIVELIHOOD_CHOOSE}个",
             {"candidates": [{"name": p} for p in LIVELIHOOD_PROJECTS], "choose": LIVELIHOOD_CHOOSE}),
            ("其他事项", AgendaItem.Kind.OTHER, "", {}),
        ])
        SubVenue.objects.create(meeting=meeting, venue=sub, note="通过视频会议系统接入")
        on_stage = {id(m) for m in presidium}
        floor = [d for d in deputies if id(d) not in on_stage]
        _call(meeting, deputies, attendees)
        _seat(meeting, [
            (presidium, stage_order(seats[Zone.Kind.PRESIDIUM])),
            (floor, seats[Zone.Kind.FLOOR]),
            (attendees, seats[Zone.Kind.OBSERVERS]),
        ])
        return meeting

    def make_standing_meeting(self, body, room, members, leaders, guests, seats):
        meeting = Meeting.objects.create(
            body=body, kind=Meeting.Kind.STANDING, session_number=20, venue=room,
            title=f"{STANDING_NAME}第二十次会议", starts_at=_local_datetime(days=2, hour=9),
            display={"mode": "welcome", "text": f"{STANDING_NAME}第二十次会议"},
        )
        _agenda(meeting, [
            ("审议市人民政府关于2026年市级预算调整方案的报告", AgendaItem.Kind.REPORT, "市财政局局长作说明", {}),
            ("关于批准2026年市级预算调整方案的决议草案", AgendaItem.Kind.RESOLUTION, "", {}),
            ("人事任免", AgendaItem.Kind.APPOINTMENT, "逐人表决",
             {"nominees": self.nominees(STANDING_NOMINEE_POSTS)}),
        ])
        on_stage = {id(m) for m in leaders}
        _call(meeting, members, guests)
        _seat(meeting, [
            (leaders, stage_order(seats[Zone.Kind.PRESIDIUM])),
            ([m for m in members if id(m) not in on_stage], seats.get(Zone.Kind.FLOOR, [])),
            (guests, seats.get(Zone.Kind.OBSERVERS, [])),
        ])
        return meeting


def _apportion(total, weights):
    """Split total by weights, largest remainders first, so the sizes add up exactly."""
    exact = [total * w / sum(weights) for w in weights]
    sizes = [int(e) for e in exact]
    for i in sorted(range(len(weights)), key=lambda i: exact[i] - sizes[i], reverse=True)[: total - sum(sizes)]:
        sizes[i] += 1
    return sizes


def _local_datetime(days, hour):
    day = timezone.now().astimezone(HALL_TZ).date() + timedelta(days=days)
    return datetime.combine(day, time(hour), tzinfo=HALL_TZ)


def _agenda(meeting, items):
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, order=order, title=title, kind=kind, description=description, details=details)
        for order, (title, kind, description, details) in enumerate(items, start=1)
    )


def _call(meeting, voting, non_voting):
    Participant.objects.bulk_create(
        [Participant(meeting=meeting, member=m, role=Participant.Role.VOTING) for m in voting]
        + [Participant(meeting=meeting, member=m, role=Participant.Role.NON_VOTING) for m in non_voting]
    )


def _seat(meeting, groups):
    assignments = []
    for members, seats in groups:
        if len(seats) < len(members):
            raise CommandError(_("座位不足"))
        assignments += [SeatAssignment(meeting=meeting, seat=s, member=m) for m, s in zip(members, seats)]
    SeatAssignment.objects.bulk_create(assignments)
