/* Sign-in panels for the three surfaces, drawn from the hall state (docs/protocol.md, "Sign-in").
 *
 *   HuitangSignin.renderConsole(state, element, client)  attendance, quorum, the window, manual
 *                                                        sign-in / leave / badge reissue, files
 *   HuitangSignin.renderDisplay(state, element)          big 应到/实到/请假/缺席/列席 and quorum
 *   HuitangSignin.renderTablet(state, element, client)   the 签到 button, my status, sub-venue code
 *   HuitangSignin.colourSeats(state, container)          .is-signed-in on [data-seat-id] elements
 *
 * Call them from the page's render function after every snapshot and event; each builds its
 * element once and then only updates it, so typing and focus survive. ``client`` is the page's
 * Hall client (hall.request(type, fields) → Promise of the ok/error reply). Texts go through
 * Hall.t(key, vars, fallback) so a page can translate them with <span data-k="signin.…">.
 * Needs hall.js first, and signin.css.
 */
(() => {
  "use strict";
  const tr = (key, vars, fallback) => (window.Hall ? Hall.t(`signin.${key}`, vars, fallback) : fallback);
  const el = (...args) => Hall.el(...args);

  const FIGURES = [
    ["entitled", "应到"], ["present", "实到"], ["leave", "请假"], ["absent", "缺席"], ["attendees", "列席"],
  ];

  function clock(iso) {
    const m = /T(\d{2}:\d{2})(:\d{2})?/.exec(iso || "");
    return m ? m[1] : "";
  }

  function quorumText(quorum, attendance) {
    if (!quorum) return "";
    if (quorum.reached) return tr("quorum_yes", null, "已达到法定人数");
    const short = Math.max(0, quorum.needed - attendance.present);
    return tr("quorum_no", {n: short}, `未达到法定人数（还差${short}人）`);
  }

  function figuresBlock(root, big) {
    const grid = el("dl", {class: big ? "hs-figures hs-figures--big" : "hs-figures"});
    for (const [key, label] of FIGURES) {
      grid.append(el("div", {class: `hs-figure hs-figure--${key}`},
        el("dt", {text: tr(`fig.${key}`, null, label)}),
        el("dd", {dataset: {signinFigure: key}, text: "—"})));
    }
    root.append(grid);
    root.append(el("p", {class: "hs-quorum", dataset: {signinQuorum: ""}},
      el("strong", {class: "hs-quorum__state"}), " ", el("span", {class: "hs-quorum__rule muted"})));
  }

  function updateFigures(root, attendance) {
    for (const node of root.querySelectorAll("[data-signin-figure]")) {
      const value = attendance[node.dataset.signinFigure];
      node.textContent = value === undefined ? "—" : String(value);
    }
    const q = root.querySelector("[data-signin-quorum]");
    if (q) {
      const quorum = attendance.quorum || {};
      q.dataset.reached = quorum.reached ? "yes" : "no";
      q.querySelector(".hs-quorum__state").textContent = quorumText(quorum, attendance);
      q.querySelector(".hs-quorum__rule").textContent = quorum.rule_label
        ? tr("quorum_rule", {rule: quorum.rule_label, n: quorum.needed}, `${quorum.rule_label}，至少${quorum.needed}人`)
        : "";
    }
  }

  // ---- the console ---------------------------------------------------------------------------

  function renderConsole(state, element, client) {
    if (!state || !state.attendance || !element) return;
    const meetingId = state.meeting && state.meeting.id;
    if (element.dataset.signinReady !== "console") buildConsole(element, meetingId);
    element._signinClient = client;
    const attendance = state.attendance;
    updateFigures(element, attendance);
    const win = attendance.window || {};
    const stateNode = element.querySelector("[data-signin-window]");
    stateNode.dataset.state = win.state;
    stateNode.textContent = win.state_label || win.state;
    const times = [];
    if (win.opened_at) times.push(tr("opened_at", {t: clock(win.opened_at)}, `开始 ${clock(win.opened_at)}`));
    if (win.closed_at) times.push(tr("closed_at", {t: clock(win.closed_at)}, `截止 ${clock(win.closed_at)}`));
    element.querySelector("[data-signin-times]").textContent = times.join("　");
    const online = !client || client.status === undefined || client.status === "online";
    const ended = state.meeting && state.meeting.state === "closed";
    element.querySelector("[data-signin-open]").disabled = !online || ended || win.state === "open";
    element.querySelector("[data-signin-open]").textContent = win.state === "closed"
      ? tr("reopen", null, "重新开始签到") : tr("open", null, "开始签到");
    element.querySelector("[data-signin-close]").disabled = !online || win.state !== "open";
    const seats = element.querySelector("[data-signin-seats]");
    if (seats) seats.textContent = String((state.present_seats || []).length);
  }

  function buildConsole(element, meetingId) {
    element.dataset.signinReady = "console";
    element.classList.add("hs-console");
    element.replaceChildren();
    const base = `/console/${meetingId}`;
    const say = el("p", {class: "hs-say", role: "status", "aria-live": "polite"});

    async function ask(button, type, fields, done) {
      const client = element._signinClient;
      if (!client) return null;
      if (button) button.disabled = true;
      const reply = await client.request(type, fields);
      if (button) button.disabled = false;
      say.dataset.kind = reply.type === "ok" ? "ok" : "error";
      say.textContent = reply.type === "ok" ? (done ? done(reply) : tr("done", null, "操作成功"))
        : (reply.message || reply.code);
      return reply;
    }

    element.append(el("h2", {class: "card__title", text: tr("title", null, "签到与法定人数")}));
    figuresBlock(element, false);
    element.append(el("div", {class: "hs-window"},
      el("span", {}, tr("window", null, "签到："), el("span", {class: "hs-window__state", dataset: {signinWindow: ""}})),
      el("span", {class: "muted small", dataset: {signinTimes: ""}}),
      el("span", {class: "hs-window__actions"},
        el("button", {type: "button", class: "btn btn--primary", dataset: {signinOpen: ""},
          onclick: (e) => ask(e.currentTarget, "signin.open", {}, () => tr("opened", null, "签到已开始"))},
          tr("open", null, "开始签到")),
        el("button", {type: "button", class: "btn", dataset: {signinClose: ""},
          onclick: (e) => ask(e.currentTarget, "signin.close", {}, () => tr("closed", null, "签到已截止，之后签到记为迟到"))},
          tr("close", null, "结束签到")))));
    element.append(say);

    // Find a member: manual sign-in (reason required), leave, reissue a badge.
    const results = el("ul", {class: "hs-roster"});
    const query = el("input", {class: "input", type: "search", maxlength: "50",
      placeholder: tr("search", null, "输入姓名、代表证号或代表团查找人员"), "aria-label": tr("search_label", null, "查找人员")});
    let searchTimer = null;

    async function search() {
      const q = query.value.trim();
      if (!q) {
        results.replaceChildren();
        return;
      }
      let data;
      try {
        const response = await fetch(`${base}/signin/members/?q=${encodeURIComponent(q)}`, {credentials: "same-origin"});
        data = await response.json();
      } catch (_) {
        return;
      }
      if (q !== query.value.trim()) return;  // typed on since
      results.replaceChildren(...(data.members || []).map(row));
      if (!(data.members || []).length) results.append(el("li", {class: "muted", text: tr("none", null, "没有找到")}));
    }

    function row(m) {
      const reason = el("input", {class: "input hs-reason", type: "text", maxlength: "200", hidden: true});
      const confirm = el("button", {type: "button", class: "btn btn--primary", hidden: true, text: tr("confirm", null, "确定")});
      let action = null;

      function want(kind, placeholder) {
        action = kind;
        reason.placeholder = placeholder;
        reason.hidden = false;
        confirm.hidden = false;
        reason.focus();
      }

      confirm.addEventListener("click", async () => {
        const type = action === "manual" ? "signin.manual" : "signin.leave";
        const reply = await ask(confirm, type, {member: m.id, reason: reason.value},
          () => (action === "manual" ? tr("manual_ok", {name: m.name}, `${m.name}已人工签到`)
            : tr("leave_ok", {name: m.name}, `已登记${m.name}请假`)));
        if (reply && reply.type === "ok") search();
      });
      reason.addEventListener("keydown", (e) => { if (e.key === "Enter") confirm.click(); });

      const signedIn = m.status === "signed_in";
      return el("li", {class: `hs-roster__row is-${m.status}`, dataset: {member: m.id}},
        el("span", {class: "hs-roster__who"},
          el("strong", {text: m.name}), " ",
          el("span", {class: "muted small", text: [m.number, m.delegation, m.seat].filter(Boolean).join(" · ")})),
        el("span", {class: "hs-roster__status", text: m.status_label + (m.late ? `（${tr("late", null, "迟到")}）` : "")
          + (signedIn && m.at ? ` ${clock(m.at)} ${m.method_label}` : "")}),
        el("span", {class: "hs-roster__actions"},
          signedIn ? null : el("button", {type: "button", class: "btn", text: tr("manual", null, "人工签到"),
            onclick: () => want("manual", tr("manual_reason", null, "人工签到原因（必填）"))}),
          signedIn || m.status === "leave" ? null : el("button", {type: "button", class: "btn", text: tr("leave", null, "请假"),
            onclick: () => want("leave", tr("leave_reason", null, "请假事由"))}),
          el("button", {type: "button", class: "btn", text: tr("reissue", null, "补发代表码"),
            onclick: async (e) => {
              const reply = await ask(e.currentTarget, "signin.badge_revoke", {member: m.id},
                () => tr("reissued", {name: m.name}, `${m.name}的旧代表码已作废，请打印新代表码`));
              if (reply && reply.type === "ok") window.open(`${base}/badges.pdf?member=${m.id}`, "_blank", "noopener");
            }})),
        reason, confirm);
    }

    query.addEventListener("input", () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(search, 250);
    });
    element.append(el("div", {class: "hs-find"}, query, results));

    element.append(el("p", {class: "hs-links small"},
      el("a", {href: `${base}/scanner/`, target: "_blank", rel: "noopener", text: tr("scanner", null, "打开签到扫码页")}), " · ",
      el("a", {href: `${base}/badges.pdf`, text: tr("badges", null, "打印代表码")}), " · ",
      el("a", {href: `${base}/signin.pdf`, text: tr("export_pdf", null, "导出签到记录（PDF）")}), " · ",
      el("a", {href: `${base}/signin.xlsx`, text: tr("export_xlsx", null, "导出签到记录（Excel）")}), " · ",
      el("span", {class: "muted"}, tr("seats_coloured", null, "已签到座位："), el("span", {dataset: {signinSeats: ""}, text: "0"}))));
  }

  // ---- the hall display ----------------------------------------------------------------------

  function renderDisplay(state, element) {
    if (!state || !state.attendance || !element) return;
    if (element.dataset.signinReady !== "display") {
      element.dataset.signinReady = "display";
      element.classList.add("hs-display");
      element.replaceChildren(el("h2", {class: "hs-display__title", text: tr("display_title", null, "签到情况")}));
      figuresBlock(element, true);
    }
    updateFigures(element, state.attendance);
  }

  // ---- the delegate's tablet -------------------------------------------------------------------

  function renderTablet(state, element, client) {
    if (!element) return;
    const mine = state && state.my_attendance;
    element.hidden = !mine;
    if (!mine) return;
    if (element.dataset.signinReady !== "tablet") buildTablet(element);
    element._signinClient = client;
    const win = (state.attendance && state.attendance.window) || {};
    const status = element.querySelector("[data-signin-status]");
    const button = element.querySelector("[data-signin-tap]");
    const note = element.querySelector("[data-signin-note]");
    const venue = element.querySelector(".hs-venue");
    element.dataset.status = mine.status;
    const signedIn = mine.status === "signed_in";
    if (signedIn) {
      status.textContent = tr("signed_in", {t: clock(mine.at)}, `已签到 ${clock(mine.at)}`)
        + (mine.late ? `（${tr("late", null, "迟到")}）` : "");
      note.textContent = [mine.method_label, mine.place].filter(Boolean).join(" · ");
    } else {
      status.textContent = mine.status === "leave" ? tr("on_leave", null, "已请假") : tr("not_signed_in", null, "尚未签到");
      note.textContent = win.state === "not_started" ? tr("not_started", null, "签到尚未开始")
        : win.state === "closed" ? tr("after_close", null, "签到已截止，现在签到将记为迟到") : "";
    }
    button.hidden = signedIn;
    button.disabled = win.state === "not_started" || (client && client.status !== undefined && client.status !== "online");
    element.querySelector(".hs-venue-toggle").hidden = signedIn;
    if (signedIn) venue.hidden = true;
  }

  function buildTablet(element) {
    element.dataset.signinReady = "tablet";
    element.classList.add("hs-tablet");
    element.replaceChildren();
    const say = el("p", {class: "hs-say", role: "status", "aria-live": "polite"});

    async function send(button, type, fields) {
      const client = element._signinClient;
      if (!client) return null;
      button.disabled = true;
      const reply = await client.request(type, fields);
      button.disabled = false;
      say.dataset.kind = reply.type === "ok" ? "ok" : "error";
      say.textContent = reply.type === "ok"
        ? (reply.already ? tr("already", null, "您已签到") : tr("tap_ok", null, "签到成功"))
        : (reply.message || reply.code);
      return reply;
    }

    const code = el("input", {class: "input", type: "text", inputmode: "numeric", maxlength: "40", autocomplete: "off",
      placeholder: tr("venue_code", null, "输入屏幕上的签到码"), "aria-label": tr("venue_code", null, "输入屏幕上的签到码")});
    const submit = el("button", {type: "button", class: "btn btn--primary", text: tr("venue_submit", null, "提交")});
    const video = el("video", {class: "hs-video", playsinline: true, muted: true, hidden: true});
    const camera = el("button", {type: "button", class: "btn", hidden: true, text: tr("venue_camera", null, "扫码")});
    const venue = el("div", {class: "hs-venue", hidden: true},
      el("p", {class: "muted small", text: tr("venue_help", null, "在分会场，请扫描或输入分会场屏幕上的签到码。")}),
      el("div", {class: "hs-venue__row"}, code, submit, camera), video);

    async function sendCode(value) {
      if (!value.trim()) return;
      const reply = await send(submit, "signin.venue", {code: value.trim()});
      if (reply && reply.type === "ok") {
        code.value = "";
        stopCamera();
      }
    }

    submit.addEventListener("click", () => sendCode(code.value));
    code.addEventListener("keydown", (e) => { if (e.key === "Enter") sendCode(code.value); });

    let stream = null;
    function stopCamera() {
      if (stream) stream.getTracks().forEach((track) => track.stop());
      stream = null;
      video.hidden = true;
    }
    if ("BarcodeDetector" in window && navigator.mediaDevices) camera.hidden = false;
    camera.addEventListener("click", async () => {
      if (stream) return stopCamera();
      try {
        stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false});
      } catch (_) {
        return;
      }
      const detector = new window.BarcodeDetector({formats: ["qr_code"]});
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      const tick = async () => {
        if (!stream) return;
        try {
          const found = await detector.detect(video);
          if (found.length && found[0].rawValue) return sendCode(found[0].rawValue);
        } catch (_) { /* unreadable frame */ }
        setTimeout(tick, 250);
      };
      tick();
    });

    element.append(
      el("h2", {class: "card__title", text: tr("tablet_title", null, "签到")}),
      el("p", {class: "hs-status", dataset: {signinStatus: ""}}),
      el("p", {class: "muted small", dataset: {signinNote: ""}}),
      el("button", {type: "button", class: "btn btn--primary hs-tap", dataset: {signinTap: ""},
        text: tr("tap", null, "签　到"), onclick: (e) => send(e.currentTarget, "signin.tap", {})}),
      el("p", {class: "small"}, el("a", {href: "#", class: "hs-venue-toggle", text: tr("venue_toggle", null, "在分会场？输入签到码"),
        onclick: (e) => { e.preventDefault(); venue.hidden = !venue.hidden; if (!venue.hidden) code.focus(); }})),
      venue, say);
  }

  // ---- the seat map ----------------------------------------------------------------------------

  /** Mark signed-in seats: every element under ``container`` with data-seat-id gets or loses
   * .is-signed-in (works for SVG <circle>/<rect> and for HTML alike). */
  function colourSeats(state, container) {
    if (!state || !container) return;
    const present = new Set((state.present_seats || []).map(String));
    for (const node of container.querySelectorAll("[data-seat-id]")) {
      node.classList.toggle("is-signed-in", present.has(node.dataset.seatId || node.getAttribute("data-seat-id")));
    }
  }

  window.HuitangSignin = {renderConsole, renderDisplay, renderTablet, colourSeats, quorumText};
})();
