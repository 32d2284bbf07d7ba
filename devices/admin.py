from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from meeting.admin import ReadOnlyRecordAdmin
from meeting.errors import ServiceError

from . import services
from .models import Binding, Device


@admin.register(Device)
class DeviceAdmin(ReadOnlyRecordAdmin):
    """Devices are registered only by pairing (their key must come from the device itself)."""

    list_display = ["__str__", "kind", "venue", "seat", "online", "battery", "last_seen_at", "demo", "revoked_at"]
    list_filter = ["kind", "venue", "demo", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "seat__label"]
    exclude = ["public_key"]
    actions = ["revoke"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("meeting.operate_meeting"):
            actions.pop("revoke", None)
        return actions

    @admin.action(description=_("停用所选设备"))
    def revoke(self, request, queryset):
        for device in queryset:
            try:
                services.revoke_device(str(device.id), request.user)
            except ServiceError as refused:
                self.message_user(request, f"{device}: {refused.message}", messages.WARNING)


@admin.register(Binding)
class BindingAdmin(ReadOnlyRecordAdmin):
    list_display = ["meeting", "member", "device", "method", "bound_at", "ended_at"]
    list_filter = ["meeting", "method"]
    search_fields = ["member__name", "member__member_number"]
