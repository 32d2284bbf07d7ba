"""A small sitting hall for voting tests: members signed in, each bound to a paired tablet."""

import base64
import secrets

from django.contrib.auth.models import User
from django.utils import timezone

from devices.models import Binding, Device
from meeting import services as meeting_services
from meeting.models import Seat
from signin.models import SigninRecord
from tests.devicekit import DeviceKey
from tests.factories import make_meeting
from voting import canonical
from voting.intake import BallotRequest


class Hall:
    def __init__(self, deputies=6, attendees=1, signed_in=None):
        self.meeting, self.members = make_meeting(deputies=deputies, attendees=attendees)
        self.deputies = self.members[:deputies]
        self.attendee = self.members[deputies] if attendees else None
        self.operator = User.objects.create_user(f"op{secrets.token_hex(3)}", password="x" * 12)
        self.keys = {}
        for member, seat in zip(self.members, Seat.objects.filter(venue=self.meeting.venue).order_by("number")):
            key = DeviceKey()
            device = Device.objects.create(kind="tablet", venue=self.meeting.venue, seat=seat,
                                           public_key=base64.urlsafe_b64decode(key.public_b64 + "="))
            key.device_id = str(device.id)
            Binding.objects.create(meeting=self.meeting, device=device, member=member, method="demo")
            self.keys[member.id] = key
        for member in (self.members if signed_in is None else signed_in):
            SigninRecord.objects.create(meeting=self.meeting, member=member, method="manual", at=timezone.now())
        meeting_services.open_meeting(self.meeting.id, self.operator)

    @property
    def item(self):
        return self.meeting.agenda.first()

    def ballot(self, poll, member, choice, secret=None, replaces=None, meeting_id=None, poll_id=None):
        key = self.keys[member.id]
        secret = secret or secrets.token_urlsafe(32)
        digest = canonical.secret_hash(secret)
        kind = "motion" if isinstance(choice, str) else "appointment"
        meeting_id = meeting_id or self.meeting.id
        poll_id = poll_id or poll.id
        message = canonical.ballot_message(meeting_id, poll_id, digest, canonical.canonical_choice(kind, choice))
        request = BallotRequest(self.meeting.id, poll.id, member.id, key.device_id, digest, choice,
                                key.sign(message), replaces)
        request.secret = secret
        return request
