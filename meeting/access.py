"""Who may connect to what.

Until devices are paired (the Devices issue), tablets and displays present a signed token that
names the meeting and, for a tablet, the member. Tokens are signed with SECRET_KEY and cannot be
forged; they carry no secret themselves.
"""

from django.core import signing
from django.utils.translation import gettext as _

from .errors import ServiceError
from .models import Meeting, Participant

TOKEN_SALT = "huitang.device-token.v1"
TOKEN_KINDS = ("tablet", "display")


def make_token(kind, meeting_id, member_id=None):
    if kind not in TOKEN_KINDS:
        raise ValueError(kind)
    payload = {"k": kind, "m": meeting_id}
    if kind == "tablet":
        payload["p"] = member_id
    return signing.dumps(payload, salt=TOKEN_SALT, compress=True)


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


def check_token(token, kind, meeting_id):
    """Return the member id (tablets) or None (displays); raise ServiceError with a reason."""
    if not token or not isinstance(token, str) or len(token) > 512:
        raise ServiceError("no_token", _("缺少接入凭证"))
    try:
        payload = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        raise ServiceError("bad_token", _("接入凭证无效")) from None
    if payload.get("k") != kind:
        raise ServiceError("wrong_role", _("接入凭证不是给这种终端的"))
    if payload.get("m") != meeting_id:
        raise ServiceError("wrong_meeting", _("接入凭证不属于这次会议"))
    if not Meeting.objects.filter(pk=meeting_id).exists():
        raise ServiceError("no_meeting", _("会议不存在"))
    if kind == "display":
        return None
    member_id = payload.get("p")
    delegate(meeting_id, member_id)
    return member_id


def check_operator(user, meeting_id):
    if not user or not user.is_authenticated:
        raise ServiceError("login_required", _("请先以操作员身份登录"))
    if not user.has_perm("meeting.operate_meeting"):
        raise ServiceError("wrong_role", _("该账号没有主控台操作权限"))
    if not Meeting.objects.filter(pk=meeting_id).exists():
        raise ServiceError("no_meeting", _("会议不存在"))
