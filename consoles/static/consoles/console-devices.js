/* The console's devices panel: the live presence table ({"type": "presence"} messages, see
 * docs/protocol.md "Console: devices and presence"), pairing a seat's tablet or a display by QR,
 * revoking a device and moving a member to a tablet. */
(() => {
  "use strict";
  const {t, el, setText} = Hall;
  const {ask, enable, confirmAction, data} = HallConsole;
  const $ = (selector) => document.querySelector(selector);

  const LOW_BATTERY = 20;
  const rows = new Map();  // device id → presence row
  const trs = new Map();  // device id → <tr>
  const collator = new Intl.Collator(document.documentElement.lang || "zh", {numeric: true});
  const seats = data.seats || [];
  const seatByLabel = new Map(seats.map((s) => [s.label, s]));
  const seatById = new Map(seats.map((s) => [s.id, s]));
  let received = false;
  let online = false;

  // ---- presence ----------------------------------------------------------------------------------

  function onPresence(message) {
    if (message.full) {
      rows.clear();
      for (const tr of trs.values()) tr.remove();
      trs.clear();
    }
    for (const row of message.devices || []) {
      if (row.revoked) {
        rows.delete(row.id);
        const tr = trs.get(row.id);
        if (tr) tr.remove();
        trs.delete(row.id);
      } else {
        rows.set(row.id, row);
      }
    }
    received = true;
    renderTable();
  }

  function problem(row) {
    return row.dropped || !row.online || (typeof row.battery === "number" && row.battery < LOW_BATTERY && !row.charging);
  }

  /** "14:03:22" for today in the hall's time zone (the offset the server wrote), else "11-24 14:03:22". */
  function timeOf(iso) {
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?([+-]\d{2}):?(\d{2})?/.exec(iso || "");
    if (!m) return "—";
    const offsetMinutes = (m[3].startsWith("-") ? -1 : 1) * (Math.abs(Number(m[3])) * 60 + Number(m[4] || 0));
    const today = new Date(Date.now() + offsetMinutes * 60000).toISOString().slice(0, 10);
    return m[1] === today ? m[2] : `${m[1].slice(5)} ${m[2]}`;
  }

  function batteryCell(row) {
    if (typeof row.battery !== "number") return el("span", {class: "muted", text: "—"});
    const low = row.battery < LOW_BATTERY && !row.charging;
    return el("span", {class: "battery", dataset: {low: low ? "yes" : "no"}},
      el("span", {class: "battery__bar", "aria-hidden": "true"}, el("span", {style: `width:${row.battery}%`})),
      el("span", {class: "battery__value", text: `${row.battery}%`}),
      row.charging ? el("span", {class: "battery__charging", text: t("dev.charging")}) : null);
  }

  function statusCell(row) {
    const cell = el("span", {class: "dev-status", dataset: {online: row.online ? "yes" : "no"}},
      row.online ? t("dev.online") : t("dev.offline"));
    if (row.dropped) return [cell, " ", el("strong", {class: "dev-flag", text: t("dev.dropped")})];
    return cell;
  }

  function rowNode(row) {
    const tr = el("tr", {dataset: {device: row.id, seatId: row.seat_id ?? "", online: row.online ? "yes" : "no",
      dropped: row.dropped ? "yes" : "no", kind: row.kind}, class: row.dropped ? "is-dropped" : (row.online ? "" : "is-offline")},
    el("th", {scope: "row", class: "dev-seat", text: row.seat || (row.kind === "display" ? t("dev.hall") : "—")}),
    el("td", {text: t(`dev.kind.${row.kind}`, null, row.kind) + (row.demo ? ` ${t("dev.demo")}` : "")}),
    el("td", {class: "dev-state"}, statusCell(row)),
    el("td", {class: "dev-member", text: row.member || "—"}),
    el("td", {class: "dev-seen", title: row.last_seen || "", text: row.online ? t("dev.now") : timeOf(row.last_seen)}),
    el("td", {class: "dev-battery"}, batteryCell(row)),
    el("td", {class: "dev-actions"},
      row.kind === "tablet" && row.seat_id ? el("button", {type: "button", class: "btn btn--small", text: t("dev.pair"),
        disabled: !online, onclick: () => openPairing("tablet", row.seat_id)}) : null,
      row.kind === "tablet" ? el("button", {type: "button", class: "btn btn--small", text: t("dev.transfer"),
        disabled: !online, onclick: () => openTransfer(row.id)}) : null,
      el("button", {type: "button", class: "btn btn--small btn--danger", text: t("dev.revoke"),
        disabled: !online, onclick: () => revoke(row.id)})));
    return tr;
  }

  function matches(row, filter, query) {
    if (filter === "problems" && !problem(row)) return false;
    if (filter === "dropped" && !row.dropped) return false;
    if (filter === "offline" && row.online) return false;
    if (filter === "low" && !(typeof row.battery === "number" && row.battery < LOW_BATTERY)) return false;
    if (!query) return true;
    return [row.seat, row.member, row.id].some((v) => v && String(v).includes(query));
  }

  function sortKey(a, b) {
    if (a.kind !== b.kind) return a.kind === "display" ? -1 : 1;
    return collator.compare(a.seat || "", b.seat || "") || collator.compare(a.id, b.id);
  }

  function renderTable() {
    const body = $("#dev-rows");
    const filter = $("#dev-filter").value;
    const query = $("#dev-search").value.trim();
    const all = [...rows.values()];
    const shown = all.filter((r) => matches(r, filter, query)).sort(sortKey);
    // Rebuild only the rows that changed; order stays by seat so nothing jumps under the pointer.
    const nodes = shown.map((row) => {
      const key = JSON.stringify(row) + online;
      let tr = trs.get(row.id);
      if (!tr || tr.dataset.key !== key) {
        const fresh = rowNode(row);
        fresh.dataset.key = key;
        if (tr) tr.replaceWith(fresh);
        trs.set(row.id, fresh);
        tr = fresh;
      }
      return tr;
    });
    body.replaceChildren(...nodes);
    $("#dev-empty").hidden = !received || nodes.length > 0;
    setText("#dev-empty", all.length ? t("dev.none_match") : t("dev.none"));
    $("#dev-waiting").hidden = received;

    const count = (fn) => all.filter(fn).length;
    const dropped = all.filter((r) => r.dropped);
    setText("#dev-count-online", count((r) => r.online));
    setText("#dev-count-total", all.length);
    setText("#dev-count-offline", count((r) => !r.online));
    setText("#dev-count-dropped", dropped.length);
    setText("#dev-count-low", count((r) => typeof r.battery === "number" && r.battery < LOW_BATTERY && !r.charging));
    const alert = $("#dev-alert");
    alert.hidden = !dropped.length;
    if (dropped.length) {
      const seatsText = dropped.map((r) => r.seat || r.id.slice(0, 8)).sort(collator.compare);
      setText("#dev-alert-text", t("dev.dropped_alert", {n: dropped.length,
        seats: seatsText.slice(0, 12).join("、") + (seatsText.length > 12 ? t("and_more", {n: seatsText.length - 12}) : "")}));
    }
    const strip = $("#strip-devices");
    strip.dataset.alert = dropped.length ? "yes" : "no";
    setText("#strip-devices-text", dropped.length ? t("dev.strip_dropped", {n: dropped.length, online: count((r) => r.online), total: all.length})
      : t("dev.strip", {online: count((r) => r.online), total: all.length}));
  }

  $("#dev-filter").addEventListener("change", renderTable);
  $("#dev-search").addEventListener("input", renderTable);
  $("#dev-alert-show").addEventListener("click", () => {
    $("#dev-filter").value = "dropped";
    renderTable();
  });

  // ---- revoke -----------------------------------------------------------------------------------------

  async function revoke(deviceId) {
    const row = rows.get(deviceId);
    if (!row) return;
    const ok = await confirmAction({
      title: t("dev.revoke_title"),
      body: [el("p", {class: "confirm-subject", text: [t(`dev.kind.${row.kind}`, null, row.kind), row.seat, row.member]
        .filter(Boolean).join(" · ")}), t("dev.revoke_body")],
      confirm: t("dev.revoke_confirm"), danger: true,
    });
    if (ok) ask("device.revoke", {device: deviceId}, {success: () => t("dev.revoked", {seat: row.seat || ""})});
  }

  // ---- pairing -----------------------------------------------------------------------------------------

  const pairDialog = $("#pair-dialog");
  const pairError = $("#pair-error");
  let expiryTimer = null;

  function openPairing(kind = "tablet", seatId = null) {
    clearInterval(expiryTimer);
    pairDialog.querySelector(`input[name=pair-kind][value=${kind}]`).checked = true;
    $("#pair-seat").value = seatId !== null && seatById.has(seatId) ? seatById.get(seatId).label : "";
    $("#pair-step-ask").hidden = false;
    $("#pair-step-code").hidden = true;
    pairError.hidden = true;
    syncPairKind();
    pairDialog.showModal();
    (kind === "tablet" ? $("#pair-seat") : $("#pair-generate")).focus();
  }

  function syncPairKind() {
    const kind = pairDialog.querySelector("input[name=pair-kind]:checked").value;
    $("#pair-seat-field").hidden = kind !== "tablet";
    const seat = seatByLabel.get($("#pair-seat").value.trim());
    setText("#pair-seat-member", seat && seat.member ? t("dev.seat_member", {name: seat.member}) : "");
  }

  pairDialog.addEventListener("change", syncPairKind);
  $("#pair-seat").addEventListener("input", syncPairKind);
  $("#pair-new").addEventListener("click", () => openPairing());
  $("#pair-done").addEventListener("click", () => pairDialog.close());
  $("#pair-cancel").addEventListener("click", () => pairDialog.close());
  pairDialog.addEventListener("close", () => clearInterval(expiryTimer));

  $("#pair-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const kind = pairDialog.querySelector("input[name=pair-kind]:checked").value;
    const body = new FormData();
    body.set("kind", kind);
    if (kind === "tablet") {
      const seat = seatByLabel.get($("#pair-seat").value.trim());
      if (!seat) {
        pairError.textContent = t("dev.no_such_seat");
        pairError.hidden = false;
        $("#pair-seat").focus();
        return;
      }
      body.set("seat", String(seat.id));
    }
    const button = $("#pair-generate");
    button.disabled = true;
    let reply;
    let status = 0;
    try {
      const response = await fetch(`/console/${data.meeting}/pairing-code/`, {
        method: "POST", body, credentials: "same-origin",
        headers: {"X-CSRFToken": document.querySelector("#pair-form [name=csrfmiddlewaretoken]").value},
      });
      status = response.status;
      reply = await response.json().catch(() => ({message: t("dev.server_said", {status})}));
    } catch (_) {
      reply = {message: t("offline")};
    } finally {
      button.disabled = false;
    }
    if (status !== 200 || !reply.svg) {
      pairError.textContent = reply.message || t("dev.server_said", {status});
      pairError.hidden = false;
      HallConsole.say(pairError.textContent, "error");
      return;
    }
    showCode(kind, reply);
  });

  function showCode(kind, reply) {
    const svg = new DOMParser().parseFromString(reply.svg, "image/svg+xml").documentElement;
    $("#pair-qr").replaceChildren(document.importNode(svg, true));
    const seat = seatByLabel.get($("#pair-seat").value.trim());
    setText("#pair-for", kind === "tablet" && seat ? t("dev.pair_for_seat", {seat: seat.label}) : t("dev.pair_for_display"));
    const link = $("#pair-url");
    link.textContent = reply.url;
    link.href = reply.url;
    $("#pair-step-ask").hidden = true;
    $("#pair-step-code").hidden = false;
    const until = Date.now() + (reply.expires_in || 300) * 1000;
    const tick = () => {
      const left = Math.max(0, (until - Date.now()) / 1000);
      const box = $("#pair-expiry");
      box.dataset.expired = left <= 0 ? "yes" : "no";
      box.textContent = left > 0 ? t("dev.expires_in", {clock: PollView.clock(left)}) : t("dev.expired");
      $("#pair-qr").classList.toggle("is-expired", left <= 0);
      if (left <= 0) clearInterval(expiryTimer);
    };
    clearInterval(expiryTimer);
    tick();
    expiryTimer = setInterval(tick, 500);
    $("#pair-done").focus();
  }

  // ---- moving a member to a tablet ---------------------------------------------------------------------

  const transferDialog = $("#transfer-dialog");
  const transferError = $("#transfer-error");
  let transferDevice = null;
  let chosenMember = null;
  let searchTimer = null;

  function openTransfer(deviceId) {
    const row = rows.get(deviceId);
    if (!row) return;
    transferDevice = deviceId;
    chosenMember = null;
    setText("#transfer-device", [row.seat || "—", row.member ? t("dev.now_bound", {name: row.member}) : t("dev.unbound")].join(" · "));
    $("#transfer-query").value = "";
    $("#transfer-results").replaceChildren();
    $("#transfer-release").hidden = !row.member;
    transferError.hidden = true;
    syncTransfer();
    transferDialog.showModal();
    $("#transfer-query").focus();
  }

  function syncTransfer() {
    enable($("#transfer-confirm"), online && !!chosenMember);
    setText("#transfer-confirm", chosenMember ? t("dev.transfer_confirm", {name: chosenMember.name}) : t("dev.transfer_pick"));
  }

  async function searchMembers() {
    const q = $("#transfer-query").value.trim();
    const list = $("#transfer-results");
    if (!q) {
      list.replaceChildren();
      return;
    }
    let found;
    try {
      const response = await fetch(`/console/${data.meeting}/signin/members/?q=${encodeURIComponent(q)}`,
        {credentials: "same-origin"});
      found = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(found.message || t("dev.server_said", {status: response.status}));
    } catch (error) {
      transferError.textContent = error instanceof TypeError ? t("offline") : error.message;
      transferError.hidden = false;
      return;
    }
    transferError.hidden = true;
    if (q !== $("#transfer-query").value.trim()) return;  // typed on since
    const members = found.members || [];
    list.replaceChildren(...members.map((m) => el("li", {},
      el("button", {type: "button", class: "member-pick", dataset: {member: m.id},
        "aria-pressed": chosenMember && chosenMember.id === m.id ? "true" : "false",
        onclick: (event) => {
          chosenMember = m;
          for (const b of list.querySelectorAll(".member-pick")) b.setAttribute("aria-pressed", "false");
          event.currentTarget.setAttribute("aria-pressed", "true");
          syncTransfer();
        }},
      el("strong", {text: m.name}), " ",
      el("span", {class: "muted small", text: [m.number, m.delegation, m.seat].filter(Boolean).join(" · ")})))));
    if (!members.length) list.append(el("li", {class: "muted", text: t("dev.no_member")}));
  }

  $("#transfer-query").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(searchMembers, 250);
  });
  $("#transfer-query").addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(searchTimer);
      searchMembers();
    }
  });
  $("#transfer-cancel").addEventListener("click", () => transferDialog.close());

  $("#transfer-confirm").addEventListener("click", async () => {
    if (!chosenMember || !transferDevice) return;
    const row = rows.get(transferDevice) || {};
    const reply = await ask("device.transfer", {member: chosenMember.id, device: transferDevice}, {
      button: $("#transfer-confirm"), where: transferError,
      success: () => t("dev.transferred", {name: chosenMember.name, seat: row.seat || ""}),
    });
    if (reply.type === "ok") transferDialog.close();
  });

  $("#transfer-release").addEventListener("click", async () => {
    const row = rows.get(transferDevice) || {};
    const ok = await confirmAction({
      title: t("dev.release_title"),
      body: [el("p", {class: "confirm-subject", text: [row.seat, row.member].filter(Boolean).join(" · ")}),
        t("dev.release_body")],
      confirm: t("dev.release_confirm"), danger: true,
    });
    if (!ok) return;
    const reply = await ask("device.release", {device: transferDevice}, {
      button: $("#transfer-release"), where: transferError,
      success: () => t("dev.released", {name: row.member || "", seat: row.seat || ""}),
    });
    if (reply.type === "ok") transferDialog.close();
  });

  // ---- the panel ---------------------------------------------------------------------------------------

  HallConsole.register({
    render() {
      const now = hall.status === "online";
      enable($("#pair-new"), now);
      syncTransfer();
      if (now !== online) {
        online = now;
        renderTable();
      }
    },
    message(message) {
      if (message.type === "presence") onPresence(message);
    },
  });

  $("#seat-options").replaceChildren(...seats.map((s) => el("option", {value: s.label, text: s.member || ""})));
})();
