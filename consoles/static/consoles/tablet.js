/* A delegate's tablet: who I am, where the meeting is, what is being discussed now, and the vote.
 *
 * A paired tablet connects with the key it holds (device.js) and answers the socket's challenge;
 * an unbound tablet asks the member who they are (identify): the personal code of their badge,
 * read by the camera or typed by a hand/USB scanner, or their number and PIN. Ballots are signed here
 * (docs/protocol.md, "Voting"): a random secret S, its hash, the choice, and the device's Ed25519
 * signature over huitang-ballot-v1. The ballot waits in localStorage until the server has stored
 * it, and is resent unchanged (same secret, same signature: the server answers a resend with the
 * same receipt) after a dropped connection or a reload.
 */
(() => {
  "use strict";
  const {t, el, setText} = Hall;
  const $ = (selector) => document.querySelector(selector);
  const body = document.body;
  const meetingId = Number(body.dataset.meeting);

  const CHOICES = ["for", "against", "abstain"];
  const RETRY_CODES = new Set(["offline", "timeout", "server_error"]);
  const STORE_PREFIX = "huitang:ballot:";
  const STORE_KEEP = 40;  // ballots remembered in this browser (receipts of recent polls)

  let hall = null;
  let device = null;  // this tablet's stored device: its key signs the challenge and the ballots
  let ui = freshUi(null);
  let lastVoteKey = null;
  let storeVersion = 0;
  const nonVoting = new Set();  // members the server refused with not_entitled (列席)
  const sending = new Set();  // "<poll>:<member>" with a send loop running

  function freshUi(pollId) {
    return {poll: pollId, step: "choose", pick: null, marks: {}, changing: false, error: null};
  }

  // ---- page modes: loading, problem (not paired, refused…), identify, member ----

  function setMode(mode) {
    body.dataset.mode = mode;
    const problem = mode === "problem";
    for (const node of document.querySelectorAll("#tablet > .card")) {
      if (node.id === "device-problem") node.hidden = !problem;
      else if (problem) node.hidden = true;
    }
    if (!problem) {
      $("#identify").hidden = mode !== "identify";
      $("#me-card").hidden = mode === "identify";
      for (const node of document.querySelectorAll(".tablet__current, .tablet__vote, .tablet__agenda")) {
        node.hidden = false;
      }
    }
  }

  function showProblem(title, text, help, code = "") {
    setText("#problem-title", title);
    setText("#problem-text", text);
    setText("#problem-help", help);
    $("#device-problem").dataset.code = code;
    setMode("problem");
  }

  function setPill(state, text) {
    body.dataset.connection = state;
    for (const node of document.querySelectorAll("[data-hall-status]")) {
      node.dataset.state = state;
      node.textContent = text;
    }
  }

  function onStatus(status, client) {
    if (status !== "refused") return;
    const refusal = client.refusal || {code: "", message: t("refused")};
    const code = refusal.code || "";
    if (code === "device_revoked") {
      // The server's own words are in the alert above; the card says what to do.
      showProblem(t("problem.device_revoked"), "", t("problem.device_revoked_help"), code);
    } else if (code === "unknown_device" || code === "bad_signature" || code === "wrong_role") {
      showProblem(t("problem.unknown_device"), refusal.message, t("problem.repair_help"), code);
    } else {
      showProblem(t("problem.refused"), refusal.message, t("problem.staff_help"), code);
    }
  }

  // ---- rendering ----

  function render(state, client) {
    const meeting = state.meeting;
    if (!meeting || body.dataset.mode === "problem") return;
    setText("#meeting-title", meeting.title);
    setText("[data-bind=meeting-title]", meeting.title);
    const badge = $("#meeting-state");
    badge.dataset.state = meeting.state;
    badge.textContent = Hall.stateLabel(meeting);

    const me = state.me;
    setMode(me ? "member" : "identify");
    if (me && camera) stopCamera();
    if (me) {
      setText("#me-name", me.name);
      setText("#me-delegation", me.delegation || "—");
      setText("#me-seat", me.seat || "—");
      setText("#me-number", me.number || "—");
    }
    renderSignin(state, client);

    const item = Hall.currentItem(state);
    $("#current-item").hidden = !item;
    $("#current-none").hidden = !!item;
    if (item) {
      setText("#current-order", t("item_order", {n: item.order}));
      setText("#current-title", item.title);
    } else {
      setText("#current-none", meeting.state === "scheduled" ? t("not_started")
        : meeting.state === "closed" ? t("ended") : t("no_current"));
    }
    $("#agenda").replaceChildren(Hall.agendaList(state));

    const mine = (state.my_notices || []).map((n) => ({...n, mine: true}));
    const notices = [...mine, ...(state.notices || [])].sort((a, b) => (a.at < b.at ? 1 : -1));
    $("#notices-card").hidden = !notices.length;
    $("#notices").replaceChildren(...notices.map((n) => el("li", {},
      n.mine ? el("span", {class: "to-me", text: t("to_me")}) : null,
      n.text,
      el("time", {datetime: n.at, text: Hall.formatDateTime(n.at)}))));

    renderVote(state);
    tidyBallots(state);
    resumePending(state);
  }

  function redraw() {
    if (hall && hall.state) renderVote(hall.state, true);
  }

  /** After a step that replaces a long list (the nominees), bring the vote's top back into view. */
  function showVoteTop() {
    const card = $("#vote-card");
    if (card && card.getBoundingClientRect().top < 0) card.scrollIntoView({block: "start"});
  }

  // ---- sign-in (签到): the panel of signin/static/signin/signin.js, and a shortcut beside the vote ----

  function signedIn(state) {
    return !!state.my_attendance && state.my_attendance.status === "signed_in";
  }

  function renderSignin(state, client) {
    const card = $("#signin-card");
    if (window.HuitangSignin && state.me) {
      HuitangSignin.renderTablet(state, card, client);
    } else {
      card.hidden = true;
    }
  }

  /** The vote's "sign in first" button: the same request as the panel's 签到. */
  async function tap(button) {
    if (!hall) return;
    button.disabled = true;
    const reply = await hall.request("signin.tap");
    button.disabled = false;
    ui.error = reply.type === "ok" ? null : (reply.message || reply.code);
    redraw();
  }

  // ---- identify (an unbound tablet: 代表证号 + PIN) ----

  let keypadTarget = null;

  function setupIdentify() {
    const number = $("#identify-number");
    const pin = $("#identify-pin");
    keypadTarget = number;
    for (const input of [number, pin]) input.addEventListener("focus", () => { keypadTarget = input; });
    for (const key of document.querySelectorAll(".keypad__key")) {
      key.addEventListener("pointerdown", (event) => event.preventDefault());  // keep the field's focus
      key.addEventListener("click", () => {
        const input = keypadTarget || number;
        const value = key.dataset.key;
        if (value === "clear") input.value = "";
        else if (value === "back") input.value = input.value.slice(0, -1);
        else if (input.value.length < Number(input.maxLength || 32)) input.value += value;
        input.dispatchEvent(new Event("input"));
      });
    }
    number.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); pin.focus(); }
    });
    $("#identify-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = $("#identify-error");
      const submit = $("#identify-submit");
      const numberText = number.value.trim();
      if (!numberText || !pin.value) {
        error.textContent = t("identify.missing");
        error.hidden = false;
        (numberText ? pin : number).focus();
        return;
      }
      if (!hall) return;
      submit.disabled = true;
      const label = submit.textContent;
      submit.textContent = t("identify.working");
      const reply = await hall.request("identify", {number: numberText, pin: pin.value});
      submit.disabled = false;
      submit.textContent = label;
      pin.value = "";
      if (reply.type === "ok") {
        number.value = "";
        error.hidden = true;
        return;
      }
      error.textContent = t(`identify.${reply.code}`, null, reply.message);
      error.dataset.code = reply.code;
      error.hidden = false;
      pin.focus();
    });
  }

  // ---- identify by the badge's personal code (代表码): a hand/USB scanner or the camera ----

  let camera = null;  // {stream, detector} while the camera looks for a code
  let codeBusy = false;

  function codeProblem(key, code = "", fallback = undefined) {
    const error = $("#identify-code-error");
    error.textContent = t(key, null, fallback);
    error.dataset.code = code;
    error.hidden = false;
  }

  async function identifyByCode(value) {
    const input = $("#identify-code");
    const error = $("#identify-code-error");
    const code = (value || "").trim();
    if (!code) {
      codeProblem("identify.code_missing", "empty_code");
      input.focus();
      return;
    }
    if (!hall || codeBusy) return;
    codeBusy = true;
    $("#identify-code-submit").disabled = true;
    const reply = await hall.request("identify", {code});
    codeBusy = false;
    $("#identify-code-submit").disabled = false;
    input.value = "";  // a code is never kept on the page
    if (reply.type === "ok") {
      error.hidden = true;
      return;
    }
    codeProblem(`identify.${reply.code}`, reply.code, reply.message || reply.code);
  }

  async function cameraSupported() {
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return false;
    try {
      return (await window.BarcodeDetector.getSupportedFormats()).includes("qr_code");
    } catch (_) {
      return false;
    }
  }

  function stopCamera() {
    if (camera) camera.stream.getTracks().forEach((track) => track.stop());
    camera = null;
    $("#identify-video").hidden = true;
    $("#identify-camera").textContent = t("identify.camera");
  }

  async function startCamera() {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false});
    } catch (_) {
      codeProblem("identify.camera_error", "camera");
      return;
    }
    camera = {stream, detector: new window.BarcodeDetector({formats: ["qr_code"]})};
    const video = $("#identify-video");
    video.srcObject = stream;
    video.hidden = false;
    $("#identify-camera").textContent = t("identify.camera_stop");
    $("#identify-code-error").hidden = true;
    await video.play().catch(() => {});
    const watching = camera;
    const look = async () => {
      if (camera !== watching) return;
      try {
        const found = await watching.detector.detect(video);
        const read = found.find((code) => code.rawValue);
        if (read && camera === watching) {
          // One try per scan: the camera stops, so a refused code is not sent again and again
          // (each refusal counts toward the lockout); the member presses the button to try again.
          stopCamera();
          identifyByCode(read.rawValue);
          return;
        }
      } catch (_) { /* a frame the detector could not read */ }
      setTimeout(look, 200);
    };
    look();
  }

  function setupCodeIdentify() {
    const input = $("#identify-code");
    $("#identify-code-form").addEventListener("submit", (event) => {
      event.preventDefault();
      identifyByCode(input.value);
    });
    const button = $("#identify-camera");
    cameraSupported().then((ok) => { button.hidden = !ok; });
    button.addEventListener("click", () => (camera ? stopCamera() : startCamera()));
    // A USB or hand scanner types like a keyboard: on the identify screen, keys typed while no
    // field has focus go to the code field (a touch tablet shows no keyboard until then).
    document.addEventListener("keydown", (event) => {
      if (body.dataset.mode !== "identify" || event.ctrlKey || event.metaKey || event.altKey) return;
      const active = document.activeElement;
      if (active && active !== document.body && active.matches("input, textarea, select")) return;
      if (event.key.length === 1) input.focus();
    });
  }

  // ---- the vote ----

  const ACTIVE = new Set(["open", "paused", "closed"]);

  function myVote(state, poll) {
    const mine = state.my_vote;
    return mine && mine.poll === poll.id ? mine : null;
  }

  function renderVote(state, force = false) {
    const poll = state.poll || null;
    const tablet = $("#tablet");
    tablet.dataset.vote = poll && ACTIVE.has(poll.state) ? "active" : poll ? "shown" : "idle";
    if (poll && ui.poll !== poll.id) ui = freshUi(poll.id);
    const me = state.me || null;
    const stored = poll && me ? loadBallot(poll.id, me.id) : null;
    const key = JSON.stringify([poll, myVote(state, poll || {}), me && me.id, state.my_attendance, ui,
      storeVersion, stored && stored.state, nonVoting.has(me && me.id), !!device]);
    if (!force && key === lastVoteKey) return;
    lastVoteKey = key;
    const area = $("#vote-area");
    area.replaceChildren(...voteView(state, poll, me, stored).filter(Boolean));
    tick();
  }

  function calm(title, hint, extra = "") {
    return el("div", {class: `vote-calm ${extra}`.trim()},
      el("strong", {text: title}), hint ? el("span", {text: hint}) : null);
  }

  function note(text, kind = "info", ...rest) {
    return el("div", {class: `vote-note vote-note--${kind}`, id: "vote-note", role: "status"}, el("p", {text}), ...rest);
  }

  function voteHead(poll) {
    const kind = t(`vote.kind.${poll.kind}`, null, poll.kind);
    const secrecy = poll.anonymous ? t("vote.anonymous") : t("vote.named");
    return el("div", {class: "vote__head"},
      el("div", {class: "vote__headtext"},
        el("p", {class: "vote__meta"}, el("span", {class: "vote__tag", text: kind}),
          el("span", {class: "vote__tag vote__tag--plain", text: secrecy}),
          poll.threshold ? el("span", {class: "vote__rule", text: poll.threshold}) : null),
        el("h3", {class: "vote__title", id: "vote-title", text: poll.title})),
      el("div", {class: "vote__clock", id: "vote-clock", dataset: {state: poll.state}, hidden: true},
        el("span", {class: "vote__clock-label", text: t("vote.remaining")}),
        el("span", {class: "vote__clock-time", id: "vote-clock-time"})));
  }

  function voteView(state, poll, me, stored) {
    if (!poll) return [calm(t("vote.none"), t("vote.none_hint"))];
    const head = voteHead(poll);
    if (poll.state === "cancelled") return [head, calm(t("vote.cancelled"), "", "vote-calm--muted")];
    if (poll.state === "announced") return [head, resultView(poll)];
    const mine = myVote(state, poll);
    const voted = !!(mine && mine.voted);
    if (poll.state === "closed") {
      return [head, el("div", {class: "vote-state vote-state--closed", id: "vote-state"},
        el("p", {class: "vote-state__title", text: t("vote.closed")}),
        voted ? votedLine(poll, mine, stored) : null)];
    }
    if (poll.state === "paused") {
      return [head, el("div", {class: "vote-state vote-state--paused", id: "vote-state"},
        el("p", {class: "vote-state__title", text: t("vote.paused")}),
        el("p", {class: "vote-state__hint", text: t("vote.paused_hint")}),
        voted ? votedLine(poll, mine, stored) : null)];
    }
    // open
    if (!me) return [head, note(t("vote.unbound"))];
    // A non-voting attendee (列席) gets no buttons; the server's not_entitled refusal is the backstop.
    if (nonVoting.has(me.id) || me.voting === false) {
      return [head, note(t("vote.not_entitled"))];
    }
    if (stored && stored.state === "sending") {
      return [head, el("div", {class: "vote-sending", id: "vote-sending", role: "status"},
        el("div", {class: "vote-sending__spinner", "aria-hidden": "true"}),
        el("p", {text: t(stored.retrying ? "vote.retrying" : "vote.sending")}))];
    }
    if (voted && !ui.changing) return [head, recordedView(poll, mine, stored)];
    if (!signedIn(state)) {
      const window_ = (state.attendance && state.attendance.window) || {};
      return [head, note(t("vote.not_signed_in"), "warn",
        ui.error ? el("p", {class: "vote-error", id: "vote-error", role: "alert", text: ui.error}) : null,
        window_.state === "not_started" ? null : el("button", {type: "button", class: "btn btn--primary btn--big",
          id: "vote-signin", text: t("vote.signin"), onclick: (event) => tap(event.currentTarget)}))];
    }
    if (!device) return [head, note(t("vote.no_key"), "warn")];
    const error = ui.error ? el("p", {class: "vote-error", id: "vote-error", role: "alert", text: ui.error}) : null;
    if (ui.step === "confirm") return [head, error, confirmView(poll, stored)];
    return [head, error, poll.kind === "appointment" ? nomineesView(poll) : motionView(poll)];
  }

  function choiceLabel(choice) {
    return t(`vote.${choice}`, null, choice);
  }

  function motionView() {
    return el("div", {class: "vote-choose"},
      el("p", {class: "vote-choose__prompt", text: t("vote.press")}),
      el("div", {class: "vote-buttons"}, CHOICES.map((choice) => el("button", {
        type: "button", class: `vote-btn vote-btn--${choice}`, dataset: {choice},
        onclick: () => { ui.pick = choice; ui.step = "confirm"; ui.error = null; redraw(); },
      }, choiceLabel(choice)))),
      ui.changing ? changeBack() : null);
  }

  function changeBack() {
    return el("button", {type: "button", class: "btn vote-choose__cancel", id: "vote-change-cancel", text: t("vote.back"),
      onclick: () => { ui = freshUi(ui.poll); redraw(); }});
  }

  function nomineesView(poll) {
    const rows = poll.nominees.map((nominee) => {
      const id = String(nominee.id);
      const marked = ui.marks[id] || null;
      return el("li", {class: "nominee", dataset: {nominee: id, marked: marked || ""}},
        el("div", {class: "nominee__who"},
          el("span", {class: "nominee__name", text: nominee.name}),
          nominee.post ? el("span", {class: "nominee__post", text: nominee.post}) : null),
        el("div", {class: "nominee__choices", role: "group", "aria-label": nominee.name}, CHOICES.map((choice) => el("button", {
          type: "button", class: `nominee__btn vote-btn--${choice}`, dataset: {choice},
          "aria-pressed": marked === choice ? "true" : "false",
          onclick: () => {
            if (ui.marks[id] === choice) delete ui.marks[id];  // a second press clears the mark
            else ui.marks[id] = choice;
            ui.error = null;
            redraw();
          },
        }, choiceLabel(choice)))));
    });
    return el("div", {class: "vote-choose vote-choose--nominees"},
      el("p", {class: "vote-choose__prompt", text: t("vote.press_nominees")}),
      el("ol", {class: "nominees"}, rows),
      el("div", {class: "vote-choose__actions"},
        ui.changing ? changeBack() : null,
        el("button", {type: "button", class: "btn btn--primary btn--big", id: "vote-submit", text: t("vote.submit"),
          onclick: () => {
            if (!Object.keys(ui.marks).length) {
              ui.error = t("vote.all_blank");
            } else {
              ui.pick = {...ui.marks};
              ui.step = "confirm";
              ui.error = null;
            }
            redraw();
            showVoteTop();
          }})));
  }

  function confirmView(poll, stored) {
    const back = el("button", {type: "button", class: "btn btn--big vote-confirm__back", id: "vote-back", text: t("vote.back"),
      onclick: () => { ui.step = "choose"; redraw(); }});
    const ok = (cls) => el("button", {type: "button", class: `btn btn--big vote-confirm__ok ${cls}`, id: "vote-confirm",
      text: t("vote.confirm"), onclick: (event) => {
        event.currentTarget.disabled = true;
        cast(poll, ui.pick, ui.changing ? stored : null);
      }});
    if (poll.kind === "appointment") {
      const rows = poll.nominees.map((nominee) => {
        const choice = ui.pick[String(nominee.id)];
        return el("li", {class: "confirm-row", dataset: {choice: choice || ""}},
          el("span", {class: "confirm-row__name", text: nominee.name}),
          el("span", {class: `confirm-row__choice ${choice ? `chip chip--${choice}` : "chip chip--blank"}`,
            text: choice ? choiceLabel(choice) : t("vote.blank")}));
      });
      return el("div", {class: "vote-confirm vote-confirm--nominees"},
        el("p", {class: "vote-confirm__question", id: "vote-confirm-question", text: t("vote.confirm_nominees")}),
        el("ul", {class: "confirm-rows"}, rows),
        el("div", {class: "vote-confirm__actions"}, back, ok("btn--primary")));
    }
    const question = ui.changing ? t("vote.confirm_change", {choice: choiceLabel(ui.pick)}) : t(`vote.confirm_${ui.pick}`);
    return el("div", {class: `vote-confirm vote-confirm--${ui.pick}`},
      el("p", {class: "vote-confirm__question", id: "vote-confirm-question", text: question}),
      el("div", {class: "vote-confirm__actions"}, back, ok(`vote-btn--${ui.pick}`)));
  }

  function choiceSummary(poll, choice) {
    if (choice === null || choice === undefined) return null;
    if (typeof choice === "string") return el("span", {class: `chip chip--${choice}`, text: choiceLabel(choice)});
    return el("ul", {class: "confirm-rows"}, poll.nominees.filter((n) => choice[String(n.id)]).map((n) =>
      el("li", {class: "confirm-row"}, el("span", {class: "confirm-row__name", text: n.name}),
        el("span", {class: `chip chip--${choice[String(n.id)]}`, text: choiceLabel(choice[String(n.id)])}))));
  }

  function receiptOf(mine, stored) {
    return (mine && mine.receipt) || (stored && stored.receipt) || null;
  }

  function receiptLine(receipt) {
    if (!receipt) return null;
    return el("p", {class: "vote-recorded__receipt", id: "vote-receipt", dataset: {position: receipt.position}},
      t("vote.receipt", {n: receipt.position}),
      receipt.entry_hash ? el("code", {class: "vote-recorded__hash", title: receipt.entry_hash,
        text: receipt.entry_hash.slice(0, 12)}) : null);
  }

  function recordedView(poll, mine, stored) {
    const receipt = receiptOf(mine, stored);
    const choice = poll.anonymous ? null : (mine.choice ?? (stored && stored.choice));
    const canChange = poll.allow_change && stored && stored.secret && stored.receipt;
    return el("div", {class: "vote-recorded", id: "vote-recorded", role: "status"},
      el("div", {class: "vote-recorded__mark", "aria-hidden": "true", text: "✓"}),
      el("div", {class: "vote-recorded__body"},
        el("p", {class: "vote-recorded__title", text: t("vote.recorded")}),
        poll.anonymous
          ? el("p", {class: "vote-recorded__text", text: t("vote.recorded_anonymous")})
          : el("div", {class: "vote-recorded__text"}, el("span", {text: t("vote.recorded_named")}), choiceSummary(poll, choice)),
        receiptLine(receipt),
        canChange ? el("div", {class: "vote-recorded__change"},
          el("button", {type: "button", class: "btn", id: "vote-change", text: t("vote.change"),
            onclick: () => { ui = {...freshUi(poll.id), changing: true}; redraw(); }}),
          el("span", {class: "muted small", text: t("vote.change_hint")})) : null));
  }

  function votedLine(poll, mine, stored) {
    const choice = poll.anonymous ? null : (mine.choice ?? (stored && stored.choice));
    return el("div", {class: "vote-state__voted", id: "vote-voted"},
      el("span", {class: "vote-state__check", "aria-hidden": "true", text: "✓"}),
      el("span", {text: t("vote.voted")}), choiceSummary(poll, choice), receiptLine(receiptOf(mine, stored)));
  }

  function resultView(poll) {
    const result = poll.result;
    if (!result) return calm(t("vote.closed"), "");
    const figures = (row) => el("dl", {class: "result-figures"}, ["for", "against", "abstain", "not_voted"].map((key) =>
      el("div", {class: `result-figure result-figure--${key}`},
        el("dt", {text: choiceLabel(key)}), el("dd", {text: String(row[key] ?? "—")}))));
    const verdict = (passed, extra = "") => el("span", {
      class: `verdict verdict--${passed ? "passed" : "failed"} ${extra}`.trim(),
      text: passed ? t("vote.passed") : t("vote.failed")});
    const parts = [];
    if (poll.kind === "appointment" && Array.isArray(result.nominees)) {
      parts.push(el("ol", {class: "result-nominees"}, result.nominees.map((row) => el("li", {class: "result-nominee"},
        el("div", {class: "result-nominee__who"}, el("span", {class: "nominee__name", text: row.name}),
          row.post ? el("span", {class: "nominee__post", text: row.post}) : null),
        figures(row), verdict(row.passed)))));
    } else {
      parts.push(el("div", {class: "result-motion"}, verdict(result.passed, "verdict--big"), figures(result)));
    }
    if (result.rule) parts.push(el("p", {class: "result-rule muted", text: result.rule}));
    if (result.hand_counted) parts.push(el("p", {class: "result-rule muted", text: t("vote.hand_counted")}));
    return el("div", {class: "vote-result", id: "vote-result"},
      el("p", {class: "vote-result__title", text: t("vote.announced")}), ...parts);
  }

  // ---- countdown ----

  function remaining(poll) {
    if (window.PollView) return PollView.remaining(poll);
    if (poll.state === "paused") return poll.remaining_at_pause ?? null;
    if (poll.state !== "open" || !poll.closes_at) return null;
    return Math.max(0, (Date.parse(poll.closes_at) - Hall.serverNow()) / 1000);
  }

  function clock(seconds) {
    if (window.PollView) return PollView.clock(seconds);
    const whole = Math.ceil(seconds);
    return `${String(Math.floor(whole / 60)).padStart(2, "0")}:${String(whole % 60).padStart(2, "0")}`;
  }

  function tick() {
    const box = $("#vote-clock");
    const poll = hall && hall.state && hall.state.poll;
    if (!box || !poll) return;
    const seconds = remaining(poll);
    box.hidden = seconds === null || seconds === undefined;
    if (box.hidden) return;
    setText("#vote-clock-time", clock(seconds));
    box.dataset.urgent = seconds <= 10 && poll.state === "open" ? "true" : "false";
  }

  // ---- ballots: sign, keep, send until stored ----

  function storeKey(pollId, memberId) {
    return `${STORE_PREFIX}${meetingId}:${pollId}:${memberId}`;
  }

  function loadBallot(pollId, memberId) {
    try {
      return JSON.parse(localStorage.getItem(storeKey(pollId, memberId)) || "null");
    } catch (_) {
      return null;
    }
  }

  function saveBallot(pollId, memberId, record) {
    try {
      localStorage.setItem(storeKey(pollId, memberId), JSON.stringify({...record, at: Date.now()}));
    } catch (_) { /* full or disabled: the ballot still goes out, it just is not kept */ }
    storeVersion += 1;
  }

  function dropBallot(pollId, memberId) {
    try { localStorage.removeItem(storeKey(pollId, memberId)); } catch (_) { /* nothing kept */ }
    storeVersion += 1;
  }

  function canonicalChoice(kind, choice) {
    if (kind === "motion") return choice;
    return Object.keys(choice).map(Number).sort((a, b) => a - b).map((id) => `${id}=${choice[String(id)]}`).join(",");
  }

  async function cast(poll, choice, replacing) {
    const me = hall.state.me;
    const secret = HuitangDevice.randomText(32);
    const secretHash = await HuitangDevice.sha256hex(`huitang-ballot-secret-v1\n${secret}`);
    const text = canonicalChoice(poll.kind, choice);
    const signature = await HuitangDevice.sign(device,
      `huitang-ballot-v1\nmeeting:${meetingId}\npoll:${poll.id}\nsecret:${secretHash}\nchoice:${text}`);
    const ballot = {poll: poll.id, secret_hash: secretHash, choice, signature};
    if (replacing) ballot.replaces = {position: replacing.receipt.position, secret: replacing.secret};
    // Kept before it is sent: a reload or a dropped socket resends exactly this ballot.
    saveBallot(poll.id, me.id, {state: "sending", anonymous: poll.anonymous, secret, ballot, previous: replacing || null});
    ui = freshUi(poll.id);
    redraw();
    showVoteTop();
    send(poll.id, me.id);
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function ready(memberId) {
    return hall && hall.status === "online" && !hall.awaitingSnapshot && hall.state && hall.state.me
      && hall.state.me.id === memberId;
  }

  async function send(pollId, memberId) {
    const key = `${pollId}:${memberId}`;
    if (sending.has(key)) return;
    sending.add(key);
    let attempt = 0;
    try {
      for (;;) {
        const record = loadBallot(pollId, memberId);
        if (!record || record.state !== "sending") return;
        if (!ready(memberId)) {
          if (hall && (hall.status === "refused" || (hall.status === "online" && hall.state
              && (!hall.state.me || hall.state.me.id !== memberId)))) {
            return;  // refused, or the tablet now serves someone else: resumed when they are back
          }
          await sleep(300);
          continue;
        }
        const reply = await hall.request("ballot.cast", record.ballot);
        if (reply.type === "ok") {
          const receipt = {position: reply.receipt.position, entry_hash: reply.receipt.entry_hash};
          // An anonymous ballot's choice is not kept on the tablet once the server has it.
          saveBallot(pollId, memberId, {state: "recorded", anonymous: record.anonymous, secret: record.secret, receipt,
            choice: record.anonymous ? undefined : record.ballot.choice});
          redraw();
          return;
        }
        if (RETRY_CODES.has(reply.code)) {
          if (!record.retrying) saveBallot(pollId, memberId, {...record, retrying: true});
          redraw();
          attempt += 1;
          await sleep(Math.min(5000, 400 * 2 ** Math.min(attempt, 4)));
          continue;
        }
        // A definitive refusal: nothing was stored. Back to the ballot that stands, if any.
        if (record.previous) saveBallot(pollId, memberId, record.previous);
        else dropBallot(pollId, memberId);
        if (reply.code === "not_entitled") nonVoting.add(memberId);
        ui = freshUi(pollId);
        ui.error = t("vote.error", {reason: reply.message || reply.code});
        redraw();
        return;
      }
    } finally {
      sending.delete(key);
    }
  }

  function resumePending(state) {
    const poll = state.poll;
    const me = state.me;
    if (!poll || !me || !device) return;
    const record = loadBallot(poll.id, me.id);
    if (record && record.state === "sending") send(poll.id, me.id);
  }

  /** Once a poll is over, its secret has no use (no more changes): forget it, and keep the receipt. */
  function tidyBallots(state) {
    const poll = state.poll;
    const me = state.me;
    if (poll && me && !["open", "paused"].includes(poll.state)) {
      const record = loadBallot(poll.id, me.id);
      if (record && record.state === "recorded" && record.secret) {
        saveBallot(poll.id, me.id, {...record, secret: undefined});
      }
    }
  }

  function pruneStore() {
    try {
      const rows = [];
      for (let i = 0; i < localStorage.length; i += 1) {
        const key = localStorage.key(i);
        if (key && key.startsWith(STORE_PREFIX)) {
          let at = 0;
          try { at = JSON.parse(localStorage.getItem(key)).at || 0; } catch (_) { /* unreadable: oldest */ }
          rows.push([at, key]);
        }
      }
      rows.sort((a, b) => b[0] - a[0]);
      for (const [, key] of rows.slice(STORE_KEEP)) localStorage.removeItem(key);
    } catch (_) { /* storage disabled */ }
  }

  // ---- start ----

  async function start() {
    setupIdentify();
    setupCodeIdentify();
    pruneStore();
    setInterval(tick, 250);
    let options;
    try {
      options = await HuitangDevice.connectOptions("tablet", meetingId);
    } catch (error) {
      setPill("refused", t("refused"));
      showProblem(t("problem.unsupported"), error.message, t("problem.staff_help"), error.code || "");
      return;
    }
    if (!options) {
      setPill("refused", t("problem.unpaired"));
      showProblem(t("problem.unpaired"), t("problem.unpaired_text"), t("problem.unpaired_help"), "unpaired");
      return;
    }
    device = options.device;
    hall = Hall.boot(render, {...options, onStatus});
    HuitangDevice.keepPresence(hall);
  }

  start();
})();
