/* The console's sign-in tab: signin.js draws the attendance panel (figures, quorum, the window,
 * manual sign-in and leave, badge and export links); this colours the seat map and fills the strip. */
(() => {
  "use strict";
  const {t, setText} = Hall;
  const $ = (selector) => document.querySelector(selector);

  HallConsole.register({
    render(state, client) {
      if (!state.attendance) return;
      if (window.HuitangSignin) {
        HuitangSignin.renderConsole(state, $("#signin-panel"), client);
        HuitangSignin.colourSeats(state, $("#console-seatmap"));
      }
      setText("#seatmap-count", (state.present_seats || []).length);
      const a = state.attendance;
      const quorum = a.quorum || {};
      const strip = $("#strip-quorum");
      strip.dataset.reached = quorum.reached ? "yes" : "no";
      setText("#strip-quorum-text", t("strip_quorum", {
        entitled: a.entitled, present: a.present, leave: a.leave, absent: a.absent,
        verdict: quorum.reached ? t("quorum_reached") : t("quorum_short", {n: Math.max(0, (quorum.needed || 0) - a.present)}),
      }));
    },
  });
})();
