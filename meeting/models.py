"""The congress's own records: bodies, members, meetings, agenda, venues and seats.

Every human-facing name is in Chinese first (verbose_name via gettext); the English catalogue
translates them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Body(models.Model):
    """A congress of a given term (第N届人民代表大会) or one of its organs."""

    class Kind(models.TextChoices):
        CONGRESS = "congress", _("人民代表大会")
        STANDING_COMMITTEE = "standing_committee", _("常务委员会")
        CHAIRMEN = "chairmen", _("主任会议")

    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类别"), max_length=32, choices=Kind.choices)
    term = models.PositiveIntegerField(_("届次"), help_text=_("第几届"))
    parent = models.ForeignKey(
        "self", verbose_name=_("所属"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="organs",
    )
    members = models.ManyToManyField("Member", through="BodyMembership", related_name="bodies")

    class Meta:
        verbose_name = _("机构")
        verbose_name_plural = _("机构")
        constraints = [models.UniqueConstraint(fields=["name", "term"], name="body_name_term")]

    def __str__(self):
        return self.name


class Delegation(models.Model):
    """代表团: the group a deputy was elected in and sits with."""

    body = models.ForeignKey(Body, verbose_name=_("机构"), on_delete=models.CASCADE, related_name="delegations")
    name = models.CharField(_("名称"), max_length=100)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("代表团")
        verbose_name_plural = _("代表团")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["body", "name"], name="delegation_body_name")]

    def __str__(self):
        return self.name


class Member(models.Model):
    """A person on the register: a deputy (代表) or a non-voting attendee (列席人员)."""

    class Kind(models.TextChoices):
        DEPUTY = "deputy", _("代表")
        ATTENDEE = "attendee", _("列席人员")

    class Gender(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    member_number = models.CharField(_("代表证号"), max_length=32, unique=True)
    name = models.CharField(_("姓名"), max_length=64)
    kind = models.CharField(_("身份"), max_length=16, choices=Kind.choices, default=Kind.DEPUTY)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices, blank=True)
    delegation = models.ForeignKey(
        Delegation, verbose_name=_("代表团"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="members",
    )
    organisation = models.CharField(_("工作单位及职务"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    is_active = models.BooleanField(_("在任"), default=True)
    # Hash of the PIN a member types on a seat tablet to identify (django.contrib.auth hashers).
    pin_hash = models.CharField(_("终端PIN"), max_length=128, blank=True, editable=False)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["member_number"]

    def __str__(self):
        return f"{self.name}（{self.member_number}）"


class BodyMembership(models.Model):
    """A member's seat in a body: a deputy of the congress, a component member of the committee."""

    body = models.ForeignKey(Body, verbose_name=_("机构"), on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey(Member, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="memberships")
    title = models.CharField(_("职务"), max_length=64, blank=True, help_text=_("如：主任、副主任、秘书长、委员"))

    class Meta:
        verbose_name = _("机构组成人员")
        verbose_name_plural = _("机构组成人员")
        constraints = [models.UniqueConstraint(fields=["body", "member"], name="membership_body_member")]

    def __str__(self):
        return f"{self.body} · {self.member.name}"


class Venue(models.Model):
    """A hall with a seat map; a sub-venue (分会场) is a venue with a parent."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("主会场"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="sub_venues",
    )
    width = models.PositiveIntegerField(_("平面图宽度"), default=1000)
    height = models.PositiveIntegerField(_("平面图高度"), default=700)

    class Meta:
        verbose_name = _("会场")
        verbose_name_plural = _("会场")

    def __str__(self):
        return self.name


class Zone(models.Model):
    class Kind(models.TextChoices):
        PRESIDIUM = "presidium", _("主席台")
        FLOOR = "floor", _("池座")
        BALCONY = "balcony", _("楼座")
        OBSERVERS = "observers", _("列席席")

    venue = models.ForeignKey(Venue, verbose_name=_("会场"), on_delete=models.CASCADE, related_name="zones")
    name = models.CharField(_("名称"), max_length=64)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices, default=Kind.FLOOR)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["venue", "name"], name="zone_venue_name")]

    def __str__(self):
        return f"{self.venue} · {self.name}"


class Seat(models.Model):
    """One seat, with coordinates the seat-map drawing uses (venue units, origin top-left)."""

    venue = models.ForeignKey(Venue, verbose_name=_("会场"), on_delete=models.CASCADE, related_name="seats")
    zone = models.ForeignKey(Zone, verbose_name=_("区域"), on_delete=models.CASCADE, related_name="seats")
    row = models.PositiveIntegerField(_("排"))
    number = models.PositiveIntegerField(_("号"))
    label = models.CharField(_("座位号"), max_length=32, help_text=_("如：池座3排12号"))
    x = models.FloatField(_("横坐标"))
    y = models.FloatField(_("纵坐标"))

    class Meta:
        verbose_name = _("座位")
        verbose_name_plural = _("座位")
        ordering = ["zone__order", "row", "number"]
        constraints = [
            models.UniqueConstraint(fields=["venue", "label"], name="seat_venue_label"),
            models.UniqueConstraint(fields=["zone", "row", "number"], name="seat_zone_row_number"),
        ]

    def __str__(self):
        return self.label


class Meeting(models.Model):
    class Kind(models.TextChoices):
        PLENARY = "plenary", _("全体会议")
        STANDING = "standing", _("常委会会议")
        CHAIRMEN = "chairmen", _("主任会议")

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("未开始")
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已结束")

    body = models.ForeignKey(Body, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="meetings")
    kind = models.CharField(_("会议类型"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("会议名称"), max_length=200)
    session_number = models.PositiveIntegerField(_("会议次数"), help_text=_("第几次会议"))
    sitting_number = models.PositiveIntegerField(
        _("全体会议次数"), null=True, blank=True, help_text=_("大会的第几次全体会议")
    )
    venue = models.ForeignKey(Venue, verbose_name=_("会场"), on_delete=models.PROTECT, related_name="meetings")
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.SCHEDULED)
    current_item = models.ForeignKey(
        "AgendaItem", verbose_name=_("当前议程"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # What the hall displays show now: {"mode": "welcome"|"agenda"|"message", "text": "..."}.
    display = models.JSONField(_("大屏内容"), default=dict, blank=True)
    # Sequence number of the last event published for this meeting (the stream's head).
    last_seq = models.PositiveBigIntegerField(_("事件序号"), default=0, editable=False)

    class Meta:
        verbose_name = _("会议")
        verbose_name_plural = _("会议")
        ordering = ["-starts_at"]
        permissions = [
            ("operate_meeting", _("可操作主控台")),
            ("view_hall_display", _("可显示大屏")),
            ("vote_in_meeting", _("可参加表决")),
            ("attend_meeting", _("可列席会议")),
            ("administer_records", _("可导入名册与导出记录")),
        ]

    def __str__(self):
        return self.title


class Participant(models.Model):
    """Who is called to a meeting: the entitled voting members (应到) and non-voting attendees."""

    class Role(models.TextChoices):
        VOTING = "voting", _("表决成员")
        NON_VOTING = "non_voting", _("列席")

    meeting = models.ForeignKey(Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="participants")
    member = models.ForeignKey(Member, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.VOTING)

    class Meta:
        verbose_name = _("参会人员")
        verbose_name_plural = _("参会人员")
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="participant_meeting_member")]

    def __str__(self):
        return f"{self.meeting} · {self.member.name}"


class AgendaItem(models.Model):
    class Kind(models.TextChoices):
        REPORT = "report", _("报告")
        RESOLUTION = "resolution", _("决议草案")
        APPOINTMENT = "appointment", _("人事任免")
        ELECTION = "election", _("选举")
        LIVELIHOOD = "livelihood", _("民生实事项目票决")
        OTHER = "other", _("其他")

    meeting = models.ForeignKey(Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="agenda")
    order = models.PositiveIntegerField(_("序号"))
    title = models.CharField(_("议程"), max_length=300)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    description = models.TextField(_("说明"), blank=True)
    # Options the vote on this item will use, e.g. nominees or candidate projects, kept as data
    # so the voting app can build polls from it.
    details = models.JSONField(_("表决事项"), default=dict, blank=True)

    class Meta:
        verbose_name = _("议程")
        verbose_name_plural = _("议程")
        ordering = ["meeting", "order"]
        constraints = [models.UniqueConstraint(fields=["meeting", "order"], name="agenda_meeting_order")]

    def __str__(self):
        return f"{self.order}. {self.title}"


class SeatAssignment(models.Model):
    meeting = models.ForeignKey(Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="seat_assignments")
    seat = models.ForeignKey(Seat, verbose_name=_("座位"), on_delete=models.PROTECT, related_name="assignments")
    member = models.ForeignKey(Member, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="seat_assignments")

    class Meta:
        verbose_name = _("座位安排")
        verbose_name_plural = _("座位安排")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "seat"], name="assignment_meeting_seat"),
            models.UniqueConstraint(fields=["meeting", "member"], name="assignment_meeting_member"),
        ]

    def __str__(self):
        return f"{self.seat} · {self.member.name}"


class SubVenue(models.Model):
    """A remote hall (分会场) joined to a meeting by a video-conference room."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="sub_venues")
    venue = models.ForeignKey(Venue, verbose_name=_("会场"), on_delete=models.PROTECT, related_name="+")
    video_room_url = models.URLField(_("视频会议室链接"), blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("分会场")
        verbose_name_plural = _("分会场")
        constraints = [models.UniqueConstraint(fields=["meeting", "venue"], name="subvenue_meeting_venue")]

    def __str__(self):
        return f"{self.meeting} · {self.venue}"


class Event(models.Model):
    """One entry of a meeting's ordered event stream (see meeting/events.py)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=64)
    audience = models.CharField(max_length=16)
    member_id = models.BigIntegerField(null=True, blank=True)
    # The previous seq each receiving view saw, so any client can tell a gap from a filtered event.
    prev = models.JSONField(default=dict)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "seq"], name="event_meeting_seq")]
        indexes = [models.Index(fields=["meeting", "audience", "member_id", "seq"], name="event_view_idx")]


class AuditEntry(models.Model):
    """Every operator action, in order. Never edited; never holds how anyone voted."""

    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.PROTECT, related_name="audit")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    action = models.CharField(_("操作"), max_length=64)
    detail = models.JSONField(_("详情"), default=dict)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("操作日志")
        verbose_name_plural = _("操作日志")
        ordering = ["at", "id"]


class Notice(models.Model):
    """A notice the console sends to every tablet or to one member's tablet."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="notices")
    member = models.ForeignKey(
        Member, verbose_name=_("收件人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("留空表示发给全体"),
    )
    text = models.CharField(_("内容"), max_length=500)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    sent_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-sent_at", "-id"]
