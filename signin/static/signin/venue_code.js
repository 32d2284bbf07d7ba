/* A sub-venue's screen: the rotating sign-in code, fetched again as each 10-second window ends. */
(() => {
  "use strict";
  const {t} = Hall;
  const $ = (selector) => document.querySelector(selector);
  const url = document.body.dataset.codeUrl;
  const windowSeconds = Number(document.body.dataset.window) || 10;
  const bar = $("#venue-bar");
  const error = $("#venue-error");
  let timer = null;

  function countdown(seconds) {
    bar.style.transition = "none";
    bar.style.width = `${Math.max(0, Math.min(1, seconds / windowSeconds)) * 100}%`;
    void bar.offsetWidth;  // restart the transition from here
    bar.style.transition = `width ${seconds}s linear`;
    bar.style.width = "0%";
  }

  async function refresh() {
    clearTimeout(timer);
    try {
      const response = await fetch(url, {credentials: "same-origin", cache: "no-store"});
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      $("#venue-qr").innerHTML = data.svg;  // server-made SVG of the code, nothing user-typed
      $("#venue-code-text").textContent = data.code;
      error.hidden = true;
      countdown(data.seconds_left);
      timer = setTimeout(refresh, Math.max(500, data.seconds_left * 1000 + 200));
    } catch (_) {
      error.textContent = t("venue.offline");
      error.hidden = false;
      timer = setTimeout(refresh, 2000);
    }
  }

  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") refresh(); });
  refresh();
})();
