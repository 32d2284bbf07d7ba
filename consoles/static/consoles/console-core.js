/* The console's shared pieces: the feedback toast, requests that show the server's own message,
 * the confirmation dialog, the tabs. Panels (console-polls.js, console-devices.js, …) register
 * with HallConsole.register({render(state, client, cause), message(msg)}); console.js boots.
 */
(() => {
  "use strict";
  const {t, el} = Hall;
  const $ = (selector) => document.querySelector(selector);

  const panels = [];
  let refresher = () => {};

  // ---- feedback --------------------------------------------------------------------------------

  const flash = $("#flash");
  let flashTimer = null;
  flash.addEventListener("click", () => { flash.textContent = ""; });

  /** A toast at the bottom; errors stay 20 s (or until clicked), successes 5 s. */
  function say(text, kind) {
    clearTimeout(flashTimer);
    flash.textContent = text;
    flash.dataset.kind = kind;
    flashTimer = setTimeout(() => { flash.textContent = ""; }, kind === "ok" ? 5000 : 20000);
  }

  /** Keep `button` disabled while its request is out, whatever a render in between decides. */
  function enable(button, enabled) {
    if (button) button.disabled = !enabled || button.dataset.busy === "1";
  }

  /**
   * Send a request; on error show the server's message (Chinese, or the page's language) in the
   * toast and, when given, in `where` too. Resolves with the reply.
   */
  async function ask(type, fields, {button = null, success = null, where = null} = {}) {
    if (button) {
      button.dataset.busy = "1";
      button.disabled = true;
    }
    try {
      const reply = await hall.request(type, fields);
      if (reply.type === "error") {
        const text = reply.message || reply.code;
        say(text, "error");
        if (where) {
          where.textContent = text;
          where.dataset.kind = "error";
          where.dataset.code = reply.code || "";
          where.hidden = false;
        }
      } else {
        if (success) say(success(reply), "ok");
        if (where) {
          where.textContent = "";
          where.hidden = true;
        }
      }
      return reply;
    } finally {
      if (button) {
        delete button.dataset.busy;
        button.disabled = false;  // the render below disables it again where the state says so
      }
      refresh();
    }
  }

  // ---- confirmation ----------------------------------------------------------------------------

  const dialog = $("#confirm-action");

  /**
   * Ask before doing something that cannot be undone. `body`: nodes or text; `reason`: {label,
   * required, placeholder} adds a text field. Resolves with {reason} on confirm, null on cancel.
   */
  function confirmAction({title, body, confirm, danger = false, reason = null}) {
    return new Promise((resolve) => {
      $("#confirm-action-title").textContent = title;
      $("#confirm-action-body").replaceChildren(...[].concat(body || []).map(
        (part) => (part instanceof Node ? part : el("p", {text: part}))));
      const field = $("#confirm-action-reason");
      const input = $("#confirm-action-input");
      const error = $("#confirm-action-error");
      field.hidden = !reason;
      input.value = "";
      input.required = !!(reason && reason.required);
      input.placeholder = reason ? (reason.placeholder || "") : "";
      $("#confirm-action-label").textContent = reason ? reason.label : "";
      error.hidden = true;
      const yes = $("#confirm-action-yes");
      yes.textContent = confirm;
      yes.className = danger ? "btn btn--danger-solid" : "btn btn--primary";

      function done(value) {
        dialog.removeEventListener("close", onClose);
        yes.removeEventListener("click", onYes);
        resolve(value);
      }
      function onYes(event) {
        event.preventDefault();
        if (reason && reason.required && !input.value.trim()) {
          error.textContent = t("reason_required");
          error.hidden = false;
          input.focus();
          return;
        }
        const value = {reason: input.value.trim()};
        dialog.removeEventListener("close", onClose);
        dialog.close("confirm");
        done(value);
      }
      function onClose() { done(null); }
      dialog.addEventListener("close", onClose);
      yes.addEventListener("click", onYes);
      dialog.returnValue = "";
      dialog.showModal();
      (reason ? input : $("#confirm-action-no")).focus();
    });
  }

  // ---- tabs -------------------------------------------------------------------------------------

  const tabs = [...document.querySelectorAll("[role=tab][data-tab]")];

  /** Show one tab; `remember` puts it in the address (#polls) so a reload comes back to it. */
  function showTab(name, {focus = false, remember = false} = {}) {
    const tab = tabs.find((node) => node.dataset.tab === name) || tabs[0];
    for (const node of tabs) {
      const on = node === tab;
      node.setAttribute("aria-selected", on ? "true" : "false");
      node.tabIndex = on ? 0 : -1;
      document.getElementById(node.getAttribute("aria-controls")).hidden = !on;
    }
    if (focus) tab.focus();
    if (remember) {
      const hash = tab === tabs[0] ? "" : `#${tab.dataset.tab}`;
      if (location.hash !== hash) history.replaceState(null, "", `${location.pathname}${location.search}${hash}`);
    }
  }

  for (const tab of tabs) {
    tab.addEventListener("click", () => showTab(tab.dataset.tab, {remember: true}));
    tab.addEventListener("keydown", (event) => {
      const i = tabs.indexOf(tab);
      const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
      if (step) showTab(tabs[(i + step + tabs.length) % tabs.length].dataset.tab, {focus: true, remember: true});
    });
  }
  for (const link of document.querySelectorAll("[data-goto-tab]")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      showTab(link.dataset.gotoTab, {remember: true});
    });
  }
  showTab(location.hash.slice(1));
  window.addEventListener("hashchange", () => showTab(location.hash.slice(1)));

  // ---- data the page was rendered with -----------------------------------------------------------

  const dataNode = document.getElementById("console-data");
  const data = dataNode ? JSON.parse(dataNode.textContent) : {};

  // ---- panels --------------------------------------------------------------------------------------

  function register(panel) {
    panels.push(panel);
  }

  function refresh() {
    refresher();
  }

  window.HallConsole = {
    say, ask, enable, confirmAction, showTab, register, refresh, data, panels,
    setRefresher(fn) { refresher = fn; },
  };
})();
