"""The ballot-log export, the standalone verifier (tools/verify_ballot_log.py) and the result sheet.

Closed polls of every shape export and verify clean, also with the tool run where Django and
Huitang cannot be imported; every kind of tampering makes the verifier report a problem and the
tool exit 1; the console serves the PDF and the JSON to operators only, and only after close."""

import ast
import copy
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pypdfium2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.contrib.auth.models import Permission, User
from django.test import Client

from meeting.errors import ServiceError
from meeting.models import AuditEntry
from tests.devicekit import b64
from tests.factories import make_meeting
from tests.voting.support import Hall
from voting import canonical, services, signing
from voting.export import export_poll
from voting.intake import record_batch
from voting.models import Poll

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "verify_ballot_log.py"
_spec = importlib.util.spec_from_file_location("verify_ballot_log", TOOL)
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)

# Runs the tool with Django and Huitang made unimportable, in isolated mode (-I: no PYTHONPATH,
# no user site, not even the current directory on sys.path), from a directory outside the tree.
RUNNER = (
    "import sys, runpy\n"
    "for name in ('django', 'voting', 'meeting', 'devices', 'config'): sys.modules[name] = None\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


@pytest.fixture(autouse=True)
def no_delivery(monkeypatch):
    monkeypatch.setattr("meeting.events._deliver", lambda wire: None)


def run_tool(tmp_path, data, *args):
    path = tmp_path / "log.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-I", "-c", RUNNER, str(TOOL), str(path), *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    return proc


def opened(hall, **options):
    poll = services.prepare_poll(hall.meeting.id, hall.item.id, hall.operator, **options)
    services.open_poll(hall.meeting.id, poll.id, hall.operator)
    return Poll.objects.get(pk=poll.id)


def close(hall, poll):
    services.close_poll(hall.meeting.id, poll.id, hall.operator)
    return Poll.objects.select_related("meeting").get(pk=poll.id)


def cast(hall, poll, choices):
    receipts = record_batch(poll.id, [hall.ballot(poll, m, c) for m, c in zip(hall.deputies, choices)])
    assert all(isinstance(r, dict) for r in receipts), receipts
    return receipts


NOMINEES = [{"name": "张三", "post": "副市长"}, {"name": "李四", "post": "局长"}, {"name": "王五", "post": "主任"}]


def build(scenario):
    """A closed poll of the named shape: (hall, poll, receipts)."""
    hall = Hall(deputies=7)
    receipts = []
    if scenario in ("motion_anonymous", "motion_named"):
        poll = opened(hall, anonymous=scenario == "motion_anonymous")
        receipts = cast(hall, poll, ["for", "for", "against", "for", "abstain", "for"])
    elif scenario in ("appointment_anonymous", "appointment_named"):
        poll = opened(hall, kind="appointment", nominees=NOMINEES, anonymous=scenario == "appointment_anonymous")
        receipts = cast(hall, poll, [{"1": "for", "2": "against", "3": "for"}] * 3
                        + [{"1": "for", "2": "abstain"}, {"2": "for", "3": "against"}, {"1": "against", "3": "for"}])
    elif scenario in ("change_anonymous", "change_named"):
        poll = opened(hall, allow_change=True, anonymous=scenario == "change_anonymous")
        first = [hall.ballot(poll, m, c) for m, c in zip(hall.deputies, ["against", "for", "for", "abstain"])]
        receipts = record_batch(poll.id, first)
        # Two members change their minds; one of them twice.
        member = hall.deputies[0]
        change = hall.ballot(poll, member, "abstain",
                             replaces={"position": receipts[0]["position"], "secret": first[0].secret})
        [changed] = record_batch(poll.id, [change])
        again = hall.ballot(poll, member, "for", replaces={"position": changed["position"], "secret": change.secret})
        other = hall.ballot(poll, hall.deputies[3], "for",
                            replaces={"position": receipts[3]["position"], "secret": first[3].secret})
        receipts += [changed] + record_batch(poll.id, [again, other])
        assert all(isinstance(r, dict) for r in receipts), receipts
    elif scenario == "two_thirds_of_cast":
        poll = opened(hall, threshold={"base": "cast", "comparison": "at_least", "numerator": 2, "denominator": 3})
        receipts = cast(hall, poll, ["for", "for", "against", "abstain", "for", "for"])
    elif scenario == "empty":
        poll = opened(hall)
    elif scenario == "hand_count":
        poll = services.prepare_poll(hall.meeting.id, hall.item.id, hall.operator)
        services.record_hand_count(hall.meeting.id, poll.id, {"for": 5, "against": 1, "abstain": 0}, "表决器故障",
                                   hall.operator)
        return hall, Poll.objects.select_related("meeting").get(pk=poll.id), []
    elif scenario == "hand_count_appointment":
        poll = services.prepare_poll(hall.meeting.id, hall.item.id, hall.operator, kind="appointment",
                                     nominees=NOMINEES[:2])
        services.record_hand_count(hall.meeting.id, poll.id, {"1": {"for": 6, "against": 1}, "2": {"for": 3}}, "",
                                   hall.operator)
        return hall, Poll.objects.select_related("meeting").get(pk=poll.id), []
    else:
        raise AssertionError(scenario)
    poll = close(hall, poll)
    if scenario == "motion_named":
        services.announce_poll(hall.meeting.id, poll.id, hall.operator)
        poll = Poll.objects.select_related("meeting").get(pk=poll.id)
    return hall, poll, receipts


SCENARIOS = ["motion_anonymous", "motion_named", "appointment_anonymous", "appointment_named", "change_anonymous",
             "change_named", "two_thirds_of_cast", "empty", "hand_count", "hand_count_appointment"]


def exported(scenario):
    hall, poll, receipts = build(scenario)
    # Through JSON and back, as a third party gets it.
    return hall, poll, receipts, json.loads(json.dumps(export_poll(poll), ensure_ascii=False))


_EXPORTS = {}


def export_of(scenario):
    """A clean export of the scenario, built once for all the tampering tests (the export is plain
    data: it outlives the database rows that each test's flush removes)."""
    if scenario not in _EXPORTS:
        _EXPORTS[scenario] = exported(scenario)[3]
    return copy.deepcopy(_EXPORTS[scenario])


# --- clean exports ----------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_closed_poll_exports_and_verifies(scenario, tmp_path):
    hall, poll, receipts, data = exported(scenario)
    assert data["format"] == "huitang-ballot-log-v1"
    assert data["head"] == poll.log_head and data["length"] == poll.log_length == len(data["entries"])
    assert data["server_public_key"] == signing.public_key_b64()
    key = data["server_public_key"]
    pairs = [(r["position"], r["entry_hash"]) for r in receipts]
    assert tool.verify(data, server_key=key, receipts=pairs) == []
    receipt_args = [arg for p, h in pairs[:3] for arg in ("--receipt", f"{p}:{h}")]
    proc = run_tool(tmp_path, data, "--server-key", key, *receipt_args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "核验通过" in proc.stdout and "OK" in proc.stdout


def test_the_tool_checks_a_delegates_receipt(tmp_path):
    hall, poll, receipts, data = exported("motion_anonymous")
    mine = receipts[2]
    ok = run_tool(tmp_path, data, "--receipt", f"{mine['position']}:{mine['entry_hash']}")
    assert ok.returncode == 0, ok.stdout
    forged = "0" * 64
    bad = run_tool(tmp_path, data, "--receipt", f"{mine['position']}:{forged}")
    assert bad.returncode == 1 and "receipt" in bad.stdout


def test_an_anonymous_export_names_no_one():
    _h, _p, _r, anonymous = exported("motion_anonymous")
    assert anonymous["device_keys"] == {}
    assert all(e["member"] is None and e["device"] is None and e["signature"] == "" for e in anonymous["entries"])
    assert anonymous["turnout"] == 6 and anonymous["signed_in"] == 7 and anonymous["entitled"] == 7


def test_a_named_export_carries_members_devices_and_keys():
    hall, poll, _r, named = exported("motion_named")
    devices = {e["device"] for e in named["entries"]}
    assert set(named["device_keys"]) == devices and len(devices) == 6  # only the devices that voted
    for e in named["entries"]:
        key = hall.keys[e["member"]]
        assert key.device_id == e["device"] and named["device_keys"][e["device"]] == key.public_b64
    assert named["poll"]["state"] == "announced"


def test_a_hand_count_exports_no_entries_and_says_so(tmp_path):
    hall, poll, _r, data = exported("hand_count")
    assert data["entries"] == [] and data["result"]["hand_counted"] is True and data["turnout"] is None
    assert data["hand_count"]["entered_by"] == hall.operator.username and data["hand_count"]["note"] == "表决器故障"
    proc = run_tool(tmp_path, data)
    assert proc.returncode == 0, proc.stdout
    assert "hand count" in proc.stdout and "人工计票" in proc.stdout


@pytest.mark.parametrize("state", ["prepared", "open", "paused", "cancelled"])
def test_polls_not_closed_are_refused(state):
    hall = Hall(deputies=6)
    poll = services.prepare_poll(hall.meeting.id, hall.item.id, hall.operator)
    if state != "prepared":
        services.open_poll(hall.meeting.id, poll.id, hall.operator)
    if state == "paused":
        services.pause_poll(hall.meeting.id, poll.id, hall.operator)
    if state == "cancelled":
        services.cancel_poll(hall.meeting.id, poll.id, "议程调整", hall.operator)
    with pytest.raises(ServiceError) as refused:
        export_poll(Poll.objects.get(pk=poll.id))
    assert refused.value.code == "not_closed"


def test_the_tool_needs_nothing_but_the_standard_library_and_cryptography():
    tree = ast.parse(TOOL.read_text(encoding="utf-8"))
    tops = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            tops |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            tops.add(node.module.split(".")[0])
    assert tops - set(sys.stdlib_module_names) == {"cryptography"}


def test_the_tool_reimplements_the_formats_byte_for_byte():
    """The same inputs give the same bytes as voting.canonical (the spec's two implementations)."""
    secret = canonical.secret_hash("c2VjcmV0")
    assert tool.genesis_hash(3, 7) == canonical.genesis_hash(3, 7)
    assert tool.choice_text("appointment", {"10": "for", "2": "against"}) == "2=against,10=for" \
        == canonical.canonical_choice("appointment", {"10": "for", "2": "against"})
    assert tool.ballot_message(3, 7, secret, "for") == canonical.ballot_message(3, 7, secret, "for")
    args = (7, 2, "a" * 64, "1=for", secret)
    assert tool.entry_bytes(*args, None, None, None, "") == canonical.entry_bytes(*args)
    assert tool.entry_bytes(*args, 1, 5, "uuid", "sig") == canonical.entry_bytes(*args, 1, member=5, device="uuid",
                                                                                 signature="sig")
    result = {"rule": "以全体代表的过半数通过", "passed": True, "nominees": [{"name": "张三"}]}
    assert tool.result_message(3, 7, "", 0, result) == canonical.result_message(3, 7, "", 0, result)


def _doc_example():
    text = (ROOT / "docs" / "ballot-log.md").read_text(encoding="utf-8")
    section = text[text.index("## 9. A worked example"):]
    start = section.index("```json\n") + len("```json\n")
    return json.loads(section[start:section.index("\n```", start)])


def test_the_specifications_worked_example_verifies(tmp_path):
    """docs/ballot-log.md §9 is reproducible from its seeds with voting.canonical, and verifies."""
    data = _doc_example()
    server = Ed25519PrivateKey.from_private_bytes(bytes([9]) * 32)
    assert data["server_public_key"] == b64(server.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    prev = canonical.genesis_hash(1, 2)
    for entry, seed, secret in zip(data["entries"], (1, 2), ("example-secret-1", "example-secret-2")):
        device = Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
        assert entry["secret_hash"] == canonical.secret_hash(secret)
        message = canonical.ballot_message(1, 2, entry["secret_hash"], entry["choice"])
        assert entry["signature"] == b64(device.sign(message))
        prev = canonical.entry_hash(2, entry["position"], prev, entry["choice"], entry["secret_hash"], None,
                                    member=entry["member"], device=entry["device"], signature=entry["signature"])
        assert entry["entry_hash"] == prev
    assert data["head"] == prev
    assert data["result_signature"] == b64(server.sign(canonical.result_message(1, 2, prev, 2, data["result"])))
    assert tool.verify(data, server_key=data["server_public_key"]) == []
    assert run_tool(tmp_path, data).returncode == 0


@pytest.mark.parametrize("bad", ["nothing here", "[1, 2]", None])
def test_unreadable_input_exits_2(tmp_path, bad):
    path = tmp_path / "log.json"
    if bad is not None:
        path.write_text(bad)
    proc = subprocess.run([sys.executable, "-I", str(TOOL), str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr


# --- tampering ----------------------------------------------------------------------------------

def _rehash(data, start=1):
    """Rebuild every hash from ``start`` on, as a forger who rewrites the chain would."""
    kind, meeting, poll = data["poll"]["kind"], data["meeting"]["id"], data["poll"]["id"]
    prev = tool.genesis_hash(meeting, poll) if start == 1 else data["entries"][start - 2]["entry_hash"]
    for e in data["entries"][start - 1:]:
        e["prev_hash"] = prev
        e["entry_hash"] = prev = tool.sha256_hex(tool.entry_bytes(
            poll, e["position"], prev, tool.choice_text(kind, e["choice"]), e["secret_hash"], e["supersedes"],
            e["member"], e["device"], e["signature"]))
    data["head"], data["length"] = prev if data["entries"] else "", len(data["entries"])


def _flip(choice):
    return {"for": "against", "against": "for", "abstain": "for"}[choice]


def change_choice(d):
    d["entries"][0]["choice"] = _flip(d["entries"][0]["choice"])


def change_choice_and_rewrite_chain(d):
    change_choice(d)
    _rehash(d)


def change_choice_rewrite_chain_and_tally(d):
    change_choice_and_rewrite_chain(d)
    counts = {c: sum(1 for e in d["entries"] if e["choice"] == c) for c in ("for", "against", "abstain")}
    d["result"].update(counts)


def swap_two_entries(d):
    e = d["entries"]
    e[1], e[2] = e[2], e[1]


def swap_two_entries_renumbered(d):
    swap_two_entries(d)
    for i, e in enumerate(d["entries"], start=1):
        e["position"] = i
    _rehash(d)


def drop_last_entry(d):
    d["entries"].pop()


def drop_last_entry_and_fix_head(d):
    d["entries"].pop()
    d["head"], d["length"] = d["entries"][-1]["entry_hash"], len(d["entries"])
    d["turnout"] -= 1


def drop_middle_entry(d):
    del d["entries"][2]


def duplicate_an_entry(d):
    d["entries"].append(copy.deepcopy(d["entries"][0]))


def add_a_ballot_and_rewrite_chain(d):
    extra = copy.deepcopy(d["entries"][0])
    extra["position"] = len(d["entries"]) + 1
    extra["secret_hash"] = "f" * 64
    d["entries"].append(extra)
    _rehash(d)
    d["turnout"] += 1


def alter_entry_hash(d):
    e = d["entries"][1]
    e["entry_hash"] = ("0" if e["entry_hash"][0] != "0" else "1") + e["entry_hash"][1:]


def alter_prev_hash(d):
    d["entries"][3]["prev_hash"] = "0" * 64


def alter_secret_hash(d):
    d["entries"][0]["secret_hash"] = "e" * 64


def renumber_positions(d):
    d["entries"][0]["position"] = 0


def bump_for_count(d):
    d["result"]["for"] += 1
    d["result"]["not_voted"] -= 1
    d["result"]["cast"] += 1


def flip_passed(d):
    d["result"]["passed"] = not d["result"]["passed"]


def change_head(d):
    d["head"] = "0" * 64


def change_length(d):
    d["length"] += 1


def alter_result_signature(d):
    sig = d["result_signature"]
    d["result_signature"] = ("A" if sig[0] != "A" else "B") + sig[1:]


def bump_turnout(d):
    d["turnout"] += 1


def raise_signed_in(d):
    d["signed_in"] -= 1


def lower_entitled_in_result(d):
    d["result"]["entitled"] -= 1


def loosen_the_threshold(d):
    d["poll"]["threshold"] = {"base": "cast", "comparison": "more_than", "numerator": 1, "denominator": 3}


def wrong_format(d):
    d["format"] = "huitang-ballot-log-v0"


def resign_with_another_server_key(d):
    """A forger who controls the export signs a false result with their own key: only the
    published key (--server-key) catches it."""
    d["result"]["passed"] = not d["result"]["passed"]
    key = Ed25519PrivateKey.generate()
    d["server_public_key"] = b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    d["result_signature"] = b64(key.sign(tool.result_message(d["meeting"]["id"], d["poll"]["id"], d["head"],
                                                             d["length"], d["result"])))


def forge_device_signature(d):
    forger = Ed25519PrivateKey.generate()
    e = d["entries"][0]
    e["choice"] = _flip(e["choice"])
    e["signature"] = b64(forger.sign(tool.ballot_message(d["meeting"]["id"], d["poll"]["id"], e["secret_hash"],
                                                         e["choice"])))
    _rehash(d)


def reuse_another_entrys_signature(d):
    d["entries"][0]["signature"] = d["entries"][1]["signature"]
    _rehash(d)


def swap_device_keys(d):
    a, b = d["entries"][0]["device"], d["entries"][1]["device"]
    keys = d["device_keys"]
    keys[a], keys[b] = keys[b], keys[a]


def drop_a_device_key(d):
    del d["device_keys"][d["entries"][0]["device"]]


def claim_another_member(d):
    d["entries"][0]["member"] = d["entries"][1]["member"]
    _rehash(d)


def supersede_without_allow_change(d):
    d["entries"][-1]["supersedes"] = 1
    _rehash(d)


def supersede_twice(d):
    targets = [e["supersedes"] for e in d["entries"] if e["supersedes"] is not None]
    last = [e for e in d["entries"] if e["supersedes"] is not None][-1]
    last["supersedes"] = targets[0]
    _rehash(d)


def supersede_a_later_entry(d):
    d["entries"][0]["supersedes"] = 2
    _rehash(d)


def unsupersede(d):
    for e in d["entries"]:
        e["supersedes"] = None
    _rehash(d)


def disallow_change_in_poll(d):
    d["poll"]["allow_change"] = False


def change_nominee_count(d):
    d["result"]["nominees"][0]["for"] += 1


def flip_nominee_passed(d):
    row = d["result"]["nominees"][1]
    row["passed"] = not row["passed"]


def drop_nominee_from_passed(d):
    d["result"]["passed"] = d["result"]["passed"][1:]


def mark_an_unknown_nominee(d):
    d["entries"][0]["choice"]["9"] = "for"
    _rehash(d)


def rename_a_nominee(d):
    d["poll"]["nominees"][0]["name"] = "赵六"


def hand_count_changed(d):
    d["result"]["for"] -= 1
    d["result"]["not_voted"] += 1
    d["result"]["cast"] -= 1


def hand_count_hides_it(d):
    d["result"]["hand_counted"] = False


TAMPERS = [
    ("motion_anonymous", change_choice),
    ("motion_anonymous", change_choice_and_rewrite_chain),
    ("motion_anonymous", change_choice_rewrite_chain_and_tally),
    ("motion_anonymous", swap_two_entries),
    ("motion_anonymous", swap_two_entries_renumbered),
    ("motion_anonymous", drop_last_entry),
    ("motion_anonymous", drop_last_entry_and_fix_head),
    ("motion_anonymous", drop_middle_entry),
    ("motion_anonymous", duplicate_an_entry),
    ("motion_anonymous", add_a_ballot_and_rewrite_chain),
    ("motion_anonymous", alter_entry_hash),
    ("motion_anonymous", alter_prev_hash),
    ("motion_anonymous", alter_secret_hash),
    ("motion_anonymous", renumber_positions),
    ("motion_anonymous", bump_for_count),
    ("motion_anonymous", flip_passed),
    ("motion_anonymous", change_head),
    ("motion_anonymous", change_length),
    ("motion_anonymous", alter_result_signature),
    ("motion_anonymous", bump_turnout),
    ("motion_anonymous", raise_signed_in),
    ("motion_anonymous", lower_entitled_in_result),
    ("motion_anonymous", loosen_the_threshold),
    ("motion_anonymous", wrong_format),
    ("motion_anonymous", resign_with_another_server_key),
    ("motion_anonymous", supersede_without_allow_change),
    ("motion_named", forge_device_signature),
    ("motion_named", reuse_another_entrys_signature),
    ("motion_named", swap_device_keys),
    ("motion_named", drop_a_device_key),
    ("motion_named", claim_another_member),
    ("motion_named", flip_passed),
    ("change_anonymous", supersede_twice),
    ("change_anonymous", supersede_a_later_entry),
    ("change_anonymous", unsupersede),
    ("change_anonymous", disallow_change_in_poll),
    ("change_named", supersede_twice),
    ("change_named", claim_another_member),
    ("appointment_anonymous", change_nominee_count),
    ("appointment_anonymous", flip_nominee_passed),
    ("appointment_anonymous", drop_nominee_from_passed),
    ("appointment_anonymous", mark_an_unknown_nominee),
    ("appointment_anonymous", rename_a_nominee),
    ("appointment_named", drop_last_entry_and_fix_head),
    ("two_thirds_of_cast", flip_passed),
    ("two_thirds_of_cast", loosen_the_threshold),
    ("empty", bump_turnout),
    ("empty", flip_passed),
    ("hand_count", hand_count_changed),
    ("hand_count", flip_passed),
    ("hand_count", hand_count_hides_it),
    ("hand_count_appointment", flip_nominee_passed),
]


@pytest.mark.parametrize("scenario, tamper", TAMPERS, ids=[f"{s}-{t.__name__}" for s, t in TAMPERS])
def test_tampering_is_caught(scenario, tamper, tmp_path):
    data = export_of(scenario)
    key = data["server_public_key"]
    assert tool.verify(data, server_key=key) == []
    forged = copy.deepcopy(data)
    tamper(forged)
    assert forged != data
    problems = tool.verify(forged, server_key=key)
    assert problems, tamper.__name__
    proc = run_tool(tmp_path, forged, "--server-key", key)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED" in proc.stdout and "核验未通过" in proc.stdout


def test_a_whole_forgery_is_caught_only_by_the_published_key(tmp_path):
    """Said plainly in docs/ballot-log.md: whoever controls the export can rewrite the chain, the
    tally and the signature with a key of their own; only the key published by the congress (on
    the result sheet) tells. Named polls would also need forged device signatures."""
    data = export_of("motion_anonymous")
    key = data["server_public_key"]
    forged = copy.deepcopy(data)
    for e in forged["entries"]:
        e["choice"] = "against"
    _rehash(forged)
    result, threshold = forged["result"], forged["poll"]["threshold"]
    n = len(forged["entries"])
    result.update({"for": 0, "against": n, "abstain": 0, "cast": n, "not_voted": result["signed_in"] - n})
    result["passed"] = tool.passes(threshold, 0, result["entitled"], result["signed_in"], n)
    result["required"] = tool.required(threshold, result["entitled"], result["signed_in"], n)
    resign = Ed25519PrivateKey.generate()
    forged["server_public_key"] = b64(resign.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    forged["result_signature"] = b64(resign.sign(tool.result_message(
        forged["meeting"]["id"], forged["poll"]["id"], forged["head"], forged["length"], result)))
    assert tool.verify(forged) == []
    problems = tool.verify(forged, server_key=key)
    assert len(problems) == 1 and "published key" in problems[0]
    assert run_tool(tmp_path, forged).returncode == 0
    assert run_tool(tmp_path, forged, "--server-key", key).returncode == 1


def test_the_verifier_never_crashes_on_garbage():
    data = export_of("appointment_named")
    for path in (["entries", 0], ["poll", "nominees"], ["result", "nominees"], ["device_keys"], ["poll"],
                 ["entries", 1, "choice"], ["result", "threshold"], ["poll", "threshold"]):
        for junk in (None, 7, "x", [], {}, [None], True):
            forged = copy.deepcopy(data)
            target = forged
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = junk
            problems = tool.verify(forged)
            assert problems and isinstance(problems, list), (path, junk)


# --- the console's files ----------------------------------------------------------------------

def operator_client(hall):
    hall.operator.user_permissions.add(Permission.objects.get(codename="operate_meeting",
                                                              content_type__app_label="meeting"))
    client = Client()
    client.force_login(User.objects.get(pk=hall.operator.pk))
    return client


def pdf_text(content):
    document = pypdfium2.PdfDocument(content)
    try:
        return "".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def _squash(text):
    return "".join(text.split())


@pytest.mark.parametrize("scenario", ["motion_anonymous", "appointment_named", "hand_count", "empty"])
def test_the_result_sheet(scenario):
    hall, poll, _r = build(scenario)
    client = operator_client(hall)
    response = client.get(f"/console/{hall.meeting.id}/polls/{poll.id}/result.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _squash(pdf_text(response.content))
    assert _squash(poll.result_signature) in text and signing.public_key_b64() in text
    if poll.log_head:
        assert poll.log_head in text
    assert "verify_ballot_log.py" in text
    # The Chinese comes out of the CID font as text, not shapes.
    assert "表决结果" in text and poll.title in text and poll.result["rule"] in text
    if scenario == "motion_anonymous":
        assert "无记名表决" in text and "未按" in text and ("未通过" in text or "通过" in text)
    if scenario == "appointment_named":
        assert "记名表决" in text and "张三" in text and "副市长" in text
    if scenario == "hand_count":
        assert "人工计票" in text and hall.operator.username in text and "表决器故障" in text
    assert AuditEntry.objects.filter(action="poll.export", detail__format="pdf").exists()


def test_the_log_download_is_the_export():
    hall, poll, _r = build("motion_named")
    client = operator_client(hall)
    response = client.get(f"/console/{hall.meeting.id}/polls/{poll.id}/log.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    assert data == json.loads(json.dumps(export_poll(poll)))
    assert tool.verify(data, server_key=signing.public_key_b64()) == []


@pytest.mark.parametrize("name", ["result.pdf", "log.json"])
def test_the_console_files_are_guarded(name):
    hall = Hall(deputies=6)
    poll = opened(hall)
    record_batch(poll.id, [hall.ballot(poll, m, "for") for m in hall.deputies[:4]])
    client = operator_client(hall)
    url = f"/console/{hall.meeting.id}/polls/{poll.id}/{name}"
    before_close = client.get(url)
    assert before_close.status_code == 409 and "表决结束后" in before_close.content.decode()
    close(hall, poll)
    assert client.get(url).status_code == 200
    # Another meeting's poll, and a poll that does not exist.
    other, _members = make_meeting(name="另一市人民代表大会")
    assert client.get(f"/console/{other.id}/polls/{poll.id}/{name}").status_code == 404
    assert client.get(f"/console/{hall.meeting.id}/polls/{poll.id + 999}/{name}").status_code == 404
    # Logged in without the operator's permission; not logged in at all.
    clerk = User.objects.create_user("clerk", password="x" * 12)
    nobody = Client()
    nobody_response = nobody.get(url)
    assert nobody_response.status_code == 302 and "login" in nobody_response["Location"]
    nobody.force_login(clerk)
    assert nobody.get(url).status_code == 403
