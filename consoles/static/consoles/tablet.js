/* A delegate's tablet: who I am, where the meeting is, what is being discussed now. */
(() => {
  "use strict";
  const {t, el, setText} = Hall;
  const $ = (selector) => document.querySelector(selector);

  function render(state) {
    const meeting = state.meeting;
    if (!meeting) return;
    setText("#meeting-title", meeting.title);
    const badge = $("#meeting-state");
    badge.dataset.state = meeting.state;
    badge.textContent = Hall.stateLabel(meeting);

    const me = state.me;
    if (me) {
      setText("#me-name", me.name);
      setText("#me-delegation", me.delegation || "—");
      setText("#me-seat", me.seat || "—");
      setText("#me-number", me.number || "—");
    }

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
  }

  Hall.boot(render);
})();
