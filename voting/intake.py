"""Ballots in: verified as they arrive, written in groups, acknowledged only once durable.

A tablet's ballot is checked in stages:
1. shape (cheap);
2. its Ed25519 signature over voting.canonical.ballot_message, on the event loop. It was in a
   pool of two worker threads, but measured on a busy 2-core server (bench.meeting, 3,000
   ballots in 3 s) each hand-off (submit, wake a worker, win the GIL back after the check, wake
   the loop) cost more than the 0.15 ms check itself and queued ballots behind it: ballot ack
   p99 420-900 ms in the pool, 300-310 ms on the loop, with less CPU (docs/performance.md);
3. the rules that need the database (poll open, member entitled, signed in, bound to this
   device, has not voted) and the append to the hash-chained log — for a whole group of
   ballots in ONE transaction (group commit), one writer per poll per process.
Only after that commit does each tablet get its receipt.

Anonymous polls: within a group the accepted ballots are shuffled before they get log positions,
the turnout (who voted) is a single sorted list rewritten in place, and nothing else about the
voter is stored or logged, so no row, id, order or timestamp links an entry to a member.
"""

import asyncio
import logging
import random
import re
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from devices import crypto
from devices.models import Binding
from meeting.coalesce import Coalescer
from meeting.errors import ServiceError
from meeting.events import publish_by_view
from meeting.models import Participant

from . import canonical, eligibility, state
from .models import BallotEntry, Poll, Turnout

log = logging.getLogger(__name__)

BATCH_MAX = 500
HEX64 = re.compile(r"^[0-9a-f]{64}$")
_shuffle = random.SystemRandom().shuffle


@dataclass
class BallotRequest:
    meeting_id: int
    poll_id: int
    member_id: int
    device_id: str
    secret_hash: str
    choice: object
    signature: str
    replaces: dict | None = None
    future: asyncio.Future | None = field(default=None, repr=False)


def parse(message, meeting_id, member_id, device_id):
    """The request as the tablet sent it, checked for shape only. Raises ServiceError."""
    poll_id = message.get("poll")
    if not isinstance(poll_id, int) or isinstance(poll_id, bool):
        raise ServiceError("bad_request", _("表决编号无效"))
    secret = message.get("secret_hash")
    if not isinstance(secret, str) or not HEX64.match(secret):
        raise ServiceError("bad_request", _("选票格式无效"))
    signature = message.get("signature")
    if not isinstance(signature, str) or len(signature) > 100:
        raise ServiceError("bad_signature", _("选票签名无效"))
    choice = message.get("choice")
    if isinstance(choice, str):
        if choice not in canonical.MOTION_CHOICES:
            raise ServiceError("bad_choice", _("无效的表决选项"))
    elif isinstance(choice, dict):
        if not choice or len(choice) > 50:
            raise ServiceError("bad_choice", _("请至少对一名被提名人表态"))
        for key, value in choice.items():
            if not key.isdigit() or len(key) > 4 or value not in canonical.MOTION_CHOICES:
                raise ServiceError("bad_choice", _("无效的表决选项"))
    else:
        raise ServiceError("bad_choice", _("无效的表决选项"))
    replaces = message.get("replaces")
    if replaces is not None:
        if (not isinstance(replaces, dict) or not isinstance(replaces.get("position"), int)
                or not isinstance(replaces.get("secret"), str) or len(replaces["secret"]) > 100):
            raise ServiceError("bad_request", _("改票请求无效"))
    if member_id is None:
        raise ServiceError("not_bound", _("本终端尚未绑定代表"))
    return BallotRequest(meeting_id, poll_id, member_id, device_id, secret, choice, signature, replaces)


def _verify(request, public_key):
    kind = "motion" if isinstance(request.choice, str) else "appointment"
    text = canonical.canonical_choice(kind, request.choice)
    message = canonical.ballot_message(request.meeting_id, request.poll_id, request.secret_hash, text)
    return crypto.verify(public_key, request.signature, message)


class Intake:
    def __init__(self):
        self.queues = {}
        self.writing = set()

    async def submit(self, request, public_key):
        """The ballot's receipt and the patch its acknowledgement carries (voting.state.ballot_patch),
        once the group it joined is committed; raises ServiceError if it was refused. Everything the
        patch needs comes back from the group's transaction: no further query per ballot."""
        loop = asyncio.get_running_loop()
        if not _verify(request, public_key):
            raise ServiceError("bad_signature", _("选票签名无效"))
        request.future = loop.create_future()
        self.queues.setdefault(request.poll_id, []).append(request)
        if request.poll_id not in self.writing:
            self.writing.add(request.poll_id)
            loop.create_task(self._write(request.poll_id))
        return await request.future

    async def _write(self, poll_id):
        try:
            while self.queues.get(poll_id):
                queue = self.queues[poll_id]
                batch, self.queues[poll_id] = queue[:BATCH_MAX], queue[BATCH_MAX:]
                try:
                    facts, outcomes = await sync_to_async(_record_batch, thread_sensitive=False)(poll_id, batch)
                except Exception:
                    log.exception("ballot batch for poll %s failed", poll_id)
                    facts = None
                    outcomes = [ServiceError("server_error", _("服务器内部错误，选票未记录，请重试"))] * len(batch)
                for request, outcome in zip(batch, outcomes):
                    if request.future.done():
                        continue
                    if isinstance(outcome, ServiceError):
                        request.future.set_exception(outcome)
                    else:
                        request.future.set_result((outcome, state.ballot_patch(facts, request.choice, outcome)))
        finally:
            self.writing.discard(poll_id)
            if not self.queues.get(poll_id):
                self.queues.pop(poll_id, None)


intake = Intake()


def _refuse(code, message):
    return ServiceError(code, message)


@dataclass(frozen=True)
class PollFacts:
    """What a ballot's acknowledgement needs of its poll (voting.state.ballot_patch), read in the
    group's transaction. Neither changes once the poll is prepared."""

    id: int
    anonymous: bool


def record_batch(poll_id, batch):
    """Check and store a group of ballots in one transaction; returns a receipt or a ServiceError
    for each request, in the order given."""
    return _record_batch(poll_id, batch)[1]


def _record_batch(poll_id, batch):
    """(PollFacts or None if there is no such poll, the outcomes as record_batch returns them)."""
    with transaction.atomic():
        return _record(poll_id, batch)


def _record(poll_id, batch):
    poll = Poll.objects.select_for_update().select_related("meeting").filter(pk=poll_id).first()
    outcomes = [None] * len(batch)
    if poll is None or any(r.meeting_id != poll.meeting_id for r in batch):
        return None, [_refuse("no_poll", _("本次会议没有这项表决"))] * len(batch)
    facts = PollFacts(poll.id, poll.anonymous)

    existing = {e.secret_hash: e for e in BallotEntry.objects.filter(
        poll=poll, secret_hash__in={r.secret_hash for r in batch})}
    now = timezone.now()
    closed_reason = None
    if poll.state == Poll.State.PAUSED:
        closed_reason = _refuse("paused", _("表决已暂停，请稍候"))
    elif poll.state != Poll.State.OPEN or (poll.closes_at and now >= poll.closes_at):
        closed_reason = _refuse("poll_closed", _("表决已经结束，选票未记录"))

    members = {r.member_id for r in batch}
    # Each row read in this thread hands the GIL back and forth with the busy event loop (measured:
    # most of a group's time was spent waiting for it), so the common case, everyone a voting
    # member who has signed in, is one counted row; only a group with an exception reads them all.
    if eligibility.all_present_voting(poll.meeting_id, members):
        roles = dict.fromkeys(members, Participant.Role.VOTING)
        present = members
    else:
        roles = dict(Participant.objects.filter(meeting_id=poll.meeting_id, member_id__in=members)
                     .values_list("member_id", "role"))
        present = eligibility.present_voting_member_ids(poll.meeting_id, among=members)
    bound = dict(Binding.objects.filter(meeting_id=poll.meeting_id, ended_at__isnull=True,
                                        device_id__in={r.device_id for r in batch}).values_list("device_id", "member_id"))
    bound = {str(k): v for k, v in bound.items()}
    turnout = Turnout.objects.select_for_update().filter(poll=poll).first()  # made when the poll opened
    voted = set(turnout.member_ids) if turnout else set()
    nominee_ids = {str(n["id"]) for n in poll.nominees}

    accepted = []  # (index, request, supersedes)
    first_of_secret = {}  # secret hash -> index in batch of its first, accepted, sending
    repeats = []  # (index, index of the first sending): the same ballot twice in one group
    replaced = None  # positions already replaced, in the log or earlier in this group
    for i, r in enumerate(batch):
        same = existing.get(r.secret_hash)
        if same is not None:
            # A resend: the same ballot gets the same receipt, whatever the poll's state now.
            outcomes[i] = _receipt(poll, same) if same.choice == r.choice else _refuse(
                "already_voted", _("已经投过票，不能投第二张不同的选票"))
            continue
        if r.secret_hash in first_of_secret:
            first = first_of_secret[r.secret_hash]
            if batch[first].choice == r.choice:
                repeats.append((i, first))
            else:
                outcomes[i] = _refuse("already_voted", _("已经投过票，不能投第二张不同的选票"))
            continue
        if closed_reason is not None:
            outcomes[i] = closed_reason
            continue
        if bound.get(r.device_id) != r.member_id:
            outcomes[i] = _refuse("not_bound", _("本终端没有绑定这位代表"))
            continue
        if roles.get(r.member_id) != Participant.Role.VOTING:
            outcomes[i] = _refuse("not_entitled", _("列席人员不参加表决"))
            continue
        if r.member_id not in present:
            outcomes[i] = _refuse("not_signed_in", _("请先签到再表决"))
            continue
        if not _choice_fits(poll, r.choice, nominee_ids):
            outcomes[i] = _refuse("bad_choice", _("无效的表决选项"))
            continue
        supersedes = None
        if r.member_id in voted:
            if not (poll.allow_change and r.replaces):
                outcomes[i] = _refuse("already_voted", _("已经投过票，不能投第二张不同的选票"))
                continue
            if replaced is None:
                by_position = {e.position: e for e in BallotEntry.objects.filter(poll=poll)}
                replaced = {e.supersedes for e in by_position.values() if e.supersedes is not None}
            old = by_position.get(r.replaces["position"])
            if (old is None or old.position in replaced
                    or canonical.secret_hash(r.replaces["secret"]) != old.secret_hash):
                outcomes[i] = _refuse("bad_replace", _("无法确认原选票，改票未记录"))
                continue
            supersedes = old.position
            replaced.add(old.position)
        voted.add(r.member_id)
        first_of_secret[r.secret_hash] = i
        accepted.append((i, r, supersedes))

    if accepted:
        if poll.anonymous:
            _shuffle(accepted)
        head = poll.log_head or canonical.genesis_hash(poll.meeting_id, poll.id)
        position = poll.log_length
        rows = []
        for i, r, supersedes in accepted:
            position += 1
            named = not poll.anonymous
            text = canonical.canonical_choice(poll.kind, r.choice)
            digest = canonical.entry_hash(
                poll.id, position, head, text, r.secret_hash, supersedes,
                member=r.member_id if named else None, device=r.device_id if named else None,
                signature=r.signature if named else "")
            rows.append(BallotEntry(
                poll=poll, position=position, choice=r.choice, secret_hash=r.secret_hash, supersedes=supersedes,
                prev_hash=head, entry_hash=digest,
                member_id=r.member_id if named else None, device_id=r.device_id if named else None,
                device_signature=r.signature if named else "", recorded_at=now if named else None,
            ))
            head = digest
        BallotEntry.objects.bulk_create(rows)
        for (i, _r, _s), row in zip(accepted, rows):
            outcomes[i] = _receipt(poll, row)
        for i, first in repeats:
            outcomes[i] = outcomes[first]
        poll.log_head, poll.log_length = head, position
        poll.save(update_fields=["log_head", "log_length"])
        if turnout is not None:
            Turnout.objects.filter(pk=turnout.pk).update(member_ids=sorted(voted))
        else:
            Turnout.objects.create(poll=poll, member_ids=sorted(voted))
        poll_id_done = poll.id
        transaction.on_commit(lambda: progress.touch(poll_id_done))
    return facts, outcomes


def _choice_fits(poll, choice, nominee_ids):
    if poll.kind == "motion":
        return isinstance(choice, str)
    return isinstance(choice, dict) and set(choice) <= nominee_ids


def _receipt(poll, entry):
    return {"poll": poll.id, "position": entry.position, "entry_hash": entry.entry_hash}


def _publish_progress(poll_id):
    with transaction.atomic():
        # Locked (poll and meeting) before reading, as the ballot groups lock them: the counts read
        # here are then the latest when this event takes its seq, even with another process's group
        # committing meanwhile (PostgreSQL).
        poll = Poll.objects.select_for_update().select_related("meeting").filter(pk=poll_id).first()
        if poll is None or poll.state not in (Poll.State.OPEN, Poll.State.PAUSED):
            return
        data = {"poll_progress": state.progress(poll)}
        console = dict(data)
        if not poll.anonymous:
            console["not_voted"] = state.console_not_voted(poll)
        # Displays and console only (voting.state.PROGRESS_VIEWS): tablets do not show the count.
        publish_by_view(poll.meeting_id, "poll.progress", {"display": data, "console": console})


progress = Coalescer(_publish_progress)
