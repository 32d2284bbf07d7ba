from django.contrib import admin

from meeting.admin import ReadOnlyRecordAdmin

from .models import HandCount, Poll


@admin.register(Poll)
class PollAdmin(ReadOnlyRecordAdmin):
    """Polls are prepared and run from the console and never edited; ballots are not shown here
    (they are exported per poll as a verifiable log)."""

    list_display = ["title", "meeting", "kind", "anonymous", "state", "opened_at", "closed_at", "log_length"]
    list_filter = ["meeting", "kind", "state", "anonymous"]
    search_fields = ["title"]
    exclude = ["result_signature"]


@admin.register(HandCount)
class HandCountAdmin(ReadOnlyRecordAdmin):
    list_display = ["poll", "entered_by", "entered_at", "note"]
