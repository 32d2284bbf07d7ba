/* Huitang device identity: the key a tablet or hall display holds, and how it proves it.
 * docs/protocol.md, "Device authentication" and "Pairing". Shared by the tablet, the display and
 * the pairing pages. Needs hall.js first only for translated strings (Hall.t), and works without.
 *
 *   await HuitangDevice.pair(code)                       // /pair/<code>/: make a key, register it
 *   await HuitangDevice.demoPair("tablet", 7, 12)        // demo pages only
 *   const options = await HuitangDevice.connectOptions("display", 7);
 *   if (options) HuitangDevice.keepPresence(Hall.boot(render, options));
 *
 * The private key is an Ed25519 CryptoKey made with WebCrypto as NON-extractable: no script, not
 * even this one, can read it out; IndexedDB stores the CryptoKey object itself (structured clone),
 * so it stays usable across reloads. Every value on the wire is unpadded base64url, the only
 * spelling the server accepts.
 */
(() => {
  "use strict";

  const DB_NAME = "huitang-devices";
  const DB_VERSION = 1;
  const STORE = "devices";
  const PRESENCE_MS = 60000;

  const t = (key, fallback, vars) => (window.Hall ? window.Hall.t(key, vars, fallback) : fallback);

  /** A failure the page shows to people: `code` for programs, `message` in the page's language. */
  class DeviceError extends Error {
    constructor(code, message) {
      super(message);
      this.name = "DeviceError";
      this.code = code;
    }
  }

  // The messages of the checks below (translated by the page into #hall-strings when it has them).
  const MESSAGES = {
    insecure: "此页面不是安全连接，浏览器不允许生成设备密钥。请使用 HTTPS 地址打开，或在本机用 localhost 访问。",
    no_ed25519: "此浏览器不支持 Ed25519 签名，无法作为会议终端。请升级浏览器（Chrome/Edge 137 或更新版本、Safari 17 或更新版本、Firefox 130 或更新版本）。",
    no_storage: "此浏览器无法保存设备密钥（IndexedDB 不可用，可能处于无痕/隐私模式）。请用普通模式打开。",
    network: "无法连接服务器，请检查网络后重试。",
  };

  function problem(code) {
    return new DeviceError(code, t(`device.${code}`, MESSAGES[code] || code));
  }

  // ---- encodings ----

  function b64url(bytes) {
    const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    let binary = "";
    for (let i = 0; i < view.length; i += 1) binary += String.fromCharCode(view[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function hex(bytes) {
    return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  const utf8 = (text) => new TextEncoder().encode(text);

  // ---- what the browser must have ----

  function subtle() {
    if (!window.isSecureContext || !window.crypto || !window.crypto.subtle) throw problem("insecure");
    return window.crypto.subtle;
  }

  /** Throws a DeviceError when this page cannot hold a device key (checked before anything else). */
  function check() {
    subtle();
    if (!window.indexedDB) throw problem("no_storage");
  }

  async function generate() {
    try {
      // Non-extractable: the private key can sign, never be exported. (A public key is always readable.)
      return await subtle().generateKey({name: "Ed25519"}, false, ["sign", "verify"]);
    } catch (error) {
      if (error instanceof DeviceError) throw error;
      throw problem("no_ed25519");
    }
  }

  async function publicKeyText(keyPair) {
    return b64url(await subtle().exportKey("raw", keyPair.publicKey));
  }

  /** The device's Ed25519 signature over the UTF-8 bytes of `text`, as unpadded base64url. */
  async function sign(record, text) {
    const key = record.keyPair ? record.keyPair.privateKey : record;
    return b64url(await subtle().sign({name: "Ed25519"}, key, utf8(text)));
  }

  async function sha256hex(text) {
    return hex(await subtle().digest("SHA-256", utf8(text)));
  }

  /** `n` random bytes as base64url text (a ballot's secret). */
  function randomText(n = 32) {
    const bytes = new Uint8Array(n);
    window.crypto.getRandomValues(bytes);
    return b64url(bytes);
  }

  // ---- the key store (IndexedDB) ----

  let dbPromise = null;

  function db() {
    if (!window.indexedDB) return Promise.reject(problem("no_storage"));
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, DB_VERSION);
        request.onupgradeneeded = () => {
          const store = request.result.createObjectStore(STORE, {keyPath: "id"});
          store.createIndex("kind", "kind");
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => { dbPromise = null; reject(problem("no_storage")); };
        request.onblocked = () => { dbPromise = null; reject(problem("no_storage")); };
      });
    }
    return dbPromise;
  }

  async function tx(mode, work) {
    const database = await db();
    return new Promise((resolve, reject) => {
      const transaction = database.transaction(STORE, mode);
      const store = transaction.objectStore(STORE);
      let result;
      const request = work(store);
      if (request) request.onsuccess = () => { result = request.result; };
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(problem("no_storage"));
      transaction.onabort = () => reject(problem("no_storage"));
    });
  }

  const save = (record) => tx("readwrite", (store) => store.put(record));
  const get = (id) => tx("readonly", (store) => store.get(id));
  const remove = (id) => tx("readwrite", (store) => store.delete(id));

  /** Every device of this kind paired in this browser, the most recent first. */
  async function list(kind) {
    const rows = (await tx("readonly", (store) => store.index("kind").getAll(kind))) || [];
    return rows.sort((a, b) => (a.pairedAt < b.pairedAt ? 1 : -1));
  }

  /** The device a page acts as: the one named (?device=… on the page's URL), else the latest paired. */
  async function load(kind, deviceId = undefined) {
    const wanted = deviceId === undefined ? new URLSearchParams(location.search).get("device") : deviceId;
    if (wanted) {
      const record = await get(wanted);
      return record && record.kind === kind ? record : null;
    }
    return (await list(kind))[0] || null;
  }

  // ---- pairing ----

  async function postJson(path, body) {
    let response;
    try {
      response = await fetch(path, {
        method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
        credentials: "same-origin",
      });
    } catch (_) {
      throw problem("network");
    }
    let reply = {};
    try { reply = await response.json(); } catch (_) { /* an HTML error page */ }
    if (response.status !== 201) {
      const code = reply.error || `http_${response.status}`;
      throw new DeviceError(code, t(`pair.${code}`, reply.message || MESSAGES.network));
    }
    return reply;
  }

  async function register(path, body, signedText, extra) {
    check();
    const keyPair = await generate();
    const publicKey = await publicKeyText(keyPair);
    const signature = await sign(keyPair.privateKey, signedText);
    const reply = await postJson(path, {...body, public_key: publicKey, signature});
    const record = {
      id: reply.device, kind: reply.kind, venue: reply.venue, seat: reply.seat, keyPair,
      pairedAt: new Date().toISOString(), ...extra,
    };
    await save(record);
    if (record.kind === "tablet" && record.seat) {
      // The server revoked the seat's previous tablet: a key kept for it here is of no more use.
      for (const old of await list("tablet")) {
        if (old.id !== record.id && old.venue === record.venue && old.seat === record.seat) await remove(old.id);
      }
    }
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    return record;
  }

  /** Pair with a one-time code from the console's QR (POST /devices/pair/). */
  function pair(code) {
    return register("/devices/pair/", {code}, `huitang-pair-v1\n${code}`, {demo: false});
  }

  /** Demo pairing without a code; a tablet is bound to the member seated there (HUITANG_DEMO only). */
  function demoPair(kind, meetingId, seatId = null) {
    const meeting = Number(meetingId);
    const seat = kind === "tablet" ? Number(seatId) : null;
    // Exactly devices.services.demo_pair's string: a display's seat is Python's None.
    const text = `huitang-pair-v1\ndemo:${kind}:${meeting}:${seat === null ? "None" : seat}`;
    return register("/devices/demo-pair/", {kind, meeting, seat}, text, {demo: true, meeting, seatId: seat});
  }

  // ---- connecting ----

  async function battery() {
    try {
      if (!navigator.getBattery) return {};
      const info = await navigator.getBattery();
      return {battery: Math.round(info.level * 100), charging: !!info.charging};
    } catch (_) {
      return {};
    }
  }

  /** The answer to the server's challenge: a signature over huitang-auth-v1 and the nonce. */
  async function answer(record, meetingId, challenge) {
    const meeting = challenge.meeting ?? meetingId;
    const signature = await sign(record, `huitang-auth-v1\n${record.id}\n${meeting}\n${challenge.nonce}`);
    return {signature, ...(await battery())};
  }

  /**
   * Hall.Client options for this browser's paired device of `kind` on meeting `meetingId`, or null
   * when none is paired here: {url, onChallenge, device}. Throws DeviceError when the page cannot
   * hold a key at all (not a secure context, no Ed25519, no IndexedDB).
   */
  async function connectOptions(kind, meetingId, deviceId = undefined) {
    check();
    const record = await load(kind, deviceId);
    if (!record) return null;
    return {
      url: `/ws/${kind}/${Number(meetingId)}/?device=${encodeURIComponent(record.id)}`,
      onChallenge: (challenge) => answer(record, meetingId, challenge),
      device: record,
    };
  }

  /** Report the battery every minute while connected (the console's device health view). */
  function keepPresence(client, every = PRESENCE_MS) {
    const timer = setInterval(async () => {
      if (client.status === "refused") { clearInterval(timer); return; }
      if (client.status !== "online") return;
      const info = await battery();
      client.request("presence", info);
    }, every);
    return timer;
  }

  window.HuitangDevice = {
    DeviceError, check, generate, publicKeyText, sign, sha256hex, randomText, b64url,
    save, get, remove, list, load, pair, demoPair, battery, answer, connectOptions, keepPresence,
  };
})();
