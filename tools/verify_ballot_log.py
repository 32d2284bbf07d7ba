#!/usr/bin/env python3
"""Independent verifier for a Huitang (会堂) ballot-log export.

    python tools/verify_ballot_log.py export.json [--server-key KEY] [--receipt POSITION:ENTRY_HASH ...]

Needs only the Python standard library and ``cryptography`` (for Ed25519). It does not import
Huitang or Django: every byte string is rebuilt here from the specification in docs/ballot-log.md,
so that a reader can check this file against that text alone.

Checks: the format tag; positions 1..n without gaps; the genesis hash; every prev_hash link;
every entry_hash; every supersedes link (earlier, not yet superseded, at most once, only when the
poll allows changes); in named polls every device signature; live entries = turnout; the tally
recomputed from the live entries; pass/fail recomputed with integer arithmetic; head and length;
the server's signature over the result. Hand-counted polls carry no ballots: only the signature
and the pass rule of the signed counts can be checked.

Exit status: 0 all checks passed; 1 any mismatch (each is listed); 2 unreadable input.
"""

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "huitang-ballot-log-v1"
CHOICES = ("for", "against", "abstain")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
BASES = ("entitled", "present", "cast")
COMPARISONS = ("more_than", "at_least")


# --- the byte strings (docs/ballot-log.md §3) ------------------------------------------------

def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def choice_text(kind, choice):
    """§3.1: motion "for"; appointment "1=for,3=against" (nominee ids ascending)."""
    if kind == "motion":
        return choice
    return ",".join(f"{int(k)}={v}" for k, v in sorted(choice.items(), key=lambda kv: int(kv[0])))


def ballot_message(meeting_id, poll_id, secret_hash, text):
    """§3.3: what the tablet signs."""
    return f"huitang-ballot-v1\nmeeting:{meeting_id}\npoll:{poll_id}\nsecret:{secret_hash}\nchoice:{text}".encode()


def genesis_hash(meeting_id, poll_id):
    """§3.4: the prev_hash of entry 1."""
    return sha256_hex(f"huitang-genesis-v1\nmeeting:{meeting_id}\npoll:{poll_id}".encode())


def _field(value):
    return "" if value is None else str(value)


def entry_bytes(poll_id, position, prev_hash, text, secret_hash, supersedes, member, device, signature):
    """§3.5: the bytes whose SHA-256 is the entry_hash."""
    return "\n".join([
        "huitang-log-v1",
        f"poll:{poll_id}",
        f"position:{position}",
        f"prev:{prev_hash}",
        f"choice:{text}",
        f"secret:{secret_hash}",
        f"supersedes:{_field(supersedes)}",
        f"member:{_field(member)}",
        f"device:{_field(device)}",
        f"signature:{signature or ''}",
    ]).encode()


def result_message(meeting_id, poll_id, head, length, result):
    """§3.6: what the server signs at close."""
    body = json.dumps({"meeting": meeting_id, "poll": poll_id, "head": head, "length": length, "result": result},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return ("huitang-result-v1\n" + body).encode()


def b64url_decode(text, size):
    """§2: base64url without padding, of exactly ``size`` bytes; None if it is not."""
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == size else None


def ed25519_ok(public_b64, signature_b64, message):
    raw_key = b64url_decode(public_b64, 32)
    raw_sig = b64url_decode(signature_b64, 64)
    if raw_key is None or raw_sig is None:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(raw_sig, message)
    except (InvalidSignature, ValueError):
        return False
    return True


# --- the rule (docs/ballot-log.md §5) --------------------------------------------------------

def is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def rule_base(threshold, entitled, signed_in, cast):
    return {"entitled": entitled, "present": signed_in, "cast": cast}[threshold["base"]]


def passes(threshold, votes_for, entitled, signed_in, cast):
    """Integer arithmetic only: nothing passes with no for-votes."""
    num, den = threshold["numerator"], threshold["denominator"]
    base = rule_base(threshold, entitled, signed_in, cast)
    if votes_for == 0:
        return False
    if threshold["comparison"] == "more_than":
        return votes_for * den > num * base
    return votes_for * den >= num * base


def required(threshold, entitled, signed_in, cast):
    num, den = threshold["numerator"], threshold["denominator"]
    base = rule_base(threshold, entitled, signed_in, cast)
    if threshold["comparison"] == "more_than":
        return max(1, num * base // den + 1)
    return max(1, -(-num * base // den))


def _gcd_reduce(num, den):
    a, b = num, den
    while b:
        a, b = b, a % b
    return num // a, den // a


# --- the checks -------------------------------------------------------------------------------

class _Problems(list):
    def add(self, zh, en):
        self.append(f"{zh} / {en}")


def _check_threshold(t, problems):
    if not isinstance(t, dict):
        problems.add("缺少通过规则", "poll.threshold missing")
        return None
    base, comparison, num, den = t.get("base"), t.get("comparison"), t.get("numerator"), t.get("denominator")
    if (base not in BASES or comparison not in COMPARISONS or not is_count(num) or not is_count(den)
            or num == 0 or den == 0 or num > den or (comparison == "more_than" and num == den)):
        problems.add(f"通过规则无效：{t!r}", f"invalid threshold {t!r}")
        return None
    return {"base": base, "comparison": comparison, "numerator": num, "denominator": den}


def _valid_choice(kind, choice, nominee_ids):
    if kind == "motion":
        return isinstance(choice, str) and choice in CHOICES
    if not isinstance(choice, dict) or not choice:
        return False
    for key, value in choice.items():
        if not isinstance(key, str) or not re.fullmatch(r"[1-9][0-9]*", key) or int(key) not in nominee_ids:
            return False
        if value not in CHOICES:
            return False
    return True


def _check_counts(label, label_en, row, expected, problems):
    for key, want in expected.items():
        got = row.get(key) if isinstance(row, dict) else None
        if got != want or isinstance(got, bool) != isinstance(want, bool):
            problems.add(f"{label}「{key}」为 {got!r}，按记录重新计算应为 {want!r}",
                         f"{label_en} '{key}' is {got!r}, recomputed {want!r}")


def _check_motion_result(result, counts, signed_in, entitled, threshold, problems, hand):
    """``counts``: recomputed {for, against, abstain}, or None to take the result's own (hand count)."""
    if counts is None:
        counts = {}
        for key in CHOICES:
            value = result.get(key)
            if not is_count(value):
                problems.add(f"结果中「{key}」不是非负整数", f"result '{key}' is not a count")
                return
            counts[key] = value
    cast = counts["for"] + counts["against"] + counts["abstain"]
    if cast > signed_in:
        problems.add(f"投票数 {cast} 多于实到人数 {signed_in}", f"{cast} votes but only {signed_in} signed in")
        return
    expected = {**counts, "cast": cast, "not_voted": signed_in - cast, "signed_in": signed_in, "entitled": entitled}
    if threshold is not None:
        expected["passed"] = passes(threshold, counts["for"], entitled, signed_in, cast)
        expected["required"] = required(threshold, entitled, signed_in, cast)
    _check_counts("人工计票结果" if hand else "结果", "hand-count result" if hand else "result", result, expected,
                  problems)


def _check_appointment_result(result, poll, tallies, n_ballots, signed_in, entitled, threshold, problems, hand):
    rows = result.get("nominees")
    nominees = poll.get("nominees") or []
    if not isinstance(rows, list) or len(rows) != len(nominees):
        problems.add("结果中的被提名人与表决不符", "result nominees do not match the poll's nominees")
        return
    passed = []
    invalid = 0 if not hand else result.get("invalid_ballots", 0)
    if not is_count(invalid):
        problems.add("结果中的废票数无效", "result invalid_ballots is not a count")
        return
    for number, (nominee, row) in enumerate(zip(nominees, rows), start=1):
        nid = nominee.get("id") if isinstance(nominee, dict) else None
        label = f"被提名人 {nid}"
        if not isinstance(row, dict) or row.get("nominee") != nid:
            problems.add(f"结果第 {number} 行不是被提名人 {nid}", f"result row {number} is not nominee {nid}")
            continue
        if row.get("name") != nominee.get("name"):
            problems.add(f"{label} 姓名不符", f"nominee {nid} name differs from the poll")
        if hand:
            counts = {key: row.get(key) for key in CHOICES}
            if not all(is_count(v) for v in counts.values()):
                problems.add(f"{label} 的票数不是非负整数", f"nominee {nid}: counts are not non-negative integers")
                continue
        else:
            counts = tallies[nid]
        cast = counts["for"] + counts["against"] + counts["abstain"]
        if cast + invalid > signed_in:
            problems.add(f"{label} 投票数多于实到人数", f"nominee {nid}: more votes than signed in")
            continue
        expected = {**counts, "cast": cast, "not_voted": signed_in - cast - invalid}
        if threshold is not None:
            ok = passes(threshold, counts["for"], entitled, signed_in, cast)
            expected["passed"] = ok
            expected["required"] = required(threshold, entitled, signed_in, cast)
            if ok:
                passed.append(nid)
        _check_counts(f"结果 {label}", f"result nominee {nid}", row, expected, problems)
    top = {"signed_in": signed_in, "entitled": entitled}
    if not hand:
        top.update(ballots=n_ballots, valid_ballots=n_ballots, invalid_ballots=0, invalid_reasons={})
    if threshold is not None:
        top["passed"] = passed
    _check_counts("结果", "result", result, top, problems)


def _check_result_threshold(result, threshold, problems):
    if threshold is None:
        return
    t = result.get("threshold")
    num, den = _gcd_reduce(threshold["numerator"], threshold["denominator"])
    want = {"base": threshold["base"], "comparison": threshold["comparison"], "fraction": f"{num}/{den}"}
    if t != want:
        problems.add(f"结果所用规则 {t!r} 与表决设定 {want!r} 不符",
                     f"result threshold {t!r} differs from the poll's {want!r}")
    if not isinstance(result.get("rule"), str) or not result.get("rule"):
        problems.add("结果缺少规则说明", "result has no rule text")


def verify(data, server_key=None, receipts=()):
    """Every problem found in the export ``data`` (a dict parsed from JSON), as text; [] if it
    checks out. ``server_key``: the server's public key as published by the congress (base64url),
    to compare with the one in the export. ``receipts``: (position, entry_hash) pairs to look for."""
    problems = _Problems()
    try:
        _verify(data, problems, server_key, receipts)
    except Exception as exc:  # a malformed export must be a finding, never a crash
        problems.add(f"导出文件结构无效：{type(exc).__name__}: {exc}", f"malformed export: {type(exc).__name__}: {exc}")
    return list(problems)


def _verify(data, problems, server_key, receipts):
    if not isinstance(data, dict):
        problems.add("导出文件不是 JSON 对象", "export is not a JSON object")
        return
    if data.get("format") != FORMAT:
        problems.add(f"格式标记为 {data.get('format')!r}，应为 {FORMAT}", f"format is {data.get('format')!r}, not {FORMAT}")
        return
    meeting, poll = data.get("meeting"), data.get("poll")
    if not isinstance(meeting, dict) or not isinstance(poll, dict):
        problems.add("缺少会议或表决信息", "meeting or poll missing")
        return
    meeting_id, poll_id = meeting.get("id"), poll.get("id")
    if not is_count(meeting_id) or not is_count(poll_id):
        problems.add("会议或表决编号无效", "meeting or poll id is not an integer")
        return
    kind = poll.get("kind")
    if kind not in ("motion", "appointment"):
        problems.add(f"表决类型 {kind!r} 无法核验", f"unknown poll kind {kind!r}")
        return
    anonymous, allow_change = poll.get("anonymous"), poll.get("allow_change")
    if not isinstance(anonymous, bool) or not isinstance(allow_change, bool):
        problems.add("表决的记名/改票设定无效", "poll anonymous / allow_change missing")
        return
    nominee_ids = []
    if kind == "appointment":
        nominees = poll.get("nominees")
        if (not isinstance(nominees, list) or not nominees
                or not all(isinstance(n, dict) and is_count(n.get("id")) and n["id"] > 0 for n in nominees)):
            problems.add("被提名人名单无效", "poll nominees invalid")
            return
        nominee_ids = [n["id"] for n in nominees]
        if len(set(nominee_ids)) != len(nominee_ids):
            problems.add("被提名人编号重复", "duplicate nominee ids")
            return
    threshold = _check_threshold(poll.get("threshold"), problems)
    result = data.get("result")
    if not isinstance(result, dict):
        problems.add("缺少结果", "result missing")
        return
    entries = data.get("entries")
    if not isinstance(entries, list):
        problems.add("缺少选票记录", "entries missing")
        return
    signed_in, entitled = data.get("signed_in"), data.get("entitled")
    if not is_count(signed_in) or not is_count(entitled) or signed_in > entitled:
        problems.add(f"实到 {signed_in!r} / 应到 {entitled!r} 无效",
                     f"signed_in {signed_in!r} / entitled {entitled!r} invalid")
        return
    head, length = data.get("head"), data.get("length")
    hand = result.get("hand_counted") is True
    if not isinstance(result.get("hand_counted"), bool):
        problems.add("结果未注明是否人工计票", "result.hand_counted missing")

    # 1. The chain.
    live_positions, n = _check_chain(data, entries, meeting_id, poll_id, kind, anonymous, allow_change,
                                     set(nominee_ids), problems)
    expected_head = entries[n - 1].get("entry_hash") if n and isinstance(entries[n - 1], dict) else ""
    if head != expected_head:
        problems.add(f"导出的链头 {head!r} 与最后一条记录 {expected_head!r} 不符",
                     f"head {head!r} is not the last entry_hash {expected_head!r}")
    if length != n:
        problems.add(f"导出的记录条数 {length!r} 与实际 {n} 不符", f"length {length!r} but {n} entries")
    for position, digest in receipts:
        entry = entries[position - 1] if 1 <= position <= n and isinstance(entries[position - 1], dict) else None
        if entry is None or entry.get("entry_hash") != digest:
            problems.add(f"回执（第 {position} 条，{digest}）不在记录中", f"receipt ({position}, {digest}) is not in the log")

    # 2. The tally.
    if hand:
        if n:
            problems.add("人工计票的表决不应有电子选票", "a hand-counted poll has device ballots")
    else:
        turnout = data.get("turnout")
        if turnout != len(live_positions) or not is_count(turnout):
            problems.add(f"有效选票 {len(live_positions)} 张，但投票人数（turnout）为 {turnout!r}",
                         f"{len(live_positions)} live ballots but turnout is {turnout!r}")
        if len(live_positions) > signed_in:
            problems.add(f"有效选票 {len(live_positions)} 张，多于实到 {signed_in} 人",
                         f"{len(live_positions)} live ballots but only {signed_in} signed in")
    for key, value in (("signed_in", signed_in), ("entitled", entitled)):
        if result.get(key) != value:
            problems.add(f"结果中的「{key}」{result.get(key)!r} 与导出的 {value!r} 不符",
                         f"result '{key}' {result.get(key)!r} differs from the export's {value!r}")
    _check_result_threshold(result, threshold, problems)
    live = [entries[p - 1]["choice"] for p in live_positions]
    if not hand and len(live) > signed_in:
        pass  # reported above; the rules would refuse to tally it
    elif kind == "motion":
        counts = None if hand else {c: sum(1 for x in live if x == c) for c in CHOICES}
        _check_motion_result(result, counts, signed_in, entitled, threshold, problems, hand)
    else:
        tallies = {nid: {c: 0 for c in CHOICES} for nid in nominee_ids}
        for choice in live:
            for key, value in choice.items():
                tallies[int(key)][value] += 1
        _check_appointment_result(result, poll, tallies, len(live), signed_in, entitled, threshold, problems, hand)

    # 3. The server's signature.
    key = data.get("server_public_key")
    if server_key is not None and key != server_key:
        problems.add(f"导出文件中的服务器公钥 {key!r} 不是公布的公钥 {server_key!r}",
                     f"server key {key!r} is not the published key {server_key!r}")
    message = result_message(meeting_id, poll_id, head, length, result)
    if not ed25519_ok(key, data.get("result_signature"), message):
        problems.add("服务器对结果的签名无效", "the server's result signature does not verify")


def _check_chain(data, entries, meeting_id, poll_id, kind, anonymous, allow_change, nominee_ids, problems):
    """Returns (positions of live entries, number of entries)."""
    device_keys = data.get("device_keys")
    if anonymous:
        if device_keys:
            problems.add("无记名表决的导出不应含设备公钥", "anonymous export carries device keys")
    elif not isinstance(device_keys, dict):
        problems.add("记名表决的导出缺少设备公钥", "named export has no device_keys")
        device_keys = {}
    prev = genesis_hash(meeting_id, poll_id)
    superseded = {}  # position -> position that replaced it
    secrets = set()
    live_member = {}  # named: member -> live position
    members = {}  # position -> member (named)
    n = len(entries)
    for index, entry in enumerate(entries, start=1):
        where = f"第 {index} 条记录"
        where_en = f"entry {index}"
        if not isinstance(entry, dict):
            problems.add(f"{where}不是对象", f"{where_en} is not an object")
            prev = None
            continue
        position = entry.get("position")
        if position != index:
            problems.add(f"{where}的序号为 {position!r}，应为 {index}",
                         f"{where_en} has position {position!r}, expected {index}")
        if entry.get("prev_hash") != prev:
            if index == 1:
                problems.add(f"{where}的前序哈希不是创世哈希", f"{where_en}: prev_hash is not the genesis hash")
            else:
                problems.add(f"{where}的前序哈希与第 {index - 1} 条的哈希不相连",
                             f"{where_en}: prev_hash does not link to entry {index - 1}")
        choice, secret = entry.get("choice"), entry.get("secret_hash")
        member, device, signature = entry.get("member"), entry.get("device"), entry.get("signature")
        supersedes = entry.get("supersedes")
        valid_choice = _valid_choice(kind, choice, nominee_ids)
        if not valid_choice:
            problems.add(f"{where}的选项 {choice!r} 无效", f"{where_en}: invalid choice {choice!r}")
        if not isinstance(secret, str) or not HEX64.match(secret):
            problems.add(f"{where}的秘密哈希格式无效", f"{where_en}: secret_hash is not 64 hex digits")
        elif secret in secrets:
            problems.add(f"{where}的秘密哈希与前面的记录重复", f"{where_en}: secret_hash repeats an earlier entry")
        secrets.add(secret)
        if anonymous:
            if member is not None or device is not None or signature not in ("", None):
                problems.add(f"{where}：无记名表决的记录含有代表、设备或签名",
                             f"{where_en}: anonymous entry names a member, device or signature")
        else:
            if not is_count(member) or not isinstance(device, str) or not isinstance(signature, str):
                problems.add(f"{where}：记名表决的记录缺少代表、设备或签名", f"{where_en}: named entry lacks member, device or signature")
            elif not valid_choice or device not in device_keys:
                if device not in device_keys:
                    problems.add(f"{where}：没有设备 {device} 的公钥", f"{where_en}: no public key for device {device}")
            else:
                message = ballot_message(meeting_id, poll_id, secret, choice_text(kind, choice))
                if not ed25519_ok(device_keys[device], signature, message):
                    problems.add(f"{where}的设备签名无效", f"{where_en}: device signature does not verify")
            members[index] = member
        if supersedes is not None:
            if not allow_change:
                problems.add(f"{where}替换了第 {supersedes!r} 条，但本表决不允许改票",
                             f"{where_en} supersedes {supersedes!r} but the poll does not allow changes")
            if not is_count(supersedes) or not 1 <= supersedes < index:
                problems.add(f"{where}替换的 {supersedes!r} 不是更早的记录",
                             f"{where_en}: supersedes {supersedes!r} is not an earlier entry")
            elif supersedes in superseded:
                problems.add(f"{where}替换的第 {supersedes} 条已被第 {superseded[supersedes]} 条替换",
                             f"{where_en}: entry {supersedes} was already superseded by entry {superseded[supersedes]}")
            else:
                superseded[supersedes] = index
                if not anonymous and members.get(supersedes) != member:
                    problems.add(f"{where}替换了另一位代表的选票（第 {supersedes} 条）",
                                 f"{where_en} supersedes entry {supersedes}, another member's ballot")
        if not anonymous and is_count(member):
            earlier = live_member.get(member)
            if earlier is not None and earlier != supersedes:
                problems.add(f"{where}：代表 {member} 已有有效选票（第 {earlier} 条）",
                             f"{where_en}: member {member} already has a live ballot (entry {earlier})")
            live_member[member] = index
        if valid_choice and isinstance(secret, str) and isinstance(prev, str) and is_count(position):
            text = choice_text(kind, choice)
            digest = sha256_hex(entry_bytes(poll_id, position, prev, text, secret, supersedes,
                                            member, device, signature))
            if entry.get("entry_hash") != digest:
                problems.add(f"{where}的哈希与内容不符", f"{where_en}: entry_hash does not match its content")
        elif entry.get("entry_hash") is None:
            problems.add(f"{where}缺少哈希", f"{where_en}: entry_hash missing")
        prev = entry.get("entry_hash")
    live = [p for p in range(1, n + 1) if p not in superseded and isinstance(entries[p - 1], dict)
            and _valid_choice(kind, entries[p - 1].get("choice"), nominee_ids)]
    return live, n


# --- the report -------------------------------------------------------------------------------

def summary(data):
    """A few lines describing what the export claims (whether or not it verifies)."""
    lines = []
    try:
        meeting, poll, result = data["meeting"], data["poll"], data["result"]
        lines.append(f"会议 Meeting {meeting.get('id')}：{meeting.get('title', '')}")
        secrecy = "无记名 anonymous" if poll.get("anonymous") else "记名 named"
        kind = {"motion": "议案表决 motion", "appointment": "人事任免 appointment"}.get(poll.get("kind"), poll.get("kind"))
        lines.append(f"表决 Poll {poll.get('id')}：{poll.get('title', '')}（{kind}，{secrecy}）")
        lines.append(f"规则 Rule：{result.get('rule', '')}")
        lines.append(f"应到 entitled {data.get('entitled')}  实到 signed in {data.get('signed_in')}  "
                     f"投票人数 turnout {data.get('turnout')}  记录 entries {data.get('length')}")
        if poll.get("kind") == "motion":
            lines.append(f"赞成 for {result.get('for')}  反对 against {result.get('against')}  "
                         f"弃权 abstain {result.get('abstain')}  未按 not voted {result.get('not_voted')}  "
                         f"→ {'通过 PASSED' if result.get('passed') else '未通过 NOT PASSED'}")
        else:
            for row in result.get("nominees", []):
                lines.append(f"  {row.get('name', row.get('nominee'))}：赞成 {row.get('for')} 反对 {row.get('against')} "
                             f"弃权 {row.get('abstain')} 未按 {row.get('not_voted')} → "
                             f"{'通过 PASSED' if row.get('passed') else '未通过 NOT PASSED'}")
        lines.append(f"链头 Head：{data.get('head') or '（空 empty）'}")
        lines.append(f"服务器公钥 Server key：{data.get('server_public_key')}")
        if result.get("hand_counted"):
            lines.append(f"人工计票（录入：{result.get('entered_by', '')}）：只能核验服务器签名与通过规则 / "
                         "hand count: only the server's signature and the pass rule can be checked")
        elif poll.get("anonymous"):
            lines.append("无记名表决：选票资格由服务器在收票时核验，记录中不含设备签名 / anonymous poll: "
                         "eligibility was checked by the server at intake; the log holds no device signatures")
    except (KeyError, TypeError, AttributeError):
        lines.append("（无法读取摘要 / summary unavailable）")
    return lines


def _receipt(text):
    position, _, digest = text.partition(":")
    if not position.isdigit() or not HEX64.match(digest):
        raise argparse.ArgumentTypeError("POSITION:ENTRY_HASH, e.g. 12:3f9a…")
    return int(position), digest


def main(argv=None):
    parser = argparse.ArgumentParser(description="Verify a Huitang ballot-log export (会堂表决记录核验).")
    parser.add_argument("export", help="the poll's log.json")
    parser.add_argument("--server-key", help="the server's public key as published (base64url); "
                                             "without it the key inside the export is trusted")
    parser.add_argument("--receipt", action="append", type=_receipt, default=[],
                        help="POSITION:ENTRY_HASH from a tablet's receipt: check it is in the log")
    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # a console that cannot show Chinese still gets the report
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    try:
        with open(args.export, "rb") as f:
            data = json.loads(f.read().decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        print(f"无法读取导出文件 / cannot read the export: {exc}", file=sys.stderr)
        return 2
    problems = verify(data, server_key=args.server_key, receipts=args.receipt)
    print("会堂表决记录核验 / Huitang ballot log verification")
    for line in summary(data):
        print(line)
    if args.server_key is None:
        print("注意：未指定 --server-key，使用了导出文件自带的服务器公钥 / "
              "note: no --server-key given; the key inside the export was used")
    if problems:
        print(f"核验未通过，发现 {len(problems)} 处问题 / FAILED: {len(problems)} problem(s)")
        for p in problems:
            print(f"  ✘ {p}")
        return 1
    print("核验通过 / OK: chain, signatures and tally all check out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
