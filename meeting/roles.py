"""The staff roles as Django groups, kept in step with the permissions after every migrate.

Delegates are not Django users: a voting member or a non-voting attendee is a Participant of a
meeting (see meeting.access), and their tablet proves it. Staff are users in these groups.
"""

from django.db.models.signals import post_migrate
from django.dispatch import receiver

OPERATOR = "操作员"
ADMINISTRATOR = "管理员"
DISPLAY = "大屏"

_VIEW_MEETING_MODELS = [
    f"meeting.view_{m}"
    for m in ("body", "delegation", "member", "bodymembership", "venue", "zone", "seat", "meeting",
              "participant", "agendaitem", "seatassignment", "subvenue", "auditentry")
]
# The other apps' records, which staff read in the admin and change only through the console.
_VIEW_HALL_RECORDS = [
    "devices.view_device", "devices.view_binding",
    "signin.view_signinrecord", "signin.view_leave", "signin.view_signinwindow",
    "voting.view_poll", "voting.view_handcount",
]
_CHANGE_MEETING_MODELS = [
    f"meeting.{verb}_{m}"
    for verb in ("add", "change", "delete")
    for m in ("body", "delegation", "member", "bodymembership", "venue", "zone", "seat", "meeting",
              "participant", "agendaitem", "seatassignment", "subvenue")
]

ROLE_PERMISSIONS = {
    OPERATOR: ["meeting.operate_meeting", "meeting.view_hall_display", *_VIEW_MEETING_MODELS, *_VIEW_HALL_RECORDS],
    ADMINISTRATOR: [
        "meeting.operate_meeting", "meeting.view_hall_display", "meeting.administer_records",
        *_VIEW_MEETING_MODELS, *_CHANGE_MEETING_MODELS, *_VIEW_HALL_RECORDS,
    ],
    DISPLAY: ["meeting.view_hall_display"],
}


def sync_role_groups():
    from django.contrib.auth.models import Group, Permission

    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


@receiver(post_migrate)
def _sync_after_migrate(sender, **kwargs):
    # After every app: the roles name permissions of several apps, each created in its own turn.
    sync_role_groups()


# Delegates hold these through their Participant role in one meeting (see access.Delegate).
PARTICIPANT_PERMISSIONS = {
    "voting": frozenset({"meeting.attend_meeting", "meeting.vote_in_meeting"}),
    "non_voting": frozenset({"meeting.attend_meeting"}),
}
