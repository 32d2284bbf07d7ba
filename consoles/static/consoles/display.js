/* A hall display: whatever the console puts on it, large. No controls. */
(() => {
  "use strict";
  const {setText} = Hall;
  const $ = (selector) => document.querySelector(selector);
  const MODES = ["welcome", "agenda", "message", "signin", "results"];

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

  function render(state) {
    const meeting = state.meeting;
    if (!meeting) return;
    const display = state.display || {mode: "welcome", text: ""};
    const mode = MODES.includes(display.mode) ? display.mode : "welcome";
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
  }

  Hall.boot(render);
})();
