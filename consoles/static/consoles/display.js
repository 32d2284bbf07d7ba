/* A hall display: whatever the console puts on it, large. No controls.
 * While a poll is open or paused the vote panel shows whatever the mode: the question, the
 * countdown and how many have voted, never who voted how. Results appear in the "results" mode
 * once announced (the console switches the displays there when a vote opens). */
(() => {
  "use strict";
  const {t, el, setText} = Hall;
  const $ = (selector) => document.querySelector(selector);
  const MODES = ["welcome", "agenda", "message", "signin", "results"];
  let lastState = null;

  /** Shorter messages get bigger type; a long one still fits the screen. */
  function messageSize(text) {
    const n = [...text].length;
    if (n <= 8) return "9vw";
    if (n <= 20) return "7vw";
    if (n <= 50) return "5vw";
    if (n <= 120) return "3.6vw";
    if (n <= 260) return "2.7vw";
    return "2.1vw";
  }

  /** Long questions get smaller type so the countdown and the figures stay on screen. */
  function titleSize(text, big) {
    const n = [...(text || "")].length;
    if (n <= 16) return big ? "4.4vw" : "3.6vw";
    if (n <= 30) return big ? "3.6vw" : "3vw";
    if (n <= 60) return "2.6vw";
    return "2vw";
  }

  function effectiveMode(state) {
    const poll = state.poll;
    if (poll && (poll.state === "open" || poll.state === "paused")) return "vote";
    const display = state.display || {mode: "welcome"};
    return MODES.includes(display.mode) ? display.mode : "welcome";
  }

  // ---- a vote in progress ------------------------------------------------------------------------

  function renderVote(state) {
    const poll = state.poll;
    const panel = $("[data-panel=vote]");
    panel.dataset.state = poll.state;
    setText("#vote-kicker", poll.state === "paused" ? t("vote_paused") : t("vote_open"));
    const title = $("#vote-title");
    title.textContent = poll.title;
    title.style.fontSize = titleSize(poll.title, true);
    setText("#vote-rule", poll.threshold);
    const progress = PollView.progress(state) || {voted: 0, signed_in: 0, entitled: 0};
    setText("#vote-voted", progress.voted);
    setText("#vote-signed", progress.signed_in);
    setText("#vote-entitled", progress.entitled);
    const share = progress.signed_in ? Math.min(100, (100 * progress.voted) / progress.signed_in) : 0;
    $("#vote-bar").style.width = `${share}%`;
    tick();
  }

  function tick() {
    const poll = lastState && lastState.poll;
    if (!poll || (poll.state !== "open" && poll.state !== "paused")) return;
    const seconds = PollView.remaining(poll);
    const clock = $("#vote-clock");
    clock.dataset.state = poll.state;
    clock.dataset.low = seconds !== null && seconds <= 10 && poll.state === "open" ? "yes" : "no";
    clock.dataset.none = seconds === null ? "yes" : "no";
    clock.textContent = seconds === null ? t("no_countdown") : PollView.clock(seconds);
  }

  // ---- results ------------------------------------------------------------------------------------

  function countsList(result) {
    return el("dl", {class: "dresult__counts"}, ...PollView.counts(result).map(([key, label, value]) =>
      el("div", {class: `dresult__count dresult__count--${key}`}, el("dt", {text: label}),
        el("dd", {dataset: {count: key}, text: String(value ?? "—")}))));
  }

  function renderResult(state) {
    const poll = state.poll;
    const panel = $("[data-panel=results]");
    const body = $("#result-body");
    const title = $("#result-title");
    const status = !poll ? "none" : poll.state === "announced" && poll.result ? "announced" : poll.state;
    panel.dataset.status = status;
    $("#result-kicker").textContent = t("result_title");
    title.textContent = poll ? poll.title : "";
    title.style.fontSize = titleSize(poll ? poll.title : "", false);
    if (status !== "announced") {
      const text = status === "closed" ? t("result_waiting") : status === "cancelled" ? t("result_cancelled") : t("result_none");
      body.replaceChildren(el("p", {class: "dresult__waiting", text}));
      return;
    }
    const result = poll.result;
    const parts = [];
    if (poll.kind === "appointment") {
      const rows = result.nominees || [];
      const head = el("tr", {}, ...["nominee", "post", "choice.for", "choice.against", "choice.abstain",
        "choice.not_voted", "verdict"].map((k) => el("th", {scope: "col", text: t(k)})));
      const table = el("table", {class: "dresult__table", dataset: {rows: rows.length}},
        el("thead", {}, head),
        el("tbody", {}, rows.map((n) => el("tr", {dataset: {nominee: n.nominee, passed: n.passed ? "yes" : "no"}},
          el("th", {scope: "row", text: n.name}), el("td", {text: n.post || ""}),
          el("td", {text: String(n.for)}), el("td", {text: String(n.against)}),
          el("td", {text: String(n.abstain)}), el("td", {text: String(n.not_voted)}),
          el("td", {}, el("strong", {class: "dresult__word", dataset: {passed: n.passed ? "yes" : "no"},
            text: PollView.passedLabel(n.passed)}))))));
      table.style.fontSize = rows.length > 8 ? "1.5vw" : rows.length > 5 ? "1.9vw" : "2.4vw";
      parts.push(table);
      parts.push(el("p", {class: "dresult__rule"}, result.rule || poll.threshold, " · ",
        t("result_figures_short", {entitled: result.entitled, signed_in: result.signed_in})));
    } else {
      parts.push(el("p", {class: "dresult__verdict", id: "result-verdict", dataset: {passed: result.passed ? "yes" : "no"},
        text: PollView.passedLabel(result.passed)}));
      parts.push(countsList(result));
      parts.push(el("p", {class: "dresult__rule"}, result.rule || poll.threshold, " · ",
        t("result_figures", {entitled: result.entitled, signed_in: result.signed_in, required: result.required})));
    }
    body.replaceChildren(...parts);
    if (result.hand_counted) $("#result-kicker").append(el("span", {class: "dresult__hand", text: t("hand_counted")}));
  }

  // ---- the screen ----------------------------------------------------------------------------------

  function render(state) {
    const meeting = state.meeting;
    if (!meeting) return;
    lastState = state;
    const display = state.display || {mode: "welcome", text: ""};
    const mode = effectiveMode(state);
    $("#screen").dataset.mode = mode;
    for (const panel of document.querySelectorAll("[data-panel]")) panel.hidden = panel.dataset.panel !== mode;

    setText("#meeting-title", meeting.title);
    setText("[data-bind=title]", meeting.title);
    setText("[data-bind=body]", meeting.body);
    setText("[data-bind=venue]", meeting.venue);
    setText("[data-bind=starts]", Hall.formatDateTime(meeting.starts_at));
    document.title = meeting.title;

    $("#agenda").replaceChildren(Hall.agendaList(state));

    const message = $("#message-text");
    message.textContent = mode === "message" ? display.text : "";
    message.style.fontSize = messageSize(message.textContent);

    if (window.HuitangSignin && state.attendance) {
      HuitangSignin.renderDisplay(state, $("#signin-figures"));
      HuitangSignin.colourSeats(state, $("#display-seatmap"));
    }
    if (mode === "vote") renderVote(state);
    renderResult(state);
  }

  /** The refusal line at the top of the screen, for a display that cannot connect at all. */
  function showProblem(text, code) {
    const alert = $("#hall-alert");
    alert.textContent = text;
    alert.dataset.code = code;
    alert.hidden = false;
    for (const node of document.querySelectorAll("[data-hall-status]")) {
      node.dataset.state = "refused";
      node.textContent = t("refused");
    }
  }

  async function start() {
    setInterval(tick, 250);
    let options;
    try {
      options = await HuitangDevice.connectOptions("display", Number(document.body.dataset.meeting));
    } catch (error) {
      showProblem(error.message, error.code || "unsupported");
      return;
    }
    if (!options) {
      showProblem(t("unpaired"), "unpaired");
      return;
    }
    HuitangDevice.keepPresence(Hall.boot(render, options));
  }

  start();
})();
