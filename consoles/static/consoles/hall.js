/* Huitang hall protocol client: docs/protocol.md, nothing more.
 *
 *   const hall = Hall.boot(render);          // socket path from <body data-socket="/ws/...">
 *   hall.state                               // the snapshot with every event applied in order
 *   await hall.request("meeting.open")       // resolves with the {type:"ok"|"error", id, ...} reply
 *
 * The client keeps last[view] from the snapshot's heads, applies each event's data as a patch
 * (replace the top-level keys it names), and asks for a fresh snapshot when an event's prev shows
 * a gap. It reconnects with backoff (0.5 s doubling to 10 s, with jitter) unless the server
 * refused it (close code 4403), in which case it shows the server's reason and stays closed.
 */
(() => {
  "use strict";

  const REFUSED = 4403;
  // Refusals that a fresh connection cures (the device was too slow to answer its challenge).
  const RETRYABLE_REFUSALS = new Set(["auth_timeout", "auth_required"]);
  const BACKOFF_FIRST_MS = 500;
  const BACKOFF_MAX_MS = 10000;
  const REQUEST_TIMEOUT_MS = 15000;
  const KEEPALIVE_MS = 25000;

  // ---- the server's clock ----
  // Countdowns run on the server's time: a tablet or a hall screen on an isolated network may be
  // minutes off. Every snapshot and every pong carries the server's `now` (ms since the epoch). An
  // estimate replaces the one held if it is as precise (half its round trip; a snapshot's round
  // trip is unknown, counted as 1 s) or precise enough anyway, so a clock that is corrected on
  // the device is followed within a ping.
  const GOOD_ENOUGH_MS = 250;

  let skew = 0;  // this page's clock minus the server's, ms
  let skewError = Infinity;

  function noteServerTime(now, sentAt, receivedAt) {
    if (typeof now !== "number" || !Number.isFinite(now)) return;
    const error = sentAt === null ? 1000 : (receivedAt - sentAt) / 2;
    if (error > Math.max(skewError, GOOD_ENOUGH_MS)) return;
    skewError = error;
    skew = (sentAt === null ? receivedAt : (sentAt + receivedAt) / 2) - now;
  }

  /** The server's time now, as this page estimates it (ms since the epoch). */
  function serverNow() {
    return Date.now() - skew;
  }

  // ---- strings: translated on the server, rendered into #hall-strings by the template ----

  const strings = new Map();

  function loadStrings() {
    for (const el of document.querySelectorAll("#hall-strings [data-k]")) {
      strings.set(el.dataset.k, el.textContent);
    }
  }

  /** t("item_order", {n: 3}) → "第3项"; unknown keys fall back to `fallback` or the key. */
  function t(key, vars, fallback) {
    let text = strings.has(key) ? strings.get(key) : (fallback ?? key);
    if (vars) {
      for (const [name, value] of Object.entries(vars)) text = text.split(`{${name}}`).join(String(value));
    }
    return text;
  }

  // ---- small DOM helpers shared by the three surfaces ----

  /** el("li", {class: "x", dataset: {item: 3}}, "text", childNode, …) — text is never parsed as HTML. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "dataset") Object.assign(node.dataset, value);
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** Set the text of every element matching selector (no-op when there is none). */
  function setText(selector, value, root = document) {
    for (const node of root.querySelectorAll(selector)) node.textContent = value ?? "";
  }

  function lang() {
    return (document.documentElement.lang || "zh-hans").toLowerCase();
  }

  /** The meeting's local date and time as the hall reads it, e.g. 2025年3月5日 09:00. */
  function formatDateTime(iso) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso || "");
    if (!m) return iso || "";
    const [, y, mo, d, hh, mm] = m;
    if (lang().startsWith("zh")) return `${+y}年${+mo}月${+d}日 ${hh}:${mm}`;
    const date = new Date(Date.UTC(+y, +mo - 1, +d));
    const day = new Intl.DateTimeFormat("en-GB", {day: "numeric", month: "long", year: "numeric", timeZone: "UTC"})
      .format(date);
    return `${day}, ${hh}:${mm}`;
  }

  function stateLabel(meeting) {
    return meeting ? t(`state.${meeting.state}`, null, meeting.state_label) : "";
  }

  function kindLabel(meeting) {
    return meeting ? t(`kind.${meeting.kind}`, null, meeting.kind_label) : "";
  }

  function itemKindLabel(item) {
    return item ? t(`item.${item.kind}`, null, "") : "";
  }

  function currentItem(state) {
    if (!state || state.current_item === null || state.current_item === undefined) return null;
    return (state.agenda || []).find((item) => item.id === state.current_item) || null;
  }

  /** An <ol> of the agenda with the current item marked; `button` makes each row a button. */
  function agendaList(state, {button = false, onPick = null, disabled = false} = {}) {
    const items = state.agenda || [];
    const list = el("ol", {class: button ? "agenda agenda--pick" : "agenda"});
    if (!items.length) {
      list.append(el("li", {class: "agenda__empty", text: t("no_agenda")}));
      return list;
    }
    for (const item of items) {
      const current = item.id === state.current_item;
      const parts = [
        el("span", {class: "agenda__order", text: `${item.order}.`}),
        el("span", {class: "agenda__title", text: item.title}),
        el("span", {class: "agenda__now", text: t("now")}),
        el("span", {class: "agenda__kind", text: itemKindLabel(item)}),
      ];
      const row = el("li", {
        class: current ? "agenda__item is-current" : "agenda__item",
        dataset: {item: item.id},
        "aria-current": current ? "step" : null,
      });
      if (button) {
        row.append(el("button", {
          type: "button", class: "agenda__button", dataset: {item: item.id}, disabled,
          "aria-pressed": current ? "true" : "false", onclick: () => onPick && onPick(item),
        }, parts));
      } else {
        row.append(...parts);
      }
      list.append(row);
    }
    return list;
  }

  // ---- the protocol client ----

  class HallClient {
    /**
     * url: the socket's path ("/ws/tablet/3/?device=…") or a full ws(s):// URL.
     * render(state, client, cause): called after every snapshot and every applied event.
     * onMessage(message, client): messages of types this client does not know (e.g. "presence").
     * onChallenge(message, client): a paired device's answer to the server's challenge, e.g.
     *   async () => ({signature, battery}); it is sent as {"type": "auth", ...answer}.
     *   See device.js: HuitangDevice.connectOptions(kind, meeting) makes url and onChallenge.
     */
    constructor({url, render = null, onMessage = null, onStatus = null, onChallenge = null} = {}) {
      this.url = HallClient.socketUrl(url);
      this.render = render;
      this.onMessage = onMessage;
      this.onChallenge = onChallenge;
      this.onStatus = onStatus;
      this.state = null;
      this.device = null;  // a paired device's {id, seat, bound}, from the snapshot
      this.seq = 0;
      this.last = {};
      this.awaitingSnapshot = true;
      this.status = "connecting";
      this.refusal = null;
      this.ws = null;
      this.attempt = 0;
      this.retryTimer = null;
      this.keepaliveTimer = null;
      this.nextId = 1;
      this.pending = new Map();
      this.stats = {connects: 0, snapshots: 0, events: 0, duplicates: 0, gaps: 0};
      this.everOnline = false;
      window.addEventListener("online", () => this.retryNow());
      document.addEventListener("visibilitychange", () => {
        if (document.visibilityState === "visible") this.retryNow();
      });
    }

    static socketUrl(path) {
      if (/^wss?:\/\//.test(path)) return path;
      const scheme = location.protocol === "https:" ? "wss:" : "ws:";
      return `${scheme}//${location.host}${path.startsWith("/") ? "" : "/"}${path}`;
    }

    connect() {
      if (this.status === "refused") return;
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.awaitingSnapshot = true;
      this.refusal = null;
      const ws = new WebSocket(this.url);
      this.ws = ws;
      this.stats.connects += 1;
      ws.onmessage = (event) => { if (this.ws === ws) this.receive(event.data); };
      ws.onclose = (event) => { if (this.ws === ws) this.closed(event.code); };
      ws.onerror = () => {};  // a close event always follows
    }

    // -- incoming --

    receive(text) {
      let message;
      try {
        message = JSON.parse(text);
      } catch (_) {
        return;
      }
      if (!message || typeof message !== "object") return;
      switch (message.type) {
        case "snapshot": return this.applySnapshot(message);
        case "event": return this.applyEvent(message);
        case "ok":
        case "error": return this.reply(message);
        case "challenge":
          if (this.onChallenge) return this.answerChallenge(message);
          // falls through: no device key here, the page handles it (or ignores it)
        default:
          if (this.onMessage) this.onMessage(message, this);
      }
    }

    applySnapshot(message) {
      noteServerTime(message.now, null, Date.now());
      this.state = message.state || {};
      this.device = message.device || null;
      this.seq = message.seq;
      this.last = {...(message.heads || {})};
      this.awaitingSnapshot = false;
      this.attempt = 0;
      this.stats.snapshots += 1;
      this.everOnline = true;
      this.setStatus("online");
      this.startKeepalive();
      this.draw({kind: "snapshot"});
    }

    applyEvent(event) {
      if (this.awaitingSnapshot || !this.state) return;  // the coming snapshot includes it
      const views = Object.keys(this.last).filter((view) => event.prev && view in event.prev);
      if (!views.length) return;  // not addressed to any view this client follows
      if (views.some((view) => event.seq <= this.last[view])) {
        this.stats.duplicates += 1;
        return;
      }
      if (views.some((view) => event.prev[view] !== this.last[view])) {
        this.stats.gaps += 1;
        this.resync();
        return;
      }
      this.state = {...this.state, ...(event.data || {})};
      for (const view of views) this.last[view] = event.seq;
      this.seq = Math.max(this.seq, event.seq);
      this.stats.events += 1;
      this.draw({kind: "event", event});
    }

    resync() {
      this.awaitingSnapshot = true;
      this.send({type: "resync"});
    }

    async answerChallenge(message) {
      const ws = this.ws;
      let answer;
      try {
        answer = await this.onChallenge(message, this);
      } catch (error) {
        // The key is gone or the browser cannot sign: nothing a reconnect would cure.
        if (this.ws !== ws) return;
        this.refusal = {type: "error", id: null, code: error.code || "sign_failed", message: error.message};
        this.ws = null;
        try { ws.close(); } catch (_) { /* already gone */ }
        this.closed(REFUSED);
        return;
      }
      if (answer && this.ws === ws) this.send({...answer, type: "auth"});
    }

    reply(message) {
      if (message.type === "ok" && message.patch && typeof message.patch === "object" && this.state) {
        // A reply that changes this client's own state (a ballot's my_vote) carries it as a patch.
        this.state = {...this.state, ...message.patch};
        this.draw({kind: "reply", reply: message});
      }
      const waiting = message.id !== null && message.id !== undefined ? this.pending.get(message.id) : null;
      if (waiting) {
        this.pending.delete(message.id);
        clearTimeout(waiting.timer);
        waiting.resolve(message);
        return;
      }
      if (message.type === "error" && (message.id === null || message.id === undefined)) {
        this.refusal = message;  // a refusal (unknown device, device revoked…) comes just ahead of a 4403 close
      }
      if (this.onMessage) this.onMessage(message, this);
    }

    draw(cause) {
      if (!this.render) return;
      this.render(this.state, this, cause);
    }

    // -- outgoing --

    send(message) {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
      this.ws.send(JSON.stringify(message));
      return true;
    }

    /** Send {type, id, ...fields}; resolves with the ok/error reply carrying the same id. */
    request(type, fields = {}) {
      const id = `c${this.nextId++}`;
      return new Promise((resolve) => {
        if (!this.send({...fields, type, id})) {
          resolve({type: "error", id, code: "offline", message: t("offline")});
          return;
        }
        const timer = setTimeout(() => {
          if (this.pending.delete(id)) resolve({type: "error", id, code: "timeout", message: t("timeout")});
        }, REQUEST_TIMEOUT_MS);
        this.pending.set(id, {resolve, timer});
      });
    }

    // -- connection life --

    closed(code) {
      this.ws = null;
      this.awaitingSnapshot = true;
      clearInterval(this.keepaliveTimer);
      for (const [id, waiting] of this.pending) {
        clearTimeout(waiting.timer);
        waiting.resolve({type: "error", id, code: "offline", message: t("offline")});
      }
      this.pending.clear();
      if (code === REFUSED && !(this.refusal && RETRYABLE_REFUSALS.has(this.refusal.code))) {
        this.setStatus("refused");
        return;
      }
      this.setStatus("reconnecting");
      const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
      this.attempt += 1;
      const delay = Math.min(BACKOFF_MAX_MS, base * (0.8 + 0.4 * Math.random()));
      this.retryTimer = setTimeout(() => this.connect(), delay);
    }

    /** Skip the rest of the backoff wait (the browser says the network is back). */
    retryNow() {
      if (this.retryTimer !== null && this.status === "reconnecting") this.connect();
    }

    /** A quiet ping now and then; a socket that stops answering is dropped and reconnected. */
    startKeepalive() {
      clearInterval(this.keepaliveTimer);
      this.keepaliveTimer = setInterval(async () => {
        const ws = this.ws;
        if (!ws || this.awaitingSnapshot) return;
        const sentAt = Date.now();
        const reply = await this.request("ping");
        if (reply.type === "ok") noteServerTime(reply.now, sentAt, Date.now());
        if (reply.code === "timeout" && this.ws === ws) {
          this.ws = null;
          try { ws.close(); } catch (_) { /* already gone */ }
          this.closed(1006);
        }
      }, KEEPALIVE_MS);
    }

    setStatus(status) {
      this.status = status;
      document.body.dataset.connection = status;  // body[data-connection=online] for styles and tests
      for (const node of document.querySelectorAll("[data-hall-status]")) {
        node.dataset.state = status;
        node.textContent = t(status);
        node.title = status === "refused" && this.refusal ? this.refusal.message : t(status);
      }
      const alert = document.getElementById("hall-alert");
      if (alert) {
        if (status === "refused") {
          alert.textContent = this.refusal ? this.refusal.message : t("refused");
          alert.dataset.code = this.refusal ? this.refusal.code : "";
          alert.hidden = false;
        } else if (status === "reconnecting" && this.everOnline) {
          alert.textContent = t("lost");
          alert.dataset.code = "";
          alert.hidden = false;
        } else {
          alert.hidden = true;
        }
      }
      if (this.onStatus) this.onStatus(status, this);
    }
  }

  /** Start the page's client: socket path from <body data-socket>, exposed as window.hall. */
  function boot(render, options = {}) {
    loadStrings();
    const client = new HallClient({url: document.body.dataset.socket, render, ...options});
    window.hall = client;
    client.setStatus("connecting");
    client.connect();
    return client;
  }

  loadStrings();
  window.Hall = {
    Client: HallClient, boot, t, el, setText, formatDateTime, stateLabel, kindLabel, itemKindLabel,
    currentItem, agendaList, serverNow,
  };
})();
