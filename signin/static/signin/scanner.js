/* The door scanner: a USB/Bluetooth scanner types the badge code into the focused field and
 * presses Enter; a camera with the browser's BarcodeDetector does the same where available.
 * Each code is posted to the server, which answers with who it is or why not. */
(() => {
  "use strict";
  const {t, el} = Hall;
  const $ = (selector) => document.querySelector(selector);
  const body = document.body;
  const meeting = body.dataset.meeting;
  const scanUrl = body.dataset.scanUrl;
  const form = $("#scan-form");
  const input = $("#scan-code");
  const place = $("#scan-place");
  const result = $("#scan-result");
  const log = $("#scan-log");
  const PLACE_KEY = `huitang.scanner.place.${meeting}`;
  const LOG_SHOWN = 30;
  let scans = 0;
  let busy = Promise.resolve();

  function csrfToken() {
    const field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function show(kind, head, name, facts) {
    result.dataset.kind = kind;
    $("#scan-head").textContent = head;
    $("#scan-name").textContent = name || "";
    $("#scan-facts").textContent = facts || "";
  }

  function clock(iso) {
    const m = /T(\d{2}:\d{2}:\d{2})/.exec(iso || "");
    return m ? m[1] : "";
  }

  function remember(kind, text) {
    scans += 1;
    $("#scan-count").textContent = t("scan.count", {n: scans});
    log.prepend(el("li", {class: `scan-log__item is-${kind}`},
      el("time", {text: new Date().toTimeString().slice(0, 8)}), " ", text));
    while (log.children.length > LOG_SHOWN) log.lastChild.remove();
  }

  async function submit(code) {
    code = (code || "").trim();
    if (!code) return;
    show("waiting", t("scan.waiting"));
    let reply;
    try {
      const response = await fetch(scanUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
        body: JSON.stringify({code, place: place.value}),
      });
      reply = await response.json();
    } catch (_) {
      show("error", t("scan.refused"), "", t("scan.network"));
      remember("error", t("scan.network"));
      return;
    }
    if (!reply.ok) {
      show("error", t("scan.refused"), "", reply.message || reply.error);
      result.dataset.code = reply.error || "";
      remember("error", reply.message || reply.error);
      return;
    }
    const member = reply.member;
    const signin = reply.signin;
    const facts = [member.delegation || member.kind_label, member.seat ? t("scan.seat", {seat: member.seat}) : ""]
      .filter(Boolean).join("　");
    result.dataset.code = "";
    if (reply.already) {
      show("already", t("scan.already"), member.name,
        `${facts}　${t("scan.at", {at: clock(signin.at)})}（${signin.method_label}）`);
      remember("already", `${member.name} · ${t("scan.already")}`);
    } else {
      show("ok", t("scan.ok") + (signin.late ? `（${t("scan.late")}）` : ""), member.name, facts);
      remember("ok", `${member.name} · ${t("scan.ok")}`);
    }
  }

  /** One scan at a time, in the order they came (a scanner can be faster than the network). */
  function enqueue(code) {
    busy = busy.then(() => submit(code));
    return busy;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = input.value;
    input.value = "";
    enqueue(code);
    input.focus();
  });

  // Keep the code field focused so a scanner's keystrokes always land there.
  document.addEventListener("click", (event) => {
    if (!event.target.closest("input, button, a, textarea, select, video")) input.focus();
  });
  input.addEventListener("blur", () => {
    setTimeout(() => {
      const active = document.activeElement;
      if (!active || active === document.body) input.focus();
    }, 150);
  });

  place.value = localStorage.getItem(PLACE_KEY) || "";
  place.addEventListener("change", () => localStorage.setItem(PLACE_KEY, place.value.trim()));
  place.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      input.focus();
    }
  });

  // ---- camera, where the browser can read QR codes itself ----

  const toggle = $("#camera-toggle");
  const video = $("#camera");
  let stream = null;
  let detector = null;
  let lastCode = "";
  let lastAt = 0;

  async function cameraSupported() {
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return false;
    }
    try {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      return formats.includes("qr_code");
    } catch (_) {
      return false;
    }
  }

  async function startCamera() {
    try {
      stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false});
    } catch (_) {
      show("error", t("scan.camera_error"));
      return;
    }
    detector = detector || new window.BarcodeDetector({formats: ["qr_code"]});
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    toggle.textContent = t("scan.camera_on");
    requestAnimationFrame(detect);
  }

  function stopCamera() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.hidden = true;
    toggle.textContent = t("scan.camera_off");
    input.focus();
  }

  async function detect() {
    if (!stream) return;
    try {
      const found = await detector.detect(video);
      const now = Date.now();
      for (const code of found) {
        // The same badge held in front of the camera is read many times a second: once is enough.
        if (code.rawValue && (code.rawValue !== lastCode || now - lastAt > 3000)) {
          lastCode = code.rawValue;
          lastAt = now;
          enqueue(code.rawValue);
        }
      }
    } catch (_) { /* a frame the detector could not read */ }
    setTimeout(() => requestAnimationFrame(detect), 200);
  }

  cameraSupported().then((ok) => {
    toggle.hidden = !ok;
    $("#camera-none").hidden = ok;
  });
  toggle.addEventListener("click", () => (stream ? stopCamera() : startCamera()));

  window.HuitangScanner = {submit: enqueue};
  show("idle", t("scan.prompt"));
  input.focus();
})();
