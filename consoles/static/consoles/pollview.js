/* What the console and the hall displays both show of a poll: the countdown, the live figures and
 * the result. Pure helpers over the hall state (docs/protocol.md, "Voting"); needs hall.js first.
 *
 *   PollView.remaining(poll)       seconds left (open: to closes_at; paused: as frozen) or null
 *   PollView.clock(seconds)        "01:05", "1:02:03"
 *   PollView.watch(state, cause)   call from render: keeps an estimate of the server's clock
 *   PollView.counts(result)        [[key, label, value], …] for a motion: 赞成, 反对, 弃权, 未按
 *   PollView.passedLabel(passed)   通过 / 未通过
 */
(() => {
  "use strict";
  const {t} = Hall;

  // The server's clock as this page estimates it: client time minus `skew` (ms). Timestamps in
  // the state are the server's; a display whose own clock is off would count down wrong. The
  // state carries no server time, so the skew is measured when a poll is seen to open or resume
  // live (the event leaves the server at opened_at, or at closes_at − the remaining time).
  let skew = 0;
  const seen = new Map();  // poll id → {state, remaining} last rendered

  function serverNow() {
    return Date.now() - skew;
  }

  function watch(state, cause) {
    const poll = state && state.poll;
    if (!poll) return;
    const before = seen.get(poll.id);
    seen.set(poll.id, {state: poll.state, remaining: poll.remaining_at_pause});
    const live = cause && cause.kind === "event" && cause.event && cause.event.kind === "poll.changed";
    if (!live || poll.state !== "open" || (before && before.state === "open")) return;
    let sentAt = null;
    if (before && before.state === "paused") {
      if (poll.closes_at && typeof before.remaining === "number") {
        sentAt = Date.parse(poll.closes_at) - before.remaining * 1000;
      }
    } else {
      sentAt = Date.parse(poll.opened_at);  // it has just opened
    }
    if (Number.isFinite(sentAt)) {
      const measured = Date.now() - sentAt;
      skew = Math.abs(measured) > 1500 ? measured : 0;  // below that it is network latency
    }
  }

  function remaining(poll) {
    if (!poll) return null;
    if (poll.state === "paused") {
      return typeof poll.remaining_at_pause === "number" ? Math.max(0, poll.remaining_at_pause) : null;
    }
    if (poll.state !== "open" || !poll.closes_at) return null;
    const closes = Date.parse(poll.closes_at);
    if (!Number.isFinite(closes)) return null;
    return Math.max(0, (closes - serverNow()) / 1000);
  }

  function clock(seconds) {
    if (seconds === null || seconds === undefined) return "";
    const whole = Math.ceil(seconds);
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    const s = whole % 60;
    const pad = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
  }

  const CHOICES = [["for", "赞成"], ["against", "反对"], ["abstain", "弃权"], ["not_voted", "未按"]];

  function counts(result) {
    return CHOICES.map(([key, label]) => [key, t(`choice.${key}`, null, label), result ? result[key] : null]);
  }

  function passedLabel(passed) {
    return passed ? t("passed", null, "通过") : t("failed", null, "未通过");
  }

  /** The poll's progress figures when they belong to this poll, else zeros from nothing. */
  function progress(state) {
    const poll = state && state.poll;
    const p = state && state.poll_progress;
    if (!poll || !p || p.poll !== poll.id) return null;
    return p;
  }

  window.PollView = {remaining, clock, watch, counts, passedLabel, progress, serverNow,
    get skew() { return skew; }};
})();
