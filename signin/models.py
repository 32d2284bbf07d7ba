"""Sign-in (签到): the window the console opens and closes, one record per member who signed in,
leave (请假) recorded by staff, and the per-member version that revokes printed badge codes.

Records are never edited: a second sign-in returns the first record; a mistaken leave stays in
the audit log (a member on leave who signs in counts as present, not on leave).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SigninWindow(models.Model):
    """Whether sign-in is open for a meeting. Missing row = not started yet."""

    class State(models.TextChoices):
        NOT_STARTED = "not_started", _("未开始")
        OPEN = "open", _("签到中")
        CLOSED = "closed", _("已截止")

    meeting = models.OneToOneField("meeting.Meeting", verbose_name=_("会议"), on_delete=models.CASCADE,
                                   related_name="signin_window")
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.NOT_STARTED)
    opened_at = models.DateTimeField(_("开始签到时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("截止签到时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("签到时段")
        verbose_name_plural = _("签到时段")

    def __str__(self):
        return f"{self.meeting} · {self.get_state_display()}"


class SigninRecord(models.Model):
    """A member's sign-in to a meeting: how, where and when. At most one per member and meeting."""

    class Method(models.TextChoices):
        BADGE = "badge", _("扫代表码")
        SEAT = "seat", _("座位终端")
        VENUE = "venue", _("分会场扫码")
        MANUAL = "manual", _("人工签到")

    meeting = models.ForeignKey("meeting.Meeting", verbose_name=_("会议"), on_delete=models.CASCADE,
                                related_name="signins")
    member = models.ForeignKey("meeting.Member", verbose_name=_("人员"), on_delete=models.PROTECT,
                               related_name="signins")
    method = models.CharField(_("签到方式"), max_length=16, choices=Method.choices)
    place = models.CharField(_("签到地点"), max_length=100, blank=True)
    at = models.DateTimeField(_("签到时间"))
    late = models.BooleanField(_("迟到"), default=False, help_text=_("签到截止后才签到"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人员"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    device = models.CharField(_("终端"), max_length=64, blank=True)
    reason = models.CharField(_("事由"), max_length=200, blank=True, help_text=_("人工签到的原因"))

    class Meta:
        verbose_name = _("签到记录")
        verbose_name_plural = _("签到记录")
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="signin_meeting_member")]

    def __str__(self):
        return f"{self.meeting} · {self.member.name}"


class Leave(models.Model):
    """请假: recorded by staff before or during the meeting."""

    meeting = models.ForeignKey("meeting.Meeting", verbose_name=_("会议"), on_delete=models.CASCADE,
                                related_name="leaves")
    member = models.ForeignKey("meeting.Member", verbose_name=_("人员"), on_delete=models.PROTECT,
                               related_name="leaves")
    reason = models.CharField(_("请假事由"), max_length=200, blank=True)
    at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("请假")
        verbose_name_plural = _("请假")
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="leave_meeting_member")]

    def __str__(self):
        return f"{self.meeting} · {self.member.name}"


class BadgeKey(models.Model):
    """The version a member's personal code (代表码) must carry. Bumping it revokes every code
    printed before; a member without a row is at version 1."""

    member = models.OneToOneField("meeting.Member", verbose_name=_("人员"), on_delete=models.CASCADE,
                                  related_name="badge_key")
    version = models.PositiveIntegerField(_("版本"), default=1)
    revoked_at = models.DateTimeField(_("上次作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("代表码版本")
        verbose_name_plural = _("代表码版本")

    def __str__(self):
        return f"{self.member} · v{self.version}"
