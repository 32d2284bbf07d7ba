/* The pairing pages (docs/protocol.md, "Pairing"): a device makes its key and registers it.
 *
 *   <body data-page="pair" data-code>        /pair/<code>/: the console's one-time QR code
 *   <body data-page="demo" data-kind …>      /demo/tablet/<m>/<seat>/, /demo/display/<m>/ (demo only)
 *   <body data-page="home" data-kind>        /tablet/, /display/: open this device's venue's meeting
 *
 * Needs hall.js (strings) and consoles/device.js (the key and the store).
 */
(() => {
  "use strict";
  const {t, setText} = Hall;
  const $ = (selector) => document.querySelector(selector);
  const body = document.body;

  function show(step) {
    for (const id of ["pair-working", "pair-done", "pair-failed"]) {
      const node = document.getElementById(id);
      if (node) node.hidden = id !== step;
    }
    $("#pairing").dataset.state = step.replace("pair-", "");
  }

  function fail(message, help = null, code = "") {
    setText("#pair-error", message);
    $("#pair-error").dataset.code = code;
    if (help !== null) setText("#pair-help", help);
    show("pair-failed");
  }

  /** A paired device's way in: its kind's page finds the meeting of its venue. */
  function surfaceUrl(record) {
    return `/${record.kind}/?device=${encodeURIComponent(record.id)}`;
  }

  async function pairPage() {
    const code = body.dataset.code;
    try {
      HuitangDevice.check();
    } catch (error) {
      fail(error.message, "", error.code);
      return;
    }
    // A reload of this page after it paired: the code is spent, the device is here.
    const codeHash = await HuitangDevice.sha256hex(`huitang-pair-code\n${code}`);
    const mine = [...await HuitangDevice.list("tablet"), ...await HuitangDevice.list("display")];
    let record = mine.find((r) => r.codeHash === codeHash);
    if (!record) {
      try {
        record = await HuitangDevice.pair(code);
      } catch (error) {
        fail(error.message, null, error.code);
        return;
      }
      record.codeHash = codeHash;
      await HuitangDevice.save(record);
    } else {
      setText("#pair-result", t("pair.again"));
    }
    setText("#pair-kind", t(`pair.kind.${record.kind}`, null, record.kind));
    setText("#pair-seat", record.seat || "—");
    setText("#pair-device", record.id);
    const next = $("#pair-next");
    next.href = surfaceUrl(record);
    next.textContent = t(`pair.go.${record.kind}`, null, next.textContent);
    show("pair-done");
    $("#pairing").dataset.device = record.id;
  }

  async function demoPage() {
    const {kind, meeting, seat} = body.dataset;
    let record;
    try {
      record = await HuitangDevice.demoPair(kind, meeting, kind === "tablet" ? seat : null);
    } catch (error) {
      fail(error.message, null, error.code);
      return;
    }
    const next = `${body.dataset.next}?device=${encodeURIComponent(record.id)}`;
    $("#pair-next").href = next;
    $("#pairing").dataset.device = record.id;
    show("pair-done");
    location.replace(next);
  }

  async function homePage() {
    const kind = body.dataset.kind;
    let record;
    try {
      HuitangDevice.check();
      record = await HuitangDevice.load(kind);
    } catch (error) {
      fail(error.message, "", error.code);
      return;
    }
    if (!record) {
      fail(t("problem.unpaired"), t("problem.unpaired_help"), "unpaired");
      return;
    }
    const byVenue = JSON.parse($("#meetings-by-venue").textContent || "{}");
    const meetings = byVenue[String(record.venue)] || [];
    if (!meetings.length) {
      fail(t("pair.no_meeting_here"), "", "no_meeting");
      return;
    }
    location.replace(`/${kind}/${meetings[0].id}/?device=${encodeURIComponent(record.id)}`);
  }

  const pages = {pair: pairPage, demo: demoPage, home: homePage};
  const run = pages[body.dataset.page];
  if (run) {
    run().catch((error) => fail(error && error.message ? error.message : String(error), null, "error"));
  }
})();
