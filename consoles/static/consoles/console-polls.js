/* The console's poll panel: prepare a poll from an agenda item, the meeting's polls, and the
 * selected poll's life (open, pause, resume, close, announce, cancel, hand count) with its live
 * figures and result. State keys: poll, poll_progress, polls, not_voted (docs/protocol.md). */
(() => {
  "use strict";
  const {t, el, setText} = Hall;
  const {ask, enable, confirmAction, data} = HallConsole;
  const $ = (selector) => document.querySelector(selector);

  const ACTIVE = ["open", "paused"];
  const FINISHED = ["closed", "announced"];
  const nominees = new Map(Object.entries(data.polls || {}).map(([id, list]) => [Number(id), list]));
  const items = data.items || {};
  let selectedId = null;  // null: follow the poll on the hall's screens, else the newest prepared
  let lastState = null;

  // ---- helpers -----------------------------------------------------------------------------------

  function summaryOf(state, id) {
    return (state.polls || []).find((p) => p.id === id) || null;
  }

  /** The poll the panel shows: the operator's pick, else the one on screen, else the newest prepared. */
  function selected(state) {
    const polls = state.polls || [];
    if (selectedId !== null && polls.some((p) => p.id === selectedId)) return summaryOf(state, selectedId);
    if (state.poll && ["open", "paused", "closed"].includes(state.poll.state)) return summaryOf(state, state.poll.id);
    const prepared = polls.filter((p) => p.state === "prepared");
    if (prepared.length) return prepared[prepared.length - 1];
    return state.poll ? summaryOf(state, state.poll.id) : null;
  }

  /** The state in the page's language (the server's state_label is Chinese). */
  function stateLabel(poll) {
    return t(`poll_state.${poll.state}`, null, poll.state_label);
  }

  function kindLabel(kind) {
    return t(`poll_kind.${kind}`, null, kind);
  }

  function passedSummary(summary) {
    if (summary.passed === null || summary.passed === undefined) return "";
    if (Array.isArray(summary.passed)) return t("n_passed", {n: summary.passed.length});
    return PollView.passedLabel(summary.passed);
  }

  function fileUrl(template, pollId) {
    return template.replace("/polls/0/", `/polls/${pollId}/`);
  }

  function itemTitle(state, itemId) {
    const item = (state.agenda || []).find((i) => i.id === itemId);
    return item ? t("item_label", {n: item.order, title: item.title}) : "";
  }

  // ---- the prepare form --------------------------------------------------------------------------

  const form = $("#prepare-form");
  const itemSelect = $("#prep-item");
  const titleInput = $("#prep-title");
  const nomineeBox = $("#prep-nominees");
  const nomineeRows = $("#prep-nominee-rows");
  const prepError = $("#prepare-error");
  let agendaKey = "";

  function prepKind() {
    return form.querySelector("input[name=prep-kind]:checked").value;
  }

  function nomineeRow(nominee = {name: "", post: ""}) {
    const row = el("li", {class: "nominee-row"},
      el("input", {class: "input", type: "text", maxlength: "64", "aria-label": t("nominee_name"),
        placeholder: t("nominee_name"), value: nominee.name, dataset: {field: "name"}}),
      el("input", {class: "input", type: "text", maxlength: "100", "aria-label": t("nominee_post"),
        placeholder: t("nominee_post"), value: nominee.post || "", dataset: {field: "post"}}),
      el("button", {type: "button", class: "btn btn--small", text: t("remove"), "aria-label": t("remove"),
        onclick: () => { row.remove(); }}));
    return row;
  }

  function fillFromItem() {
    const state = lastState || {};
    const item = (state.agenda || []).find((i) => String(i.id) === itemSelect.value);
    if (!item) return;
    const details = items[String(item.id)] || {nominees: [], constitutional: false};
    titleInput.value = item.title;
    const kind = item.kind === "appointment" ? "appointment" : "motion";
    form.querySelector(`input[name=prep-kind][value=${kind}]`).checked = true;
    nomineeRows.replaceChildren(...details.nominees.map((n) => nomineeRow(n)));
    $("#prep-threshold").value = details.constitutional ? "entitled:at_least:2:3" : "entitled:more_than:1:2";
    syncKind();
  }

  function syncKind() {
    nomineeBox.hidden = prepKind() !== "appointment";
    if (!nomineeBox.hidden && !nomineeRows.children.length) nomineeRows.append(nomineeRow());
  }

  function renderForm(state, online) {
    const agenda = state.agenda || [];
    const key = agenda.map((i) => `${i.id}:${i.title}`).join("|");
    if (key !== agendaKey) {
      agendaKey = key;
      const keep = itemSelect.value;
      itemSelect.replaceChildren(...agenda.map((item) => el("option", {value: String(item.id),
        text: t("item_label", {n: item.order, title: item.title})})));
      const start = keep && agenda.some((i) => String(i.id) === keep) ? keep
        : String(state.current_item ?? (agenda.find((i) => i.kind !== "report") || agenda[0] || {}).id ?? "");
      itemSelect.value = start;
      if (start !== keep) fillFromItem();
    }
    enable($("#prep-submit"), online && agenda.length > 0);
  }

  itemSelect.addEventListener("change", fillFromItem);
  form.addEventListener("change", (event) => { if (event.target.name === "prep-kind") syncKind(); });
  $("#prep-add-nominee").addEventListener("click", () => {
    const row = nomineeRow();
    nomineeRows.append(row);
    row.querySelector("input").focus();
  });
  $("#prep-use-current").addEventListener("click", () => {
    if (lastState && lastState.current_item !== null && lastState.current_item !== undefined) {
      itemSelect.value = String(lastState.current_item);
      fillFromItem();
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const kind = prepKind();
    const [base, comparison, numerator, denominator] = $("#prep-threshold").value.split(":");
    const countdownText = $("#prep-countdown").value.trim();
    const fields = {
      item: Number(itemSelect.value),
      kind,
      title: titleInput.value.trim(),
      anonymous: $("#prep-anonymous").checked,
      allow_change: $("#prep-change").checked,
      threshold: {base, comparison, numerator: Number(numerator), denominator: Number(denominator)},
    };
    if (countdownText) fields.countdown = Number(countdownText);
    let list = [];
    if (kind === "appointment") {
      list = [...nomineeRows.children].map((row) => ({
        name: row.querySelector("[data-field=name]").value.trim(),
        post: row.querySelector("[data-field=post]").value.trim(),
      })).filter((n) => n.name || n.post);
      fields.nominees = list;
    }
    const reply = await ask("poll.prepare", fields, {
      button: $("#prep-submit"), where: prepError, success: () => t("prepared", {title: fields.title}),
    });
    if (reply.type === "ok") {
      // The server numbers the nominees 1, 2, … in the order sent (a hand count names them by id).
      nominees.set(reply.poll, list.map((n, i) => ({id: i + 1, name: n.name.slice(0, 64), post: n.post})));
      selectedId = reply.poll;
      HallConsole.refresh();
      $("#poll-current").scrollIntoView({block: "nearest"});
    }
  });

  // ---- the list of polls --------------------------------------------------------------------------

  function renderList(state, shown) {
    const polls = [...(state.polls || [])].reverse();  // newest first
    const list = $("#poll-list");
    if (!polls.length) {
      list.replaceChildren(el("li", {class: "muted poll-list__empty", text: t("no_polls")}));
      return;
    }
    list.replaceChildren(...polls.map((p) => {
      const verdict = passedSummary(p);
      return el("li", {},
        el("button", {type: "button", class: "poll-row", dataset: {poll: p.id, state: p.state},
          "aria-pressed": shown && shown.id === p.id ? "true" : "false",
          onclick: () => { selectedId = p.id; HallConsole.refresh(); }},
        el("span", {class: "poll-row__title"}, el("span", {class: "poll-row__no", text: `#${p.id}`}), " ", p.title),
        el("span", {class: "poll-row__meta"},
          el("span", {class: "badge poll-badge", dataset: {state: p.state}, text: stateLabel(p)}),
          el("span", {class: "muted small", text: `${kindLabel(p.kind)} · ${p.anonymous ? t("anonymous") : t("named")}`}),
          verdict ? el("strong", {class: "poll-row__verdict", dataset: {passed: p.passed === true ? "yes"
            : p.passed === false ? "no" : "some"}, text: verdict}) : null)));
    }));
  }

  // ---- the selected poll ------------------------------------------------------------------------------

  const buttons = {
    open: $("#poll-open"), pause: $("#poll-pause"), resume: $("#poll-resume"), close: $("#poll-close"),
    announce: $("#poll-announce"), hand: $("#poll-hand"), cancel: $("#poll-cancel"),
  };
  const AVAILABLE = {
    prepared: ["open", "hand", "cancel"],
    open: ["pause", "close", "hand", "cancel"],
    paused: ["resume", "close", "hand", "cancel"],
    closed: ["announce"],
    announced: [],
    cancelled: [],
  };

  function renderDetail(state, summary, online) {
    $("#poll-empty").hidden = !!summary;
    $("#poll-detail").hidden = !summary;
    if (!summary) return;
    const full = state.poll && state.poll.id === summary.id ? state.poll : null;
    const detail = $("#poll-detail");
    detail.dataset.poll = summary.id;
    detail.dataset.state = summary.state;
    setText("#poll-title", summary.title);
    const badge = $("#poll-state");
    badge.dataset.state = summary.state;
    badge.textContent = stateLabel(summary);
    const facts = [kindLabel(summary.kind), summary.anonymous ? t("anonymous") : t("named")];
    if (full) {
      facts.push(full.allow_change ? t("change_allowed") : t("change_not_allowed"));
      facts.push(full.countdown_seconds ? t("countdown_of", {n: full.countdown_seconds}) : t("no_countdown"));
    }
    setText("#poll-facts", facts.join(" · "));
    setText("#poll-item", itemTitle(state, summary.agenda_item));
    setText("#poll-rule", full ? full.threshold : "");
    $("#poll-rule").hidden = !full;

    // Live figures: the poll on the hall's screens only (poll_progress is about that one).
    const progress = full ? PollView.progress(state) : null;
    const live = !!(full && progress && (ACTIVE.includes(full.state) || full.state === "closed"));
    $("#poll-live").hidden = !live;
    if (live) {
      setText("#poll-voted", progress.voted);
      setText("#poll-signed", progress.signed_in);
      setText("#poll-entitled", progress.entitled);
      const missing = Math.max(0, progress.signed_in - progress.voted);
      setText("#poll-missing", missing);
      const share = progress.signed_in ? Math.min(100, (100 * progress.voted) / progress.signed_in) : 0;
      $("#poll-bar").style.width = `${share}%`;
    }
    tickClock();

    const names = full && !full.anonymous && ACTIVE.includes(full.state) ? state.not_voted : null;
    $("#poll-not-voted").hidden = !Array.isArray(names);
    if (Array.isArray(names)) {
      setText("#poll-not-voted-count", names.length);
      $("#poll-not-voted-list").replaceChildren(...names.map((name) => el("li", {text: name})));
    }

    const available = AVAILABLE[summary.state] || [];
    for (const [name, button] of Object.entries(buttons)) {
      button.hidden = !available.includes(name);
      enable(button, online && available.includes(name));
    }
    $("#poll-actions").hidden = !available.length;
    $("#poll-cancelled").hidden = summary.state !== "cancelled";

    renderResult(full && full.result ? full : null, summary);
    const files = FINISHED.includes(summary.state);
    $("#poll-files").hidden = !files;
    if (files) {
      $("#poll-pdf").href = fileUrl($("#poll-files").dataset.pdf, summary.id);
      $("#poll-log").href = fileUrl($("#poll-files").dataset.log, summary.id);
    }
  }

  function tickClock() {
    const state = lastState;
    const summary = state && selected(state);
    const full = summary && state.poll && state.poll.id === summary.id ? state.poll : null;
    const seconds = full ? PollView.remaining(full) : null;
    const box = $("#poll-clock");
    box.hidden = !(full && ACTIVE.includes(full.state));
    if (box.hidden) return;
    box.dataset.state = full.state;
    box.dataset.low = seconds !== null && seconds <= 10 ? "yes" : "no";
    box.dataset.none = seconds === null ? "yes" : "no";
    setText("#poll-countdown", seconds === null ? t("no_countdown") : PollView.clock(seconds));
    setText("#poll-clock-label", full.state === "paused" ? t("paused_left") : t("time_left"));
  }

  function resultCounts(result) {
    return el("dl", {class: "pres-counts"}, ...PollView.counts(result).map(([key, label, value]) =>
      el("div", {class: `pres-count pres-count--${key}`}, el("dt", {text: label}),
        el("dd", {dataset: {count: key}, text: String(value ?? "—")}))));
  }

  function renderResult(full, summary) {
    const box = $("#poll-result");
    box.hidden = !full;
    if (!full) return box.replaceChildren();
    const result = full.result;
    const parts = [];
    if (result.hand_counted) {
      parts.push(el("p", {class: "pres-hand", dataset: {handCounted: "yes"}},
        el("strong", {text: t("hand_counted")}), result.entered_by ? ` · ${t("entered_by", {name: result.entered_by})}` : ""));
    }
    if (full.kind === "appointment") {
      const head = el("tr", {}, ...["nominee", "post", "choice.for", "choice.against", "choice.abstain",
        "choice.not_voted", "required", "verdict"].map((k) => el("th", {scope: "col", text: t(k)})));
      const rows = (result.nominees || []).map((n) => el("tr", {dataset: {nominee: n.nominee}},
        el("th", {scope: "row", text: n.name}), el("td", {text: n.post || ""}),
        el("td", {text: String(n.for)}), el("td", {text: String(n.against)}), el("td", {text: String(n.abstain)}),
        el("td", {text: String(n.not_voted)}), el("td", {text: String(n.required)}),
        el("td", {}, el("strong", {class: "verdict-word", dataset: {passed: n.passed ? "yes" : "no"},
          text: PollView.passedLabel(n.passed)}))));
      parts.push(el("table", {class: "pres-table"}, el("thead", {}, head), el("tbody", {}, rows)));
    } else {
      parts.push(el("p", {class: "pres-verdict", id: "poll-verdict", dataset: {passed: result.passed ? "yes" : "no"},
        text: PollView.passedLabel(result.passed)}));
      parts.push(resultCounts(result));
      parts.push(el("p", {class: "muted small", text: t("required_for", {n: result.required})}));
    }
    parts.push(el("p", {class: "pres-rule"}, result.rule || full.threshold, " · ",
      t("figures", {entitled: result.entitled, signed_in: result.signed_in})));
    if (summary.state === "closed") parts.push(el("p", {class: "pres-note", text: t("not_announced_yet")}));
    box.replaceChildren(...parts);
  }

  // ---- actions ----------------------------------------------------------------------------------

  function current() {
    return lastState ? selected(lastState) : null;
  }

  function figuresLine() {
    const a = (lastState && lastState.attendance) || {};
    return t("attendance_line", {entitled: a.entitled ?? "—", present: a.present ?? "—"});
  }

  const errorBox = $("#poll-error");

  buttons.open.addEventListener("click", async () => {
    const poll = current();
    if (!poll) return;
    const quorum = (lastState.attendance || {}).quorum || {};
    const ok = await confirmAction({
      title: t("confirm_open_title"),
      body: [el("p", {class: "confirm-subject", text: poll.title}), figuresLine(),
        quorum.reached === false ? el("p", {class: "confirm-warn", text: t("no_quorum_warning")}) : null,
        t("confirm_open_body")].filter(Boolean),
      confirm: t("confirm_open"),
    });
    if (!ok) return;
    const reply = await ask("poll.open", {poll: poll.id}, {button: buttons.open, where: errorBox,
      success: () => t("opened_poll", {title: poll.title})});
    if (reply.type === "ok") {
      selectedId = poll.id;
      // After it closes (by the console or the countdown) the displays stay on this poll.
      if ((lastState.display || {}).mode !== "results") HallConsole.setDisplayMode("results");
    }
  });

  buttons.pause.addEventListener("click", () => {
    const poll = current();
    if (poll) ask("poll.pause", {poll: poll.id}, {button: buttons.pause, where: errorBox, success: () => t("paused_ok")});
  });

  buttons.resume.addEventListener("click", () => {
    const poll = current();
    if (poll) ask("poll.resume", {poll: poll.id}, {button: buttons.resume, where: errorBox, success: () => t("resumed_ok")});
  });

  buttons.close.addEventListener("click", async () => {
    const poll = current();
    if (!poll) return;
    const progress = PollView.progress(lastState) || {voted: 0, signed_in: 0};
    const missing = Math.max(0, progress.signed_in - progress.voted);
    const body = [
      el("p", {class: "confirm-subject", text: poll.title}),
      el("p", {class: "confirm-figure", id: "close-not-voted", dataset: {missing}},
        t("close_missing", {missing, signed_in: progress.signed_in, voted: progress.voted})),
    ];
    const names = Array.isArray(lastState.not_voted) ? lastState.not_voted : null;
    if (names && names.length) {
      body.push(el("p", {class: "small", text: t("close_names", {names: names.slice(0, 30).join("、")
        + (names.length > 30 ? t("and_more", {n: names.length - 30}) : "")})}));
    }
    body.push(t("confirm_close_body"));
    const ok = await confirmAction({title: t("confirm_close_title"), body, confirm: t("confirm_close"), danger: true});
    if (ok) ask("poll.close", {poll: poll.id}, {button: buttons.close, where: errorBox, success: () => t("closed_poll")});
  });

  buttons.announce.addEventListener("click", async () => {
    const poll = current();
    if (!poll) return;
    const full = lastState.poll && lastState.poll.id === poll.id ? lastState.poll : null;
    const result = full && full.result;
    const body = [el("p", {class: "confirm-subject", text: poll.title})];
    if (result && full.kind !== "appointment") {
      body.push(el("p", {class: "confirm-figure", text: t("announce_summary", {
        for: result.for, against: result.against, abstain: result.abstain, not_voted: result.not_voted,
        verdict: PollView.passedLabel(result.passed)})}));
    }
    body.push(t("confirm_announce_body"));
    const ok = await confirmAction({title: t("confirm_announce_title"), body, confirm: t("confirm_announce")});
    if (!ok) return;
    const reply = await ask("poll.announce", {poll: poll.id}, {button: buttons.announce, where: errorBox,
      success: () => t("announced_ok")});
    if (reply.type === "ok" && (lastState.display || {}).mode !== "results") HallConsole.setDisplayMode("results");
  });

  buttons.cancel.addEventListener("click", async () => {
    const poll = current();
    if (!poll) return;
    const ok = await confirmAction({
      title: t("confirm_cancel_title"),
      body: [el("p", {class: "confirm-subject", text: poll.title}), t("confirm_cancel_body")],
      confirm: t("confirm_cancel"), danger: true,
      reason: {label: t("cancel_reason"), required: true, placeholder: t("cancel_reason_hint")},
    });
    if (ok) {
      ask("poll.cancel", {poll: poll.id, reason: ok.reason}, {button: buttons.cancel, where: errorBox,
        success: () => t("cancelled_ok")});
    }
  });

  // ---- hand count ------------------------------------------------------------------------------------

  const handDialog = $("#hand-dialog");
  const handError = $("#hand-error");
  let handPoll = null;

  function numberInput(label, key) {
    return el("label", {class: "hand-field"}, el("span", {text: label}),
      el("input", {class: "input hand-input", type: "number", min: "0", step: "1", inputmode: "numeric",
        required: true, value: "0", dataset: {key}}));
  }

  function handRows(kind, list) {
    const choices = [["for", t("choice.for")], ["against", t("choice.against")], ["abstain", t("choice.abstain")]];
    if (kind !== "appointment") {
      return el("div", {class: "hand-grid", dataset: {nominee: ""}}, ...choices.map(([k, label]) => numberInput(label, k)));
    }
    return el("div", {class: "hand-nominees"}, ...list.map((n) => el("fieldset", {class: "hand-nominee",
      dataset: {nominee: n.id}}, el("legend", {}, el("strong", {text: n.name}), n.post ? ` · ${n.post}` : ""),
    el("div", {class: "hand-grid"}, ...choices.map(([k, label]) => numberInput(label, k))))));
  }

  buttons.hand.addEventListener("click", () => {
    const poll = current();
    if (!poll) return;
    const full = lastState.poll && lastState.poll.id === poll.id ? lastState.poll : null;
    const list = (full && full.nominees && full.nominees.length ? full.nominees : nominees.get(poll.id)) || [];
    handError.hidden = true;
    if (poll.kind === "appointment" && !list.length) {
      HallConsole.say(t("no_nominees_known"), "error");
      return;
    }
    handPoll = {id: poll.id, kind: poll.kind};
    setText("#hand-subject", poll.title);
    setText("#hand-present", t("hand_present", {n: ((lastState.attendance || {}).present ?? "—")}));
    $("#hand-rows").replaceChildren(handRows(poll.kind, list));
    $("#hand-note").value = "";
    handDialog.showModal();
    const firstInput = handDialog.querySelector(".hand-input");
    if (firstInput) firstInput.select();
  });

  $("#hand-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!handPoll) return;
    const read = (box) => {
      const row = {};
      for (const input of box.querySelectorAll(".hand-input")) {
        const value = input.value.trim();
        if (!/^\d+$/.test(value)) throw new Error(t("hand_bad_number"));
        row[input.dataset.key] = Number(value);
      }
      return row;
    };
    let counts;
    try {
      if (handPoll.kind === "appointment") {
        counts = {};
        for (const box of handDialog.querySelectorAll(".hand-nominee")) counts[box.dataset.nominee] = read(box);
      } else {
        counts = read(handDialog.querySelector(".hand-grid"));
      }
    } catch (error) {
      handError.textContent = error.message;
      handError.hidden = false;
      return;
    }
    const reply = await ask("poll.hand_count", {poll: handPoll.id, counts, note: $("#hand-note").value.trim()}, {
      button: $("#hand-submit"), where: handError, success: () => t("hand_ok"),
    });
    if (reply.type === "ok") {
      selectedId = handPoll.id;
      handDialog.close();
      HallConsole.refresh();
    }
  });
  $("#hand-cancel").addEventListener("click", () => handDialog.close());

  // ---- the strip above the tabs -------------------------------------------------------------------

  function renderStrip(state) {
    const strip = $("#strip-poll");
    const poll = state.poll;
    const active = poll && ACTIVE.includes(poll.state);
    strip.dataset.state = poll ? poll.state : "none";
    if (!active) {
      setText("#strip-poll-text", poll ? t("strip_poll_last", {title: poll.title, state: stateLabel(poll)}) : t("strip_no_poll"));
      return;
    }
    const progress = PollView.progress(state) || {voted: 0, signed_in: 0};
    const seconds = PollView.remaining(poll);
    setText("#strip-poll-text", t("strip_poll_live", {
      state: stateLabel(poll), voted: progress.voted, signed_in: progress.signed_in,
      clock: seconds === null ? "" : ` · ${PollView.clock(seconds)}`,
    }));
  }

  // ---- the panel ------------------------------------------------------------------------------------

  HallConsole.register({
    render(state) {
      lastState = state;
      const online = hall.status === "online";
      renderForm(state, online);
      const shown = selected(state);
      renderList(state, shown);
      renderDetail(state, shown, online);
      renderStrip(state);
    },
  });

  setInterval(() => {
    if (!lastState) return;
    tickClock();
    renderStrip(lastState);
  }, 250);
  syncKind();
})();
