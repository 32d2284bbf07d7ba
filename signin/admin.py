from django.contrib import admin

from meeting.admin import ReadOnlyRecordAdmin

from .models import Leave, SigninRecord, SigninWindow


@admin.register(SigninRecord)
class SigninRecordAdmin(ReadOnlyRecordAdmin):
    """Sign-ins change only through the console and the scanners, which audit and publish."""

    list_display = ["member", "meeting", "method", "place", "at", "late", "actor"]
    list_filter = ["meeting", "method", "late"]
    search_fields = ["member__name", "member__member_number"]


@admin.register(Leave)
class LeaveAdmin(ReadOnlyRecordAdmin):
    list_display = ["member", "meeting", "reason"]
    list_filter = ["meeting"]
    search_fields = ["member__name", "member__member_number"]


@admin.register(SigninWindow)
class SigninWindowAdmin(ReadOnlyRecordAdmin):
    list_display = ["meeting", "state", "opened_at", "closed_at"]
