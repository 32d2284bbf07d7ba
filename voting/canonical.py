"""The exact bytes that are signed and hashed. docs/ballot-log.md specifies the same formats so
that tools/verify_ballot_log.py (which does not import this) can check a log independently.
No Django here."""

import hashlib
import json

MOTION_CHOICES = ("for", "against", "abstain")


def canonical_choice(kind, choice):
    """motion: "for" | "against" | "abstain"; appointment: "3=for,7=against" by nominee id."""
    if kind == "motion":
        return choice
    return ",".join(f"{int(nominee)}={value}" for nominee, value in sorted(choice.items(), key=lambda kv: int(kv[0])))


def ballot_message(meeting_id, poll_id, secret_hash, choice_text):
    """What the tablet signs with its device key."""
    return f"huitang-ballot-v1\nmeeting:{meeting_id}\npoll:{poll_id}\nsecret:{secret_hash}\nchoice:{choice_text}".encode()


def genesis_hash(meeting_id, poll_id):
    return hashlib.sha256(f"huitang-genesis-v1\nmeeting:{meeting_id}\npoll:{poll_id}".encode()).hexdigest()


def entry_bytes(poll_id, position, prev_hash, choice_text, secret_hash, supersedes=None, member=None,
                device=None, signature=""):
    return "\n".join([
        "huitang-log-v1",
        f"poll:{poll_id}",
        f"position:{position}",
        f"prev:{prev_hash}",
        f"choice:{choice_text}",
        f"secret:{secret_hash}",
        f"supersedes:{'' if supersedes is None else supersedes}",
        f"member:{'' if member is None else member}",
        f"device:{'' if device is None else device}",
        f"signature:{signature or ''}",
    ]).encode()


def entry_hash(*args, **kwargs):
    return hashlib.sha256(entry_bytes(*args, **kwargs)).hexdigest()


def secret_hash(secret_text):
    """The tablet's ballot secret is random base64url text; the log keeps only this hash of it."""
    return hashlib.sha256(f"huitang-ballot-secret-v1\n{secret_text}".encode()).hexdigest()


def result_message(meeting_id, poll_id, head, length, result):
    body = json.dumps({"meeting": meeting_id, "poll": poll_id, "head": head, "length": length, "result": result},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return ("huitang-result-v1\n" + body).encode()
