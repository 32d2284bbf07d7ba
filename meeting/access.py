"""Who may connect to what.

Operators connect with their Django session (check_operator). Tablets and displays are paired
devices that sign a fresh server challenge on every connection (devices.services.authenticate);
a tablet then acts for the member bound to it, as a Delegate.
"""

from django.utils.translation import gettext as _

from .errors import ServiceError
from .models import Meeting, Participant


class Delegate:
    """A member acting in one meeting, with the permissions of their participant role.

    Answers has_perm() like a Django user, so checks read the same for staff and delegates:
    ``principal.has_perm("meeting.vote_in_meeting")``.
    """

    def __init__(self, meeting_id, member_id, role):
        self.meeting_id = meeting_id
        self.member_id = member_id
        self.role = role

    def has_perm(self, perm):
        from .roles import PARTICIPANT_PERMISSIONS

        return perm in PARTICIPANT_PERMISSIONS.get(self.role, ())


def delegate(meeting_id, member_id):
    role = Participant.objects.filter(meeting_id=meeting_id, member_id=member_id).values_list("role", flat=True).first()
    if role is None:
        raise ServiceError("not_participant", _("该人员不在本次会议的参会名单中"))
    return Delegate(meeting_id, member_id, role)


def check_operator(user, meeting_id):
    if not user or not user.is_authenticated:
        raise ServiceError("login_required", _("请先以操作员身份登录"))
    if not user.has_perm("meeting.operate_meeting"):
        raise ServiceError("wrong_role", _("该账号没有主控台操作权限"))
    if not Meeting.objects.filter(pk=meeting_id).exists():
        raise ServiceError("no_meeting", _("会议不存在"))
