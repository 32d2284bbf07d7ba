/* The presiding console: open/close the meeting, move through the agenda, drive the displays, and
 * boot the panels (console-signin.js, console-polls.js, console-devices.js) on the one socket. */
(() => {
  "use strict";
  const {t, el, setText} = Hall;
  const {ask, enable} = HallConsole;
  const $ = (selector) => document.querySelector(selector);

  function render(state, client, cause) {
    if (!state || !state.meeting) return;
    const meeting = state.meeting;
    const online = hall.status === "online";
    setText("#meeting-title", meeting.title);
    setText("[data-bind=kind]", Hall.kindLabel(meeting));
    setText("[data-bind=venue]", meeting.venue);
    setText("[data-bind=starts]", Hall.formatDateTime(meeting.starts_at));
    const badge = $("#meeting-state");
    badge.dataset.state = meeting.state;
    badge.textContent = Hall.stateLabel(meeting);

    enable($("#open-meeting"), online && meeting.state === "scheduled");
    enable($("#close-meeting"), online && meeting.state === "open");

    const isOpen = meeting.state === "open";
    setText("#agenda-hint", isOpen ? t("hint_open") : t("hint_not_open"));
    $("#agenda").replaceChildren(Hall.agendaList(state, {
      button: true, disabled: !online || !isOpen, onPick: pickItem,
    }));
    enable($("#clear-current"), online && isOpen && state.current_item !== null);

    const display = state.display || {mode: "welcome", text: ""};
    const label = t(`mode.${display.mode}`, null, display.mode);
    setText("#display-now", display.mode === "message" ? t("labelled", {label, text: display.text}) : label);
    enable($("#display-send"), online);
    enable($("#notice-send"), online);

    const log = $("#notice-log");
    log.replaceChildren(...(state.sent_notices || []).map((notice) => el("li", {},
      el("span", {class: "muted small", text: `${Hall.formatDateTime(notice.at)} → ${notice.to || t("to_all")}`}),
      el("br"), notice.text)));

    for (const panel of HallConsole.panels) panel.render(state, client || hall, cause || {kind: "refresh"});
  }

  function pickItem(item) {
    if (item.id === hall.state.current_item) return;
    ask("agenda.set_current", {item: item.id}, {
      button: document.querySelector(`.agenda__button[data-item="${item.id}"]`),
      success: () => t("current_set", {title: item.title}),
    });
  }

  $("#clear-current").addEventListener("click", (event) => {
    ask("agenda.set_current", {item: null}, {button: event.currentTarget, success: () => t("current_cleared")});
  });

  $("#open-meeting").addEventListener("click", (event) => {
    ask("meeting.open", {}, {button: event.currentTarget, success: () => t("opened")});
  });

  const confirmClose = $("#confirm-close");
  $("#close-meeting").addEventListener("click", () => {
    confirmClose.returnValue = "";
    confirmClose.showModal();
  });
  confirmClose.addEventListener("close", () => {
    if (confirmClose.returnValue === "confirm") {
      ask("meeting.close", {}, {button: $("#close-meeting"), success: () => t("closed_ok")});
    }
  });

  // ---- displays ----

  const form = $("#display-form");
  const text = $("#display-text");
  const count = $("#display-count");

  function selectedMode() {
    const checked = form.querySelector("input[name=mode]:checked");
    return checked ? checked.value : "welcome";
  }

  function syncForm() {
    const message = selectedMode() === "message";
    $("#message-field").hidden = !message;
    count.textContent = String([...text.value].length);
  }

  form.addEventListener("change", syncForm);
  text.addEventListener("input", syncForm);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const mode = selectedMode();
    ask("display.set", {mode, text: mode === "message" ? text.value : ""}, {
      button: $("#display-send"), success: () => t("display_sent", {mode: t(`mode.${mode}`, null, mode)}),
    });
  });

  /** Put the displays on `mode` (the poll panel does it when a vote opens) and tick the form. */
  HallConsole.setDisplayMode = async (mode) => {
    const reply = await ask("display.set", {mode, text: ""});
    if (reply.type === "ok") {
      const radio = form.querySelector(`input[name=mode][value="${mode}"]`);
      if (radio) radio.checked = true;
      syncForm();
    }
    return reply;
  };

  // ---- notices ----

  $("#notice-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("#notice-text");
    const reply = await ask("notice.send", {text: input.value}, {button: $("#notice-send"), success: () => t("notice_sent")});
    if (reply.type === "ok") input.value = "";
  });

  let first = true;
  HallConsole.setRefresher(() => { if (window.hall && window.hall.state) render(window.hall.state); });
  window.hall = Hall.boot((state, client, cause) => {
    if (first && state.display) {
      // Start the form from what the displays show now; later changes never overwrite typing.
      first = false;
      const radio = form.querySelector(`input[name=mode][value="${state.display.mode}"]`);
      if (radio) radio.checked = true;
      if (state.display.mode === "message") text.value = state.display.text;
      syncForm();
    }
    render(state, client, cause);
  }, {
    onStatus: () => HallConsole.refresh(),
    onMessage: (message) => {
      for (const panel of HallConsole.panels) if (panel.message) panel.message(message);
    },
  });
  syncForm();
})();
