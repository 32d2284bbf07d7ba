/* The presiding console: open/close the meeting, move through the agenda, drive the displays. */
(() => {
  "use strict";
  const {t, el, setText} = Hall;
  const $ = (selector) => document.querySelector(selector);

  const flash = $("#flash");
  let flashTimer = null;
  flash.addEventListener("click", () => { flash.textContent = ""; });

  function say(text, kind) {
    clearTimeout(flashTimer);
    flash.textContent = text;
    flash.dataset.kind = kind;
    flashTimer = setTimeout(() => { flash.textContent = ""; }, kind === "ok" ? 5000 : 20000);
  }

  /** Ask the server; show its Chinese (or English) message on error. Returns true on ok. */
  async function ask(button, type, fields, success) {
    if (button) button.disabled = true;
    try {
      const reply = await hall.request(type, fields);
      if (reply.type === "error") {
        say(reply.message || reply.code, "error");
        return false;
      }
      if (success) say(success(reply), "ok");
      return true;
    } finally {
      if (button) render(hall.state);
    }
  }

  function render(state) {
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

    $("#open-meeting").disabled = !online || meeting.state !== "scheduled";
    $("#close-meeting").disabled = !online || meeting.state !== "open";

    const isOpen = meeting.state === "open";
    setText("#agenda-hint", isOpen ? t("hint_open") : t("hint_not_open"));
    $("#agenda").replaceChildren(Hall.agendaList(state, {
      button: true, disabled: !online || !isOpen, onPick: pickItem,
    }));
    $("#clear-current").disabled = !online || !isOpen || state.current_item === null;

    const display = state.display || {mode: "welcome", text: ""};
    const label = t(`mode.${display.mode}`, null, display.mode);
    setText("#display-now", display.mode === "message" ? t("labelled", {label, text: display.text}) : label);
    $("#display-send").disabled = !online;
    $("#notice-send").disabled = !online;

    const log = $("#notice-log");
    log.replaceChildren(...(state.sent_notices || []).map((notice) => el("li", {},
      el("span", {class: "muted small", text: `${Hall.formatDateTime(notice.at)} → ${notice.to || t("to_all")}`}),
      el("br"), notice.text)));
  }

  function pickItem(item) {
    if (item.id === hall.state.current_item) return;
    ask(document.querySelector(`.agenda__button[data-item="${item.id}"]`), "agenda.set_current", {item: item.id},
      () => t("current_set", {title: item.title}));
  }

  $("#clear-current").addEventListener("click", (event) => {
    ask(event.currentTarget, "agenda.set_current", {item: null}, () => t("current_cleared"));
  });

  $("#open-meeting").addEventListener("click", (event) => {
    ask(event.currentTarget, "meeting.open", {}, () => t("opened"));
  });

  const confirmClose = $("#confirm-close");
  $("#close-meeting").addEventListener("click", () => {
    confirmClose.returnValue = "";
    confirmClose.showModal();
  });
  confirmClose.addEventListener("close", () => {
    if (confirmClose.returnValue === "confirm") {
      ask($("#close-meeting"), "meeting.close", {}, () => t("closed_ok"));
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
    ask($("#display-send"), "display.set", {mode, text: mode === "message" ? text.value : ""},
      () => t("display_sent", {mode: t(`mode.${mode}`, null, mode)}));
  });

  // ---- notices ----

  const noticeForm = $("#notice-form");
  noticeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("#notice-text");
    if (await ask($("#notice-send"), "notice.send", {text: input.value}, () => t("notice_sent"))) input.value = "";
  });

  let first = true;
  window.hall = Hall.boot((state, client, cause) => {
    if (first && state.display) {
      // Start the form from what the displays show now; later changes never overwrite typing.
      first = false;
      const radio = form.querySelector(`input[name=mode][value="${state.display.mode}"]`);
      if (radio) radio.checked = true;
      if (state.display.mode === "message") text.value = state.display.text;
      syncForm();
    }
    render(state);
  }, {onStatus: () => { if (window.hall && window.hall.state) render(window.hall.state); }});
  syncForm();
})();
