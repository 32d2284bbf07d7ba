"""Tablets and displays, the keys only they hold, and which member a tablet serves in a meeting."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Device(models.Model):
    class Kind(models.TextChoices):
        TABLET = "tablet", _("代表终端")
        DISPLAY = "display", _("大屏")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    # Raw 32-byte Ed25519 public key. The private key never leaves the device (WebCrypto,
    # non-extractable, in IndexedDB).
    public_key = models.BinaryField(_("公钥"), max_length=32)
    venue = models.ForeignKey("meeting.Venue", verbose_name=_("会场"), on_delete=models.PROTECT, related_name="devices")
    seat = models.ForeignKey(
        "meeting.Seat", verbose_name=_("座位"), null=True, blank=True, on_delete=models.PROTECT, related_name="devices"
    )
    registered_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    demo = models.BooleanField(_("演示设备"), default=False)
    revoked_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    # Presence, written in batches by devices.presence (not on every message).
    online = models.BooleanField(_("在线"), default=False)
    last_seen_at = models.DateTimeField(_("最后在线"), null=True, blank=True)
    battery = models.PositiveSmallIntegerField(_("电量"), null=True, blank=True)
    charging = models.BooleanField(_("充电中"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=300, blank=True)
    presence_changed_at = models.DateTimeField(null=True, blank=True, db_index=True, editable=False)
    # Wrong PINs typed on this tablet; past the limit it is locked for a while.
    pin_failures = models.PositiveSmallIntegerField(default=0, editable=False)
    pin_locked_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("终端设备")
        verbose_name_plural = _("终端设备")
        ordering = ["kind", "seat__label"]
        constraints = [
            # One live tablet per seat: a replacement is paired after the old one is revoked.
            models.UniqueConstraint(
                fields=["seat"], condition=models.Q(revoked_at__isnull=True, kind="tablet"),
                name="device_one_live_tablet_per_seat",
            ),
        ]

    def __str__(self):
        where = self.seat.label if self.seat_id else self.venue.name
        return f"{self.get_kind_display()} · {self.name or where}"

    @property
    def revoked(self):
        return self.revoked_at is not None


class PairingCode(models.Model):
    """A one-time, short-lived code shown as a QR on the console; the device that opens it pairs."""

    code_hash = models.CharField(max_length=64, unique=True)  # sha256 of the code; the code itself is not stored
    kind = models.CharField(max_length=16, choices=Device.Kind.choices)
    venue = models.ForeignKey("meeting.Venue", on_delete=models.CASCADE, related_name="+")
    seat = models.ForeignKey("meeting.Seat", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    device = models.OneToOneField(Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")


class Binding(models.Model):
    """A tablet serving one member in one meeting. Ended, never deleted, when taken over."""

    meeting = models.ForeignKey("meeting.Meeting", verbose_name=_("会议"), on_delete=models.CASCADE, related_name="bindings")
    device = models.ForeignKey(Device, verbose_name=_("终端设备"), on_delete=models.PROTECT, related_name="bindings")
    member = models.ForeignKey("meeting.Member", verbose_name=_("人员"), on_delete=models.PROTECT, related_name="bindings")
    method = models.CharField(_("方式"), max_length=16)  # pin | code | console | demo
    bound_at = models.DateTimeField(_("绑定时间"), auto_now_add=True)
    ended_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("终端绑定")
        verbose_name_plural = _("终端绑定")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], condition=models.Q(ended_at__isnull=True),
                                    name="binding_one_live_per_member"),
            models.UniqueConstraint(fields=["meeting", "device"], condition=models.Q(ended_at__isnull=True),
                                    name="binding_one_live_per_device"),
        ]
