/* What the console and the hall displays both show of a poll: the countdown, the live figures and
 * the result. Pure helpers over the hall state (docs/protocol.md, "Voting"); needs hall.js first.
 *
 *   PollView.remaining(poll)       seconds left (open: to closes_at; paused: as frozen) or null
 *   PollView.clock(seconds)        "01:05", "1:02:03"
 *   PollView.counts(result)        [[key, label, value], …] for a motion: 赞成, 反对, 弃权, 未按
 *   PollView.passedLabel(passed)   通过 / 未通过
 */
(() => {
  "use strict";
  const {t} = Hall;

  const serverNow = () => Hall.serverNow();  // hall.js keeps the estimate (snapshots, pongs)

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

  window.PollView = {remaining, clock, counts, passedLabel, progress, serverNow};
})();
