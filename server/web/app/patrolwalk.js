// One round (/app/patrol/{round_id}; /app/patrol/new?site=&route= for a voluntary round
// not started yet; a scheduled window's URL also names its site, schedule and window, so it
// can be started before anything of it is on the phone). Start, then scan each checkpoint
// by camera (?camera=1, scan.js's scanner), by typing its code or by NFC where the phone
// reads it; each scan is a `checkpoint.scanned` op and a tick. A code not on the route is
// sent all the same (the server flags it) and said here. Each checkpoint opens its own
// checklist and the hazard report for its thing (the tag page's forms, which come back
// here). Finish, with a note, is the patroller's signature; once the last checkpoint is
// scanned the screen offers it first.

import { InvalidTagCode, normalizeCode, formatCode } from "./codes.js";
import { h, show } from "./dom.js";
import { label, nameOf, pick, t } from "./i18n.js";
import { backButton, formatTime, go, render, requestSync, route as currentRoute } from "./nav.js";
import { stateBadge, windowTimes } from "./patrol.js";
import { clockIn, patrolRecords, patrolSites, stateOf } from "./patrolduty.js";
import { finishRound, judgeScan, progress, readRound, scanCheckpoint, startRound } from "./patrolround.js";
import { nfcAvailable, nfcSession, quickFix, startNfc, stopNfc, stopPosition, watchPosition } from "./patrolsense.js";
import { roundIdFor, roundWindows } from "./patrolwindows.js";
import { dayNumber } from "./calendar.js";
import * as store from "./store.js";
import { codeError, openForm } from "./targetpage.js";

const MAX_NOTE = 2000;
// What the last scan of each round was, said at the top of the round until the next one.
const said = new Map();
// Scans are written one after the other: two in quick succession (a code typed twice, an
// NFC sticker held on) must each find the other in the round's record.
let writing = Promise.resolve();

function oneAtATime(fn) {
  const run = writing.then(fn, fn);
  writing = run.catch(() => null);
  return run;
}

// --- finding the round -------------------------------------------------------------------

async function siteOf(query, roundId) {
  const user = await store.getMeta("user");
  const sites = patrolSites(user).map((s) => s.site_id);
  if (query.get("site") && sites.includes(query.get("site"))) return query.get("site");
  for (const site of sites) {
    if (await store.getRecord(site, "patrol_round", roundId)) return site;
  }
  return null;
}

// {siteId, records, roundId, record, waiting, route, schedule, window, pulled} or null.
async function loadRound(current) {
  const { id, query } = current;
  if (id === "new") {
    const siteId = await siteOf(query, null);
    if (!siteId) return null;
    const records = await patrolRecords(siteId);
    const route = records.routes.find((r) => r.id === query.get("route"));
    return route ? { siteId, records, roundId: null, record: null, waiting: false, route, schedule: null, window: null, pulled: null } : null;
  }
  const { record, waiting } = await readRound(id);
  const siteId = record?.site_id ?? (await siteOf(query, id));
  if (!siteId) return null;
  const records = await patrolRecords(siteId);
  const pulled = records.rounds.get(id) ?? null;
  const scheduleId = record?.schedule_id ?? query.get("schedule") ?? pulled?.schedule_id ?? null;
  const schedule = scheduleId ? (records.schedules.find((s) => s.id === scheduleId) ?? null) : null;
  let window = record?.window ?? null;
  const key = query.get("window") ?? pulled?.window ?? null;
  if (!window && schedule && key && records.site) {
    const day = dayNumber(key.slice(0, 10));
    const tz = records.site.timezone;
    window = roundWindows(schedule, { firstDay: day, lastDay: day, tz, calendar: records.calendar }).find((w) => w.key === key) ?? null;
    // A URL whose window is not this round's is not followed.
    if (window && (await roundIdFor(schedule.id, key)) !== id) window = null;
  }
  if (!window && pulled?.window_start) {
    window = { key: pulled.window, start: Date.parse(pulled.window_start), end: Date.parse(pulled.window_end), graceEnd: Date.parse(pulled.grace_end) };
  }
  const route = record?.route ?? records.routes.find((r) => r.id === (schedule?.route_id ?? pulled?.route_id)) ?? null;
  if (!route || (!record && scheduleId && !window)) return null;
  return { siteId, records, roundId: id, record, waiting, route, schedule, window, pulled };
}

// --- acting ------------------------------------------------------------------------------

// A Start tapped twice is one start.
let starting = false;

async function start(round) {
  if (starting) return;
  starting = true;
  try {
    await startOnce(round);
  } finally {
    starting = false;
  }
}

async function startOnce(round) {
  const record = await startRound({
    roundId: round.roundId,
    siteId: round.siteId,
    route: round.route,
    scheduleId: round.schedule?.id ?? null,
    window: round.window ? { key: round.window.key, start: round.window.start, end: round.window.end, graceEnd: round.window.graceEnd } : null,
  });
  if (!round.roundId) history.replaceState({ inApp: true }, "", `/app/patrol/${record.round_id}`);
  requestSync();
  await render();
}

// Records a scan of `how.tag` on the round, as it stands when the scan's turn comes.
function scanned(roundId, how) {
  return oneAtATime(async () => {
    const { record } = await readRound(roundId);
    if (!record || record.finished_at) return;
    const pulled = await store.getRecord(record.site_id, "patrol_round", roundId);
    const counted = pulled?.scanned ?? [];
    const tags = record.scans.map((s) => s.tag);
    const verdict = judgeScan(record.route, tags, counted, how.tag);
    // Only a checkpoint with a position asks for a fix, and never for long.
    const fix = verdict.checkpoint?.position ? await quickFix() : null;
    const next = await scanCheckpoint(record, { ...how, position: fix?.position ?? null, accuracy_m: fix?.accuracy_m ?? null });
    const now = progress(next.route, next.scans.map((s) => s.tag), counted);
    said.set(roundId, { ...verdict, code: how.tag, covered: now.covered, expected: now.expected });
    requestSync();
  });
}

async function nfcRead(roundId, serial) {
  const { record } = await readRound(roundId);
  if (!record || record.finished_at) return;
  const checkpoint = record.route.checkpoints.find((c) => c.nfc_serial === serial);
  if (checkpoint) {
    await scanned(roundId, { tag: checkpoint.tag, method: "nfc", nfc_serial: serial, at: new Date().toISOString() });
  } else {
    said.set(roundId, { kind: "nfc_unknown", serial });
  }
  await render();
}

// Whatever a round needs running (NFC, GPS) stops once another screen is drawn.
let watcher = null;

function keepWhileShown(roundId) {
  watcher?.disconnect();
  watcher = new MutationObserver(() => {
    const here = currentRoute();
    if (here.name === "patrol" && here.id === roundId) return;
    stopNfc();
    stopPosition();
    watcher?.disconnect();
    watcher = null;
  });
  watcher.observe(document.getElementById("view"), { childList: true });
}

// --- drawing -----------------------------------------------------------------------------

function header(round, state) {
  const { route, schedule, window, records, pulled } = round;
  const zone = records.site?.timezone;
  const scheduleName = schedule ? pick(schedule.name, schedule.name_en) : pulled ? pick(pulled.schedule_name, pulled.schedule_name_en) : "";
  return h("div", { class: "card", "data-testid": "patrol-round", "data-state": state, "data-round": round.roundId ?? "" },
    h("h1", { "data-testid": "patrol-round-title" }, nameOf(route)),
    window && zone
      ? h("p", { class: "muted", "data-testid": "patrol-round-window" }, scheduleName, " · ", windowTimes(window, zone))
      : h("p", { class: "muted" }, t("patrol.voluntary")),
    stateBadge(state, round.waiting));
}

function saidLine(roundId) {
  const last = said.get(roundId);
  if (!last) return null;
  const name = last.checkpoint ? pick(last.checkpoint.name, last.checkpoint.name_en) : "";
  const texts = {
    counted: () => t("patrol.scan_counted", { name, covered: last.covered, expected: last.expected }),
    out_of_order: () => t("patrol.scan_out_of_order", { name, expected: pick(last.expected.name, last.expected.name_en) }),
    duplicate: () => t("patrol.scan_duplicate", { name }),
    off_route: () => t("patrol.scan_off_route", { code: formatCode(last.code) }),
    nfc_unknown: () => t("patrol.nfc_unknown", { serial: last.serial }),
  };
  const good = last.kind === "counted" || last.kind === "out_of_order";
  return h("p", { class: `card patrol-said ${good ? "patrol-said-ok" : "note"}`, "data-testid": "patrol-scan-result", "data-kind": last.kind, role: "status" },
    texts[last.kind]());
}

function progressCard(round, now) {
  const { covered, expected, next } = now;
  return h("section", { class: "card", "data-testid": "patrol-progress", "data-covered": String(covered), "data-expected": String(expected) },
    h("div", { class: "patrol-count" }, h("strong", {}, `${covered} / ${expected}`), h("span", { class: "muted" }, t("patrol.checkpoints_done"))),
    next ? h("p", { class: "patrol-next", "data-testid": "patrol-next", "data-tag": next.tag }, t("patrol.next", { name: pick(next.name, next.name_en) })) : null,
    round.route.mode === "any_order" ? h("p", { class: "muted" }, t("patrol.any_order")) : null);
}

function scanCard(round) {
  const roundId = round.roundId;
  const error = h("p", { class: "warn", "data-testid": "patrol-code-error", role: "alert" });
  const input = h("input", {
    id: "patrol-code", name: "patrol-code", inputmode: "text", autocapitalize: "characters", autocomplete: "off",
    spellcheck: "false", placeholder: t("home.code_placeholder"), "data-testid": "patrol-code",
  });
  const form = h("form", { class: "patrol-typed" },
    h("label", { for: "patrol-code" }, t("patrol.type_code")),
    h("div", { class: "row" }, input, h("button", { "data-testid": "patrol-code-submit", class: "patrol-code-submit" }, t("patrol.record"))),
    error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let code;
    try {
      code = normalizeCode(input.value);
    } catch (problem) {
      if (!(problem instanceof InvalidTagCode)) throw problem;
      error.textContent = input.value.trim() ? codeError(problem) : t("code.empty");
      return;
    }
    input.value = "";
    await scanned(roundId, { tag: code, method: "typed", at: new Date().toISOString() });
    await render();
  });
  const reading = nfcSession() === roundId;
  const nfc = nfcAvailable()
    ? h("button", {
      type: "button",
      class: reading ? "wide plain" : "wide",
      "data-testid": "patrol-nfc",
      "data-reading": String(reading),
      onclick: async () => {
        if (reading) stopNfc();
        else await startNfc({ key: roundId, onSerial: (serial) => nfcRead(roundId, serial), onProblem: (why) => nfcProblem(roundId, why) });
        await render();
      },
    }, reading ? t("patrol.nfc_reading") : t("patrol.nfc"))
    : null;
  return h("section", { class: "card", "data-testid": "patrol-scan" },
    h("button", { type: "button", class: "wide scan-button", "data-testid": "patrol-camera", onclick: () => go(`/app/patrol/${roundId}?camera=1`) }, t("patrol.camera")),
    nfc,
    form);
}

function nfcProblem(roundId, why) {
  said.delete(roundId);
  const line = document.querySelector("[data-testid=patrol-nfc]");
  line?.after(h("p", { class: "warn", "data-testid": "patrol-nfc-problem" }, t(`patrol.nfc_${why}`)));
}

function checkpointList(round, now, { acting }) {
  const { route } = round;
  const items = route.checkpoints.map((checkpoint, at) => {
    const done = now.done.has(at);
    const isNext = now.next?.tag === checkpoint.tag;
    const code = checkpoint.tag;
    return h("li", { class: "patrol-checkpoint", "data-testid": "patrol-checkpoint", "data-tag": code, "data-done": String(done) },
      h("div", { class: "patrol-point" },
        h("span", { class: done ? "patrol-mark patrol-done" : "patrol-mark", "aria-hidden": "true" }, done ? "✓" : String(at + 1)),
        h("span", { class: "patrol-point-name" }, pick(checkpoint.name, checkpoint.name_en),
          done ? h("span", { class: "visually-hidden" }, ` ${t("patrol.done")}`) : null,
          isNext ? h("span", { class: "badge patrol-next-badge" }, t("patrol.next_badge")) : null),
        h("span", { class: "code patrol-point-code" }, formatCode(code))),
      acting
        ? h("div", { class: "patrol-point-actions" },
          checkpoint.checklist
            ? h("button", { type: "button", class: "plain", "data-testid": "patrol-checklist", onclick: () => openForm(code, `?checklist=${encodeURIComponent(checkpoint.checklist.key)}&round=${round.roundId}`) },
              pick(checkpoint.checklist.title_zh, checkpoint.checklist.title_en))
            : null,
          h("button", { type: "button", class: "plain", "data-testid": "patrol-hazard", onclick: () => openForm(code, "?report=1") }, t("patrol.hazard")))
        : null);
  });
  return h("section", { class: "card", "data-testid": "patrol-checkpoints" },
    h("h2", {}, t("patrol.checkpoints", { count: route.checkpoints.length })),
    h("ul", { class: "list" }, items));
}

function finishCard(round, now, offered) {
  const note = h("textarea", { id: "patrol-note", rows: 3, maxlength: MAX_NOTE, "data-testid": "patrol-note" });
  let busy = false;
  const finish = async () => {
    if (busy) return;
    busy = true;
    const { record } = await readRound(round.roundId);
    await finishRound(record, note.value.trim());
    said.delete(round.roundId);
    stopNfc();
    requestSync();
    await render();
  };
  const left = now.expected - now.covered;
  return h("section", { class: offered ? "card note" : "card", "data-testid": offered ? "patrol-offer-finish" : "patrol-finish-card" },
    h("h2", {}, offered ? t("patrol.finish_offered") : t("patrol.finish_title")),
    left ? h("p", { class: "warn", "data-testid": "patrol-left" }, t("patrol.left", { count: left })) : null,
    h("label", { for: "patrol-note" }, t("patrol.note")),
    note,
    h("p", { class: "muted" }, t("patrol.signature_hint")),
    h("button", { type: "button", class: "wide", "data-testid": "patrol-finish", onclick: finish }, t("patrol.finish")));
}

function verdictCard(round) {
  const { record, pulled, waiting, records } = round;
  const flags = !waiting && pulled ? pulled.flags ?? [] : [];
  const zone = records.site?.timezone;
  const time = zone ? clockIn(Date.parse(record.finished_at), zone) : formatTime(record.finished_at);
  return h("section", { class: "card", "data-testid": "patrol-finished" },
    h("h2", {}, t("patrol.finished_at", { time })),
    record.note ? h("p", { class: "history-note" }, record.note) : null,
    waiting
      ? h("p", { class: "note-line", "data-testid": "patrol-pending" }, t("patrol.pending_sync"))
      : h("p", { class: "muted", "data-testid": "patrol-sent" }, pulled ? t("patrol.judged") : t("patrol.sent")),
    flags.length
      ? h("ul", { class: "list patrol-flags" }, flags.map((flag) =>
        h("li", { "data-testid": "patrol-flag", "data-flag": flag }, label("patrol.flag", flag))))
      : null);
}

async function renderCamera(view, round) {
  const { cameraScreen } = await import("./scan.js");
  const back = () => (history.state?.inApp ? history.back() : go(`/app/patrol/${round.roundId}`));
  await cameraScreen(view, {
    title: t("patrol.camera_title", { route: nameOf(round.route) }),
    onCode: async (code) => {
      await scanned(round.roundId, { tag: code, method: "qr", at: new Date().toISOString() });
      back();
    },
    below: [h("button", { type: "button", class: "wide plain", "data-testid": "back", onclick: back }, t("target.back"))],
  });
}

export async function renderRound(view, current) {
  const round = await loadRound(current);
  if (!round) {
    show(view, h("div", { class: "card", "data-testid": "patrol-not-found" }, h("p", {}, t("patrol.not_found"))), backButton("/app/patrol"));
    return;
  }
  const { record, pulled, window } = round;
  const started = Boolean(record?.started_at || record?.scans.length);
  const finished = Boolean(record?.finished_at);
  if (current.query.has("camera") && started && !finished) return renderCamera(view, round);
  const now = Date.now();
  const state = stateOf({ kept: record ? { record, waiting: round.waiting } : null, pulled, window, now });
  const list = () => backButton("/app/patrol");
  if (!started) {
    const cancelled = pulled?.state === "cancelled";
    const early = window && now < window.start;
    const none = progress(round.route, [], pulled?.scanned ?? []);
    show(view, header(round, state),
      cancelled ? h("p", { class: "card note", "data-testid": "patrol-cancelled" }, t("patrol.cancelled")) : h("section", { class: "card" },
        early ? h("p", { class: "muted", "data-testid": "patrol-early" }, t("patrol.early", { time: windowTimes(window, round.records.site.timezone) })) : null,
        h("button", { type: "button", class: "wide scan-button", "data-testid": "patrol-start", onclick: () => start(round) }, t("patrol.start"))),
      checkpointList(round, none, { acting: false }),
      list());
    return;
  }
  const walked = progress(record.route, record.scans.map((s) => s.tag), pulled?.scanned ?? []);
  if (finished) {
    stopNfc();
    show(view, header(round, state), verdictCard(round), checkpointList(round, walked, { acting: true }), list());
    return;
  }
  if (record.route.checkpoints.some((c) => c.position)) watchPosition();
  keepWhileShown(round.roundId);
  const offered = walked.covered === walked.expected || (record.route.mode === "sequence" && walked.finishedLast);
  show(view, header(round, state),
    saidLine(round.roundId),
    progressCard(round, walked),
    offered ? finishCard(round, walked, true) : null,
    scanCard(round),
    checkpointList(round, walked, { acting: true }),
    offered ? null : finishCard(round, walked, false),
    list());
}
