"""Polls, their ballot logs, and who took part — kept apart so an anonymous ballot has no link
to its voter anywhere in the database (see docs/voting.md, "Anonymity")."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Poll(models.Model):
    class Kind(models.TextChoices):
        MOTION = "motion", _("议案表决")
        APPOINTMENT = "appointment", _("人事任免（逐人表决）")

    class State(models.TextChoices):
        PREPARED = "prepared", _("已准备")
        OPEN = "open", _("表决中")
        PAUSED = "paused", _("已暂停")
        CLOSED = "closed", _("已结束")
        ANNOUNCED = "announced", _("已宣布")
        CANCELLED = "cancelled", _("已取消")

    class Base(models.TextChoices):
        ENTITLED = "entitled", _("应到人数")
        PRESENT = "present", _("实到人数")
        CAST = "cast", _("投票人数")

    class Comparison(models.TextChoices):
        MORE_THAN = "more_than", _("超过")
        AT_LEAST = "at_least", _("达到")

    meeting = models.ForeignKey("meeting.Meeting", verbose_name=_("会议"), on_delete=models.PROTECT, related_name="polls")
    agenda_item = models.ForeignKey(
        "meeting.AgendaItem", verbose_name=_("议程"), on_delete=models.PROTECT, related_name="polls"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.MOTION)
    title = models.CharField(_("表决事项"), max_length=300)
    # Appointment nominees: [{"id": 1, "name": "…", "post": "…"}]; ids are positive and unique.
    nominees = models.JSONField(_("被提名人"), default=list, blank=True)
    threshold_base = models.CharField(_("计算基数"), max_length=16, choices=Base.choices, default=Base.ENTITLED)
    threshold_comparison = models.CharField(
        _("比较方式"), max_length=16, choices=Comparison.choices, default=Comparison.MORE_THAN
    )
    threshold_numerator = models.PositiveSmallIntegerField(_("比例分子"), default=1)
    threshold_denominator = models.PositiveSmallIntegerField(_("比例分母"), default=2)
    anonymous = models.BooleanField(_("无记名"), default=True)
    allow_change = models.BooleanField(_("允许在结束前修改"), default=False)
    countdown_seconds = models.PositiveIntegerField(_("倒计时（秒）"), null=True, blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.PREPARED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    # Seconds already spent open before the current pause, so a countdown resumes where it stopped.
    remaining_at_pause = models.FloatField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    announced_at = models.DateTimeField(null=True, blank=True)
    cancelled_reason = models.CharField(max_length=300, blank=True)
    # Frozen at close: counts, rule, pass/fail; never recomputed or edited.
    result = models.JSONField(null=True, blank=True)
    entitled_at_close = models.PositiveIntegerField(null=True, blank=True)
    present_at_close = models.PositiveIntegerField(null=True, blank=True)
    log_head = models.CharField(max_length=64, blank=True)
    log_length = models.PositiveIntegerField(default=0)
    result_signature = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("表决")
        verbose_name_plural = _("表决")
        ordering = ["meeting", "id"]

    def __str__(self):
        return self.title


class BallotEntry(models.Model):
    """One entry of a poll's append-only, hash-chained ballot log.

    Anonymous polls: no member, no device, no signature, no time. Named polls keep the member,
    the device and its signature. ``secret_hash`` is sha256 of the tablet's random ballot secret,
    so the tablet (only) can show the ballot is its own: to resend idempotently or to replace it.
    """

    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="entries")
    position = models.PositiveIntegerField()
    choice = models.JSONField()
    secret_hash = models.CharField(max_length=64)
    supersedes = models.PositiveIntegerField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)
    # Named polls only.
    member = models.ForeignKey("meeting.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    device_id = models.UUIDField(null=True, blank=True)
    device_signature = models.CharField(max_length=100, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["poll", "position"], name="ballot_poll_position"),
            models.UniqueConstraint(fields=["poll", "secret_hash"], name="ballot_poll_secret"),
        ]


class Turnout(models.Model):
    """Who has voted in a poll: one row per poll holding a sorted list, rewritten in place, so
    neither row order nor ids tell in which order members voted (and so which entry is whose)."""

    poll = models.OneToOneField(Poll, on_delete=models.PROTECT, related_name="turnout")
    member_ids = models.JSONField(default=list)


class HandCount(models.Model):
    """A show-of-hands or paper result the chair took when devices could not be used."""

    poll = models.OneToOneField(Poll, on_delete=models.PROTECT, related_name="hand_count")
    counts = models.JSONField()
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=300, blank=True)
