"""The admin site for the congress's records: bodies, rosters, halls and seat maps, meetings.

The meeting's live state (state, current item, what the displays show) and the event stream and
audit log are read-only here: they change only through the console's services. Every other edit
made here (agenda, titles, participants, seats, members, venues…) reaches connected tablets,
displays and consoles as a ``meeting.refresh`` event and is written to the audit log, in the
admin's own transaction (RefreshingAdminMixin, meeting/admin_refresh.py).
"""

from django.contrib import admin
from django.db import models
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .admin_import import ImportAdminMixin
from .admin_refresh import RefreshingAdminMixin
from .models import (
    AgendaItem, AuditEntry, Body, BodyMembership, Delegation, Event, Meeting, Member, Notice, Participant,
    Seat, SeatAssignment, SubVenue, Venue, Zone,
)

admin.site.site_header = _("会堂 · 人大会议与电子表决系统")
admin.site.site_title = _("会堂管理")
admin.site.index_title = _("会议数据管理")

# Above this many members a body's change page links to the filtered membership list instead of
# an inline: a congress of 3,000 deputies would be 3,000 forms, too many fields to post back.
INLINE_LIMIT = 100


def _count_column(field, description):
    @admin.display(description=description, ordering=field)
    def column(self, obj):
        return getattr(obj, field)
    return column


def _changelist_link(model, label, **filters):
    url = reverse(f"admin:meeting_{model}_changelist")
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return format_html('<a href="{}?{}">{}</a>', url, query, label)


class ReadOnlyRecordAdmin(admin.ModelAdmin):
    """A record nobody edits; readable by staff who may view it or who administer records."""

    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or request.user.has_perm("meeting.administer_records")


# --- bodies and rosters ---------------------------------------------------------------------

class BodyMembershipInline(admin.TabularInline):
    model = BodyMembership
    extra = 0
    fields = ["member", "title"]
    autocomplete_fields = ["member"]


class MemberBodiesInline(admin.TabularInline):
    model = BodyMembership
    extra = 0
    fields = ["body", "title"]
    verbose_name_plural = _("所属机构")


@admin.register(Body)
class BodyAdmin(RefreshingAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kind", "term", "parent", "member_count"]
    list_filter = ["kind", "term"]
    list_select_related = ["parent"]
    search_fields = ["name"]
    fields = ["name", "kind", "term", "parent", "memberships_link"]
    readonly_fields = ["memberships_link"]
    inlines = [BodyMembershipInline]
    member_count = _count_column("n_members", _("组成人员数"))

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_members=Count("memberships"))

    def get_inlines(self, request, obj):
        if obj is not None and obj.memberships.count() > INLINE_LIMIT:
            return []
        return self.inlines

    @admin.display(description=_("组成人员"))
    def memberships_link(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        return _changelist_link("bodymembership", _("查看全部 %(n)d 名组成人员") % {"n": obj.memberships.count()},
                                body__id__exact=obj.pk)


@admin.register(Delegation)
class DelegationAdmin(RefreshingAdminMixin, admin.ModelAdmin):
    list_display = ["name", "body", "order", "member_count"]
    list_filter = ["body"]
    list_select_related = ["body"]
    search_fields = ["name", "body__name"]
    member_count = _count_column("n_members", _("代表人数"))

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_members=Count("members"))


@admin.register(Member)
class MemberAdmin(RefreshingAdminMixin, ImportAdminMixin, admin.ModelAdmin):
    importer = "roster"
    list_display = ["member_number", "name", "kind", "gender", "delegation", "organisation", "is_active"]
    list_filter = ["kind", "gender", "is_active", "delegation"]
    list_select_related = ["delegation"]
    search_fields = ["member_number", "name", "organisation", "phone"]
    list_per_page = 100
    inlines = [MemberBodiesInline]


@admin.register(BodyMembership)
class BodyMembershipAdmin(RefreshingAdminMixin, admin.ModelAdmin):
    list_display = ["member", "body", "title"]
    list_filter = ["body", "title"]
    list_select_related = ["member", "body"]
    search_fields = ["member__name", "member__member_number", "title"]
    autocomplete_fields = ["member"]
    list_per_page = 100


# --- halls and seat maps --------------------------------------------------------------------

class ZoneInline(admin.TabularInline):
    model = Zone
    extra = 0
    fields = ["name", "kind", "order"]


@admin.register(Venue)
class VenueAdmin(RefreshingAdminMixin, admin.ModelAdmin):
    list_display = ["name", "parent", "width", "height", "seat_count"]
    list_select_related = ["parent"]
    search_fields = ["name", "address"]
    inlines = [ZoneInline]
    seat_count = _count_column("n_seats", _("座位数"))

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_seats=Count("seats"))


@admin.register(Zone)
class ZoneAdmin(RefreshingAdminMixin, admin.ModelAdmin):
    list_display = ["name", "venue", "kind", "order", "seat_count"]
    list_filter = ["kind", "venue"]
    list_select_related = ["venue"]
    search_fields = ["name", "venue__name"]
    seat_count = _count_column("n_seats", _("座位数"))

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_seats=Count("seats"))


@admin.register(Seat)
class SeatAdmin(RefreshingAdminMixin, ImportAdminMixin, admin.ModelAdmin):
    importer = "seatmap"
    list_display = ["label", "venue", "zone", "row", "number", "x", "y"]
    list_filter = ["venue", "zone__kind"]
    list_select_related = ["venue", "zone", "zone__venue"]
    search_fields = ["label", "venue__name"]
    list_per_page = 100

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "zone":  # a zone's name includes its venue's
            kwargs["queryset"] = Zone.objects.select_related("venue")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- meetings -------------------------------------------------------------------------------

class AgendaItemInline(admin.StackedInline):
    model = AgendaItem
    extra = 0
    fields = [("order", "kind"), "title", "description", "details"]


# Video-conference rooms are reached over HTTPS; a bare host name typed in means https://.
VIDEO_URL_FIELD = {models.URLField: {"assume_scheme": "https"}}


class SubVenueInline(admin.TabularInline):
    model = SubVenue
    extra = 0
    fields = ["venue", "video_room_url", "note"]
    formfield_overrides = VIDEO_URL_FIELD


@admin.register(Meeting)
class MeetingAdmin(RefreshingAdminMixin, admin.ModelAdmin):
    list_display = ["title", "body", "kind", "venue", "starts_at", "state", "participant_count", "links"]
    list_filter = ["kind", "state", "body"]
    list_select_related = ["body", "venue"]
    search_fields = ["title"]
    date_hierarchy = "starts_at"
    readonly_fields = ["state", "current_item", "display", "links"]
    inlines = [AgendaItemInline, SubVenueInline]
    live_fields = ("state", "current_item", "display", "last_seq")
    participant_count = _count_column("n_participants", _("参会人数"))

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_participants=Count("participants"))

    @admin.display(description=_("链接"))
    def links(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a> · {} · {}',
            reverse("consoles:console", args=[obj.pk]), _("主控台"),
            _changelist_link("participant", _("参会人员"), meeting__id__exact=obj.pk),
            _changelist_link("seatassignment", _("座位安排"), meeting__id__exact=obj.pk),
        )


@admin.register(Participant)
class ParticipantAdmin(RefreshingAdminMixin, admin.ModelAdmin):
    list_display = ["member", "delegation", "meeting", "role"]
    list_filter = ["meeting", "role", "member__kind"]
    list_select_related = ["member", "member__delegation", "meeting"]
    search_fields = ["member__name", "member__member_number"]
    autocomplete_fields = ["member"]
    list_per_page = 100

    @admin.display(description=_("代表团"), ordering="member__delegation__order")
    def delegation(self, obj):
        return obj.member.delegation or "-"


@admin.register(AgendaItem)
class AgendaItemAdmin(RefreshingAdminMixin, admin.ModelAdmin):
    list_display = ["order", "title", "kind", "meeting"]
    list_display_links = ["title"]
    list_filter = ["meeting", "kind"]
    list_select_related = ["meeting"]
    search_fields = ["title"]


@admin.register(SeatAssignment)
class SeatAssignmentAdmin(RefreshingAdminMixin, ImportAdminMixin, admin.ModelAdmin):
    importer = "assignments"
    list_display = ["seat", "member", "delegation", "meeting"]
    list_filter = ["meeting", "seat__zone__kind"]
    list_select_related = ["seat", "member", "member__delegation", "meeting"]
    search_fields = ["seat__label", "member__name", "member__member_number"]
    autocomplete_fields = ["seat", "member"]
    list_per_page = 100

    @admin.display(description=_("代表团"), ordering="member__delegation__order")
    def delegation(self, obj):
        return obj.member.delegation or "-"


@admin.register(SubVenue)
class SubVenueAdmin(RefreshingAdminMixin, admin.ModelAdmin):
    list_display = ["venue", "meeting", "video_room_url", "note"]
    list_filter = ["meeting"]
    list_select_related = ["venue", "meeting"]
    formfield_overrides = VIDEO_URL_FIELD


# --- records (read-only) --------------------------------------------------------------------

@admin.register(Event)
class EventAdmin(ReadOnlyRecordAdmin):
    list_display = ["event_meeting", "event_seq", "event_kind", "event_audience", "member_id", "event_at"]
    list_filter = ["audience", "kind"]
    list_select_related = ["meeting"]
    search_fields = ["kind"]
    ordering = ["-id"]

    # Event's fields carry no verbose names; give its columns Chinese headings here.
    event_meeting = admin.display(description=_("会议"), ordering="meeting")(lambda self, e: e.meeting)
    event_seq = admin.display(description=_("序号"), ordering="seq")(lambda self, e: e.seq)
    event_kind = admin.display(description=_("事件"), ordering="kind")(lambda self, e: e.kind)
    event_audience = admin.display(description=_("受众"), ordering="audience")(lambda self, e: e.audience)
    event_at = admin.display(description=_("时间"), ordering="created_at")(lambda self, e: e.created_at)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyRecordAdmin):
    list_display = ["at", "entry_meeting", "entry_actor", "action", "detail"]
    list_filter = ["action", "meeting"]
    list_select_related = ["meeting", "actor"]
    search_fields = ["action"]
    date_hierarchy = "at"
    ordering = ["-at", "-id"]

    entry_meeting = admin.display(description=_("会议"), ordering="meeting")(lambda self, e: e.meeting or "-")
    entry_actor = admin.display(description=_("操作人"), ordering="actor")(lambda self, e: e.actor or "-")


@admin.register(Notice)
class NoticeAdmin(ReadOnlyRecordAdmin):
    list_display = ["sent_at", "meeting", "member", "text", "sent_by"]
    list_filter = ["meeting"]
    list_select_related = ["meeting", "member", "sent_by"]
    search_fields = ["text"]
